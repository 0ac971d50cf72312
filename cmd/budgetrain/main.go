// Command budgetrain trains image classifiers under a compute budget, exports them to ONNX and
// evaluates them with onnxruntime. See README.md.
package main

import (
	"os"
	"runtime"

	"budgetrain/cmd"
)

// libtorch's grad mode and gotch's error slot are per OS thread: all torch work runs on the
// main goroutine, locked to its thread.
func init() { runtime.LockOSThread() }

func main() { os.Exit(cmd.Execute()) }
