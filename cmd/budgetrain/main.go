// Command budgetrain trains image classifiers under a compute budget, exports them to ONNX and
// evaluates them with onnxruntime. See README.md.
package main

import (
	"os"
	"runtime"
	"syscall"

	"budgetrain/cmd"
)

// libtorch's grad mode and gotch's error slot are per OS thread: all torch work runs on the
// main goroutine, locked to its thread.
func init() { runtime.LockOSThread() }

func main() {
	passiveOpenMP()
	os.Exit(cmd.Execute())
}

// passiveOpenMP re-executes the program once with OMP_WAIT_POLICY=PASSIVE unless the user set
// the variable. libgomp reads it when libtorch is loaded, before main runs. With the default
// (active) policy, idle OpenMP workers spin; on a 2-core machine they then compete with the
// loader goroutines and onnxruntime, and training ran up to 6× slower whenever another process
// held a core (measured with resnet8 at batch 128: 49 vs 303 img/s).
func passiveOpenMP() {
	if _, set := os.LookupEnv("OMP_WAIT_POLICY"); set {
		return
	}
	exe, err := os.Executable()
	if err != nil {
		return
	}
	env := append(os.Environ(), "OMP_WAIT_POLICY=PASSIVE")
	_ = syscall.Exec(exe, os.Args, env) // on failure, carry on with the default policy
}
