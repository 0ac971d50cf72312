// Command budgetrain trains image classifiers under a compute budget, exports them to ONNX and
// evaluates them with onnxruntime. See README.md and docs/commands.md.
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
	tuneEnvironment()
	os.Exit(cmd.Execute())
}

// runtimeEnv are settings that libgomp and glibc read once, before main runs, so they can only
// be given through the environment. Each applies unless the user set the variable.
var runtimeEnv = []struct{ key, value string }{
	// With the default (active) policy, idle OpenMP workers spin; on a 2-core machine they
	// compete with the loader goroutines and onnxruntime, and training ran up to 6× slower
	// whenever another process held a core (resnet8, batch 128: 49 vs 303 img/s). Measured
	// trade-off in docs/training.md ("OpenMP wait policy").
	{"OMP_WAIT_POLICY", "PASSIVE"},
	// ...but a worker that has just finished spins 10,000 rounds before it sleeps, so the
	// next of a step's many short parallel regions finds it awake: resnet8 training at 2
	// threads went from 1,347–1,366 to 1,626–1,680 img/s on an idle machine, and from 766 to 666
	// with another process holding a core (docs/training.md, "OpenMP wait policy"). An explicit
	// GOMP_SPINCOUNT overrides the passive policy's zero.
	{"GOMP_SPINCOUNT", "10000"},
	// Two malloc arenas. glibc gives every thread that allocates its own arena (up to 8 per
	// core), and freed memory stays fragmented in each; background onnxruntime evaluations run
	// on whichever thread Go picks, so resident memory crept up (8 epochs of 23 steps with
	// train.eval_async: 225 → 243 MiB without the cap; 219 → 218 MiB with it set by hand and
	// 219 → 224 MiB through this re-execution, two runs). mallopt from
	// main is too late: glibc fixes the arena limit when the first extra arena is made, which
	// the Go runtime's own threads have done by then.
	{"MALLOC_ARENA_MAX", "2"},
	// Freed memory stays in the heap up to 256 MiB instead of going back to the kernel at
	// every free, and blocks up to 32 MiB (glibc's largest allowed threshold) come from the heap,
	// not from a fresh mmap: libtorch frees and reallocates every activation at every step, and
	// each round trip through the kernel cost page faults and zeroing. resnet8 training at 2
	// threads: 1,822–1,917 img/s without, 1,993–2,088 with (three A/B rounds in one command);
	// resnet18 unchanged within noise (its largest activations are above 32 MiB).
	// docs/training.md, "glibc malloc thresholds".
	{"MALLOC_TRIM_THRESHOLD_", "268435456"},
	{"MALLOC_MMAP_THRESHOLD_", "33554432"},
}

// tuneEnvironment re-executes the program once with the runtimeEnv settings the environment
// lacks. On failure it carries on with the defaults.
func tuneEnvironment() {
	env, missing := os.Environ(), false
	for _, kv := range runtimeEnv {
		if _, set := os.LookupEnv(kv.key); !set {
			env, missing = append(env, kv.key+"="+kv.value), true
		}
	}
	if !missing {
		return
	}
	if exe, err := os.Executable(); err == nil {
		_ = syscall.Exec(exe, os.Args, env)
	}
}
