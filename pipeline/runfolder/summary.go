package runfolder

// Summary is summary.json: the totals of a run. Accuracies are fractions in [0,1]. pipeline
// writes it (json.MarshalIndent with two spaces, then a newline: WriteJSON); report and sweep
// read it. The field order is the order of the file's keys: keep it.
type Summary struct {
	Dataset         string  `json:"dataset"`
	Model           string  `json:"model"`
	Method          string  `json:"method"`
	Augmentation    string  `json:"augmentation"`
	Budget          float64 `json:"budget"`
	Epochs          int     `json:"epochs"` // planned epochs E
	EpochsRun       int     `json:"epochs_run"`
	Seed            uint64  `json:"seed"`
	Iterations      int     `json:"iterations"` // optimizer steps done (T when complete)
	PlannedSteps    int     `json:"planned_iterations"`
	SamplesForward  int64   `json:"samples_forward"`
	SamplesBackward int64   `json:"samples_backward"`
	TrainSeconds    float64 `json:"train_seconds"` // training wall time, evaluation excluded
	DataWaitSeconds float64 `json:"data_wait_seconds"`
	Params          int64   `json:"params"`
	FinalTestAcc    float64 `json:"final_test_acc"`
	BestTestAcc     float64 `json:"best_test_acc"`
	TorchTestAcc    float64 `json:"torch_test_acc"`
	ONNXTestAcc     float64 `json:"onnx_test_acc"`
	Weights         string  `json:"weights"`
	ONNX            string  `json:"onnx"`
	VisitEntropy    float64 `json:"visit_entropy"`
	NeverSeen       float64 `json:"never_seen"`
	Pruned          int64   `json:"pruned"` // samples left out of epochs by the sampler (infobatch)
	Completed       bool    `json:"completed"`
	RSSFirstMiB     float64 `json:"rss_first_epoch_mib"`
	RSSLastMiB      float64 `json:"rss_last_epoch_mib"`
	// Provenance is the build and machine that finished the run (zero before it was recorded);
	// ResumedFrom lists earlier ones that trained part of it (different from it), oldest first.
	Provenance  Provenance   `json:"provenance"`
	ResumedFrom []Provenance `json:"resumed_from,omitempty"`
}
