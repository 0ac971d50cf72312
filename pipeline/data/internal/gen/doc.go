// Package gen writes the tiny, deterministic dataset fixtures in the
// repository's testdata/ directory, and holds the file-format encoders the
// data package's tests use to build malformed inputs.
//
// The encoders are written from the format descriptions (IDX, CIFAR binary,
// MATLAB level-5 MAT-file), independently of the readers in package data, so
// that a round trip tests both. The images are learnable: each class has its
// own bright block position (and colour for RGB data) over uniform noise,
// with a one-pixel jitter, so a linear classifier separates them.
//
// Regenerate the fixtures with
//
//	go test ./pipeline/data -run TestFixturesUpToDate -update
package gen
