// Package data reads the image classification datasets used by budgetrain
// into memory and describes their per-dataset defaults.
//
// Every reader returns a *Dataset: N images of H×W×C uint8 pixels stored
// contiguously in HWC order, with integer labels in [0, len(Classes)). The
// supported on-disk formats are
//
//   - IDX (MNIST, Fashion-MNIST), gzipped or raw: ReadIDX;
//   - the CIFAR-10 and CIFAR-100 binary versions: ReadCIFAR10, ReadCIFAR100;
//   - the SVHN "cropped digits" MATLAB v5 files: ReadSVHNMat;
//   - a folder of PNG/JPEG images with one sub-folder per class: ReadImageFolder,
//     or ReadImageFolderWith to resize mixed sizes (FolderOptions.ImageSize),
//     decode in parallel and report progress.
//
// Each dataset has one record (Info, in registry.go): name and aliases,
// shape, class names, normalisation constants, flip probability and crop
// padding (the paper spec, Arazo et al., BMVC 2021, §3.1 and §4), split
// sizes, on-disk Format, default directory and public archives. Lookup
// returns it; nothing else in budgetrain keeps a table of datasets. Load
// reads a dataset from a directory laid out as its official archives
// unpack, with the reader of its Format; Download fetches its archives.
//
// Every reader validates its input completely (magic numbers, sizes, counts,
// label ranges, image sizes) and reports the first problem as an error that
// names the file, what was expected and what was found. Readers never panic
// on malformed input; this is fuzzed.
//
// Subset and SplitBalanced build derived datasets; SplitBalanced draws a
// class-balanced validation split as in spec §4 ("--validation_exp"), with a
// PCG stream instead of NumPy's generator (deviation: the same seed selects
// different images than the official code).
//
// The package is pure Go (no cgo) so that it tests and fuzzes quickly. The
// test fixtures in the repository's testdata/ directory are written by the
// generator in internal/gen; regenerate them with
//
//	go test ./pipeline/data -run TestFixturesUpToDate -update
package data
