package data

import (
	"maps"
	"slices"
)

// Archive is one file of a dataset's official distribution, as fetched by
// Download. Files whose name ends in .tar.gz or .tgz are unpacked into the
// dataset directory after verification; the others are used as they are.
type Archive struct {
	URL  string
	File string // name to save as, inside the dataset directory
	// Size is the file's length in bytes as reported by others who
	// downloaded it, or 0 if unknown. It is shown (data list), used as the
	// progress total when a server sends no length, and bounds what
	// Download accepts (MaxDownloadSize: Size plus a tolerance), so that a
	// wrong or malicious server cannot fill the disk; whether a file is
	// accepted is decided by the checksum.
	Size   int64
	SHA256 string // hex; empty: unknown
	MD5    string // hex, as published by the dataset authors; empty: unknown
}

// archives lists the distribution files of the datasets that have a
// canonical public archive. Every entry has a checksum, so Download can
// verify every file.
//
// The MD5 sums are those published by the dataset authors (the CIFAR page
// in Toronto, the SVHN page at Stanford, the Fashion-MNIST README of Zalando
// Research) and used by torchvision's dataset code; MNIST's are those of
// the original files, which the mirror torchvision uses serves unchanged.
// They were NOT re-verified against a download here: this machine has no
// internet. The Fashion-MNIST README is also shipped in Debian's
// dataset-fashion-mnist documentation, and its sums agree with the table.
// No SHA-256 is published upstream; Debian's Fashion-MNIST files were
// recompressed (their MD5 sums differ), so their SHA-256 sums would not
// match a download and are not given.
//
// The sizes were likewise not measured here. MNIST's are those on the
// original MNIST page; Fashion-MNIST's are those of Debian's recompressed
// files plus the gzip file-name field they lack (23 or 24 bytes); CIFAR's and
// SVHN's are those reported by independent downloads.
//
// mini-ImageNet has no canonical public archive and is left out.
var archives = map[string][]Archive{
	"cifar10": {
		{URL: "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz",
			File: "cifar-10-binary.tar.gz", Size: 170052171, MD5: "c32a1d4ab5d03f1284b67883e8d87530"},
	},
	"cifar100": {
		{URL: "https://www.cs.toronto.edu/~kriz/cifar-100-binary.tar.gz",
			File: "cifar-100-binary.tar.gz", Size: 168513733, MD5: "03b5dce01913d631647c71ecec9e9cb8"},
	},
	"svhn": {
		{URL: "http://ufldl.stanford.edu/housenumbers/train_32x32.mat",
			File: "train_32x32.mat", Size: 182040794, MD5: "e26dedcc434d2e4c54c9b2d4a06d8373"},
		{URL: "http://ufldl.stanford.edu/housenumbers/test_32x32.mat",
			File: "test_32x32.mat", Size: 64275384, MD5: "eb5a983be6a315427106f1b164d9cef3"},
	},
	"mnist": {
		{URL: "https://ossci-datasets.s3.amazonaws.com/mnist/train-images-idx3-ubyte.gz",
			File: "train-images-idx3-ubyte.gz", Size: 9912422, MD5: "f68b3c2dcbeaaa9fbdd348bbdeb94873"},
		{URL: "https://ossci-datasets.s3.amazonaws.com/mnist/train-labels-idx1-ubyte.gz",
			File: "train-labels-idx1-ubyte.gz", Size: 28881, MD5: "d53e105ee54ea40749a09fcbcd1e9432"},
		{URL: "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-images-idx3-ubyte.gz",
			File: "t10k-images-idx3-ubyte.gz", Size: 1648877, MD5: "9fb629c4189551a2d022fa330f9573f3"},
		{URL: "https://ossci-datasets.s3.amazonaws.com/mnist/t10k-labels-idx1-ubyte.gz",
			File: "t10k-labels-idx1-ubyte.gz", Size: 4542, MD5: "ec29112dd5afa0611ce80d1b7f02629c"},
	},
	"fashion-mnist": {
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz",
			File: "train-images-idx3-ubyte.gz", Size: 26421880, MD5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz",
			File: "train-labels-idx1-ubyte.gz", Size: 29515, MD5: "25c81989df183df01b3e8a0aad5dffbe"},
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz",
			File: "t10k-images-idx3-ubyte.gz", Size: 4422102, MD5: "bef4ecab320f06d8554ea6380940ec79"},
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz",
			File: "t10k-labels-idx1-ubyte.gz", Size: 5148, MD5: "bb300cfdad3c16e7a12a480ee83cd310"},
	},
}

// Archives returns the distribution files of a dataset (a copy), or nil if
// none are known.
func Archives(name string) []Archive {
	return append([]Archive(nil), archives[name]...)
}

// DownloadNames returns the names of the datasets that have archives, that
// is that Download can fetch, sorted.
func DownloadNames() []string { return slices.Sorted(maps.Keys(archives)) }
