package ort

import (
	"errors"
	"fmt"
	"os"
	"testing"
)

// setupErr is the result of the process's single Init, made in TestMain.
var setupErr error

// childEnv switches the test binary into a helper that only calls Init and prints the error, so
// that Init's failure modes can be tested in a fresh process (Init runs once per process).
const childEnv = "BUDGETRAIN_ORT_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "init" {
		fmt.Printf("init error: %v\n", Init(0))
		return // exit status 0 without running any test
	}
	setupErr = Init(1)
	m.Run() // since Go 1.15 the test binary exits with m.Run's status when TestMain returns
}

// needORT skips a test when the onnxruntime library is not installed, except under CI, where a
// missing native dependency must fail rather than pass silently. A library that exists but does
// not load always fails.
func needORT(tb testing.TB) {
	tb.Helper()
	switch {
	case setupErr == nil:
	case errors.Is(setupErr, ErrNoLibrary) && os.Getenv("CI") == "":
		tb.Skipf("skipping: %v", setupErr)
	default:
		tb.Fatalf("onnxruntime is required: %v", setupErr)
	}
}
