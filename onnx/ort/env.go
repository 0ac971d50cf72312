package ort

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"

	rt "github.com/yalue/onnxruntime_go"
)

// ortVersion is the onnxruntime release scripts/deps.sh installs.
const ortVersion = "1.30.0"

// ErrNoLibrary is wrapped by Init's error when the onnxruntime shared library does not exist at
// LibraryPath; tests use it to skip when the native dependency is not installed.
var ErrNoLibrary = errors.New("onnxruntime library not found")

// LibraryPath returns where the onnxruntime shared library is expected: $ONNXRUNTIME_LIB if set,
// else ${BUDGETRAIN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/budgetrain}/onnxruntime-1.30.0/
// libonnxruntime.so.1, which is where scripts/deps.sh (make deps) installs it. As in the shell
// expansion, an empty variable counts as unset.
func LibraryPath() string {
	if p := os.Getenv("ONNXRUNTIME_LIB"); p != "" {
		return p
	}
	cache := os.Getenv("BUDGETRAIN_CACHE")
	if cache == "" {
		base := os.Getenv("XDG_CACHE_HOME")
		if base == "" {
			base = filepath.Join(os.Getenv("HOME"), ".cache")
		}
		cache = filepath.Join(base, "budgetrain")
	}
	return filepath.Join(cache, "onnxruntime-"+ortVersion, "libonnxruntime.so.1")
}

var (
	initOnce       sync.Once
	initErr        error
	defaultThreads int
)

// Init loads the onnxruntime library from LibraryPath and creates the process-wide environment.
// Only the first call does anything; later calls return the first call's result (onnxruntime
// allows one environment per process). threads becomes the intra-op thread count of sessions
// opened with threads 0 (0 here: onnxruntime's default, one per physical core). A missing or
// unloadable library is reported as an error naming the path and the fix (`make deps`, or set
// ONNXRUNTIME_LIB), never as a crash. Open calls Init(0) itself if needed.
func Init(threads int) error {
	initOnce.Do(func() {
		if threads < 0 {
			initErr = fmt.Errorf("ort: threads must be >= 0, got %d", threads)
			return
		}
		defaultThreads = threads
		path := LibraryPath()
		if _, err := os.Stat(path); err != nil {
			initErr = fmt.Errorf("ort: %w at %q (run `make deps`, or set ONNXRUNTIME_LIB to the library's path): %v",
				ErrNoLibrary, path, err)
			return
		}
		rt.SetSharedLibraryPath(path)
		if err := rt.InitializeEnvironment(rt.WithLogLevelError()); err != nil {
			initErr = fmt.Errorf("ort: load onnxruntime from %q (run `make deps`, or set ONNXRUNTIME_LIB to a libonnxruntime.so of version %s): %w",
				path, ortVersion, err)
		}
	})
	return initErr
}

// Version returns the version string of the loaded onnxruntime library ("" before Init).
func Version() string {
	if !rt.IsInitialized() {
		return ""
	}
	return rt.GetVersion()
}
