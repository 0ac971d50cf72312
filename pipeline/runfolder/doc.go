// Package runfolder owns the on-disk format of a run folder, which pipeline writes and report,
// sweep and cmd read. It is a leaf package without cgo, so that every reader builds and tests
// on any machine. It owns:
//
//   - the file names (names.go): config.yaml, metrics.jsonl, summary.json, checkpoint.json,
//     model.pt, model.onnx and the checkpoint-NNNN.{weights,state}.pt pairs that `budgetrain
//     train` writes; sweep.yaml, sweep-cell.yaml, train.log, failed.json and running.json that
//     `budgetrain sweep` writes; the lock file .lock (lock.go); and PlainName, the rule for a
//     run folder's own name;
//   - the records: Summary (summary.json), EpochMetrics (a line of metrics.jsonl, read by
//     ReadMetrics), Failure (failed.json), RunnerInfo (running.json), Provenance (inside
//     summary.json and checkpoint.json) and the lock's Holder. checkpoint.json's full record
//     stays with pipeline, which alone resumes from it; State reads its progress;
//   - the one classification of a folder's state (ReadState: running, done, failed,
//     interrupted or pending), which sweep's status and runner and report's ok, incomplete
//     and failed are views of;
//   - the folder lock (Acquire, Locked, LockEnv) and the atomic writer every run-folder file
//     goes through (WriteFileAtomic, WriteAtomic, WriteJSON);
//   - the config key lists that decide which runs are one cell (IdentityKeys,
//     EnvironmentKeys, HashIgnore, KeysAddedLater).
//
// The TensorBoard events file is named by internal/tfevents (TensorBoard's own naming
// convention); pipeline alone writes, resumes and removes it, and checkpoint.json records its
// name, so it is not a fact other packages share.
package runfolder
