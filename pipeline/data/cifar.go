package data

import (
	"fmt"
	"os"
	"slices"
)

// CIFAR binary-version geometry: each record is the label byte(s) followed
// by a 32×32 image stored channel-major (1024 R, 1024 G, 1024 B bytes,
// each plane row-major).
const (
	cifarSide   = 32
	cifarPixels = cifarSide * cifarSide * 3
)

// cifarFormat describes one of the two CIFAR record layouts.
type cifarFormat struct {
	labelBytes int // 1 for CIFAR-10; 2 (coarse, fine) for CIFAR-100
	label      int // index of the label byte that is returned
	classes    []string
	ranges     []int // number of valid values of each label byte
}

var (
	cifar10Format  = cifarFormat{labelBytes: 1, label: 0, classes: cifar10Classes, ranges: []int{10}}
	cifar100Fine   = cifarFormat{labelBytes: 2, label: 1, classes: cifar100FineClasses, ranges: []int{20, 100}}
	cifar100Coarse = cifarFormat{labelBytes: 2, label: 0, classes: cifar100CoarseClasses, ranges: []int{20, 100}}
)

// ReadCIFAR10 reads and concatenates CIFAR-10 binary batch files
// (data_batch_1.bin … data_batch_5.bin, test_batch.bin), in the order given.
func ReadCIFAR10(files ...string) (*Dataset, error) {
	return readCIFAR(cifar10Format, files)
}

// ReadCIFAR100 reads and concatenates CIFAR-100 binary files (train.bin,
// test.bin). With fine = true the labels are the 100 fine classes,
// otherwise the 20 coarse superclasses. Both label bytes are range-checked
// either way.
func ReadCIFAR100(fine bool, files ...string) (*Dataset, error) {
	if fine {
		return readCIFAR(cifar100Fine, files)
	}
	return readCIFAR(cifar100Coarse, files)
}

// readCIFAR counts the records of every file from its size, checks the
// total against MaxBytes, allocates the dataset once and then reads and
// decodes one file at a time, so that memory holds the pixels and one raw
// file rather than every raw file at once.
func readCIFAR(f cifarFormat, files []string) (*Dataset, error) {
	if len(files) == 0 {
		return nil, fmt.Errorf("read cifar: no files given")
	}
	counts := make([]int, len(files))
	n := 0
	for i, path := range files {
		fi, err := os.Stat(path)
		if err != nil {
			return nil, fmt.Errorf("read %q: %w", path, err)
		}
		if counts[i], err = cifarRecords(f, path, fi.Size()); err != nil {
			return nil, err
		}
		n += counts[i]
	}
	if err := checkSize(files[0], fmt.Sprintf("pixels of %d records in %d files", n, len(files)), int64(n)*cifarPixels); err != nil {
		return nil, err
	}
	d := &Dataset{N: n, H: cifarSide, W: cifarSide, C: 3,
		Pix: make([]uint8, n*cifarPixels), Labels: make([]int, n), Classes: slices.Clone(f.classes)}
	at := 0
	for i, path := range files {
		b, err := readFile(path)
		if err != nil {
			return nil, err
		}
		k, err := decodeCIFAR(f, path, b, d.Pix[at*cifarPixels:], d.Labels[at:])
		if err != nil {
			return nil, err
		}
		if k != counts[i] {
			return nil, fmt.Errorf("read %q: file changed while it was read: %d records, then %d", path, counts[i], k)
		}
		at += k
	}
	return d, nil
}

// cifarRecords checks the size of a CIFAR file and returns its record count.
func cifarRecords(f cifarFormat, name string, size int64) (int, error) {
	rec := int64(f.labelBytes + cifarPixels)
	if size == 0 {
		return 0, fmt.Errorf("read %q: empty file, want records of %d bytes", name, rec)
	}
	if size%rec != 0 {
		return 0, fmt.Errorf("read %q: truncated record %d: file size %d is not a multiple of the %d-byte record",
			name, size/rec, size, rec)
	}
	return int(size / rec), nil
}

// decodeCIFAR decodes the records of one file into pix (HWC) and labels,
// which must have room for them, and returns the record count.
func decodeCIFAR(f cifarFormat, name string, b []byte, pix []uint8, labels []int) (int, error) {
	n, err := cifarRecords(f, name, int64(len(b)))
	if err != nil {
		return 0, err
	}
	if len(pix) < n*cifarPixels || len(labels) < n {
		return 0, fmt.Errorf("read %q: file changed while it was read: %d records, room for %d", name, n, len(labels))
	}
	const plane = cifarSide * cifarSide
	rec := f.labelBytes + cifarPixels
	for i := range n {
		r := b[i*rec : (i+1)*rec]
		for j, k := range f.ranges {
			if int(r[j]) >= k {
				return 0, fmt.Errorf("read %q: record %d: label %d out of range [0, %d)", name, i, r[j], k)
			}
		}
		labels[i] = int(r[f.label])
		src := r[f.labelBytes:]
		dst := pix[i*cifarPixels : (i+1)*cifarPixels]
		for p := range plane {
			dst[3*p] = src[p]
			dst[3*p+1] = src[plane+p]
			dst[3*p+2] = src[2*plane+p]
		}
	}
	return n, nil
}

// parseCIFAR decodes one CIFAR file held in memory (used by the fuzz test).
func parseCIFAR(f cifarFormat, name string, b []byte) (*Dataset, error) {
	n, err := cifarRecords(f, name, int64(len(b)))
	if err != nil {
		return nil, err
	}
	d := &Dataset{N: n, H: cifarSide, W: cifarSide, C: 3,
		Pix: make([]uint8, n*cifarPixels), Labels: make([]int, n), Classes: slices.Clone(f.classes)}
	if _, err := decodeCIFAR(f, name, b, d.Pix, d.Labels); err != nil {
		return nil, err
	}
	return d, nil
}
