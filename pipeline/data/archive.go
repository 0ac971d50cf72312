package data

// Archive is one file of a dataset's official distribution, for a future
// download command. A checksum field is empty when no checksum is known for
// certain; a downloader must then say that it cannot verify the file.
type Archive struct {
	URL    string
	File   string // name to save as, inside the dataset directory
	SHA256 string // hex; empty: unknown
	MD5    string // hex, as published by the dataset authors; empty: unknown
}

// archives lists the known distribution files. Only Fashion-MNIST is listed:
// its URLs and MD5 sums are those published in the dataset's README (shipped
// in Debian's dataset-fashion-mnist documentation). No SHA-256 is published
// upstream, and the files in the Debian package were recompressed (their
// MD5 sums differ), so their SHA-256 sums would not match a download and are
// not given. CIFAR, SVHN and mini-ImageNet are left out: no checksum for
// them is available here to confirm.
var archives = map[string][]Archive{
	"fashion-mnist": {
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-images-idx3-ubyte.gz",
			File: "train-images-idx3-ubyte.gz", MD5: "8d4fb7e6c68d591d4c3dfef9ec88bf0d"},
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/train-labels-idx1-ubyte.gz",
			File: "train-labels-idx1-ubyte.gz", MD5: "25c81989df183df01b3e8a0aad5dffbe"},
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-images-idx3-ubyte.gz",
			File: "t10k-images-idx3-ubyte.gz", MD5: "bef4ecab320f06d8554ea6380940ec79"},
		{URL: "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/t10k-labels-idx1-ubyte.gz",
			File: "t10k-labels-idx1-ubyte.gz", MD5: "bb300cfdad3c16e7a12a480ee83cd310"},
	},
}

// Archives returns the distribution files of a dataset (a copy), or nil if
// none are known.
func Archives(name string) []Archive {
	return append([]Archive(nil), archives[name]...)
}
