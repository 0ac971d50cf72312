package runfolder

// KeysAddedLater are config keys added after run folders and sweeps were first recorded, each
// with the value that keeps the behaviour from before it existed. A saved config that lacks
// such a key ran with that value: report reads it so (runs from before and after the key are
// one cell), and sweep leaves the key out of a cell's hash while it holds that value
// (sweep.HashOmitDefault), so that recorded sweep folders keep their cell names.
var KeysAddedLater = map[string]any{
	"dataset.image_size":     0,      // 0 = images as they are
	"train.warmup_steps":     0,      // no learning-rate warm-up
	"train.checkpoint_every": 1,      // a checkpoint after every epoch
	"train.precision":        "fp32", // no mixed precision
	// CUDA numerics: no run before these keys used CUDA, so their defaults stand for the past.
	"cuda.tf32":            false,
	"cuda.cudnn_benchmark": true,
	"cuda.deterministic":   false,
}

// DefaultsChangedLater are config keys whose default changed after run folders and sweeps were
// first recorded, to a value that behaves as the old one on every recorded run. Sweep hashes a
// cell that holds the new value (Now) as if it held the old one (Was), so that recorded sweep
// folders keep their cell names.
//
// train.eval_backend: auto evaluates every epoch with onnxruntime on the CPU, as onnx did, and
// with libtorch on a GPU; every recorded run trained on the CPU.
var DefaultsChangedLater = map[string]struct{ Was, Now any }{
	"train.eval_backend": {Was: "onnx", Now: "auto"},
}

// IdentityKeys name a run and its folder rather than configure it.
var IdentityKeys = []string{"name", "out"}

// EnvironmentKeys change how fast a run goes, where it runs or what it logs, not what it trains
// (the loader and evaluation are deterministic whatever the thread and worker counts): report
// shows them when they vary but keeps runs that differ only in them in one cell.
var EnvironmentKeys = []string{"device", "threads", "train.workers", "train.prefetch", "train.eval_async", "train.eval_backend",
	"train.eval_batch_size", "train.tensorboard", "train.tensorboard_every", "train.checkpoint_every"}

// HashIgnore are the keys left out of a sweep cell's hash: the identity keys and most
// environment keys. device, train.eval_async and train.eval_batch_size are environment keys
// too, but recorded sweeps hashed their cells with them, and leaving them out now would rename
// every recorded cell.
var HashIgnore = []string{"name", "out", "threads", "train.workers", "train.prefetch", "train.tensorboard", "train.tensorboard_every",
	"train.checkpoint_every"}
