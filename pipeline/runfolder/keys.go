package runfolder

// KeysAddedLater are config keys added after run folders and sweeps were first recorded, each
// with the value that keeps the behaviour from before it existed. A saved config that lacks
// such a key ran with that value: report reads it so (runs from before and after the key are
// one cell), and sweep leaves the key out of a cell's hash while it holds that value
// (sweep.HashOmitDefault), so that recorded sweep folders keep their cell names.
var KeysAddedLater = map[string]any{
	"dataset.image_size": 0, // 0 = images as they are
	"train.warmup_steps": 0, // no learning-rate warm-up
}
