package gen

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
)

// Dirs are the testdata sub-directories the generator owns; Write replaces
// them entirely.
var Dirs = []string{"fashion-mnist", "cifar10", "cifar100", "svhn", "imagefolder"}

// Seeds of the fixture image sets; one per file so files are independent.
const (
	seedFashionTrain = 1 + iota
	seedFashionTest
	seedCIFAR10
	seedCIFAR100
	seedSVHNTrain
	seedSVHNTest
	seedFolder
)

// Fixture sizes.
const (
	FashionTrainN   = 64
	FashionTestN    = 32
	CIFAR10PerBatch = 3 // in each of data_batch_1…5
	CIFAR10TestN    = 6
	CIFAR100TrainN  = 8
	CIFAR100TestN   = 4
	SVHNTrainN      = 8
	SVHNTestN       = 4
	FolderSide      = 16 // imagefolder images are 16×16 RGB
)

// FolderClasses are the class folders of the imagefolder fixture.
var FolderClasses = []string{"blue", "green", "red"}

// Files returns every fixture file, keyed by slash-separated path relative
// to testdata/. The output is a pure function of this package's code (and
// of the standard library's compressors and encoders).
func Files() (map[string][]byte, error) {
	f := map[string][]byte{}
	for _, s := range []struct {
		split string
		seed  uint64
		n     int
	}{{"train", seedFashionTrain, FashionTrainN}, {"t10k", seedFashionTest, FashionTestN}} {
		im := Learnable(s.seed, s.n, 28, 28, 1, 10)
		f["fashion-mnist/"+s.split+"-images-idx3-ubyte.gz"] = Gzip(IDXImages(im.N, im.H, im.W, im.Pix))
		f["fashion-mnist/"+s.split+"-labels-idx1-ubyte.gz"] = Gzip(IDXLabels(im.Labels))
	}

	c10 := CIFAR10Source()
	per := 3 * 32 * 32
	for b := range 6 {
		lo, hi := b*CIFAR10PerBatch, (b+1)*CIFAR10PerBatch
		name := fmt.Sprintf("cifar10/data_batch_%d.bin", b+1)
		if b == 5 {
			hi, name = c10.N, "cifar10/test_batch.bin"
		}
		labels := make([][]byte, 0, hi-lo)
		for _, l := range c10.Labels[lo:hi] {
			labels = append(labels, []byte{byte(l)})
		}
		f[name] = CIFAR(labels, c10.Pix[lo*per:hi*per])
	}

	c100 := CIFAR100Source()
	for _, s := range []struct {
		name   string
		lo, hi int
	}{{"cifar100/train.bin", 0, CIFAR100TrainN}, {"cifar100/test.bin", CIFAR100TrainN, c100.N}} {
		var labels [][]byte
		for _, l := range c100.Labels[s.lo:s.hi] {
			labels = append(labels, []byte{byte(CIFAR100Coarse(l)), byte(l)})
		}
		f[s.name] = CIFAR(labels, c100.Pix[s.lo*per:s.hi*per])
	}

	// The real SVHN files are compressed with y stored as double; the train
	// fixture is compressed with y stored as uint8, the test fixture plain
	// with y stored as double, so both storage paths are exercised.
	train, test := SVHNSource(true), SVHNSource(false)
	f["svhn/train_32x32.mat"] = SVHN(binary.LittleEndian, true, train.N, 32, 32, 3, train.Pix, SVHNLabels(train.Labels), MiUINT8)
	f["svhn/test_32x32.mat"] = SVHN(binary.LittleEndian, false, test.N, 32, 32, 3, test.Pix, SVHNLabels(test.Labels), MiDOUBLE)

	for path, img := range FolderSource() {
		var buf bytes.Buffer
		var err error
		if filepath.Ext(path) == ".png" {
			err = png.Encode(&buf, img)
		} else {
			err = jpeg.Encode(&buf, img, &jpeg.Options{Quality: 95})
		}
		if err != nil {
			return nil, fmt.Errorf("encode %s: %w", path, err)
		}
		f[path] = buf.Bytes()
	}
	return f, nil
}

// CIFAR10Source returns the CIFAR-10 fixture images: 5×CIFAR10PerBatch
// training images (in batch order) followed by CIFAR10TestN test images.
func CIFAR10Source() Images {
	return Learnable(seedCIFAR10, 5*CIFAR10PerBatch+CIFAR10TestN, 32, 32, 3, 10)
}

// CIFAR100Source returns the CIFAR-100 fixture images (train then test);
// labels are fine labels spread over 0…99.
func CIFAR100Source() Images {
	im := Learnable(seedCIFAR100, CIFAR100TrainN+CIFAR100TestN, 32, 32, 3, 10)
	for i, l := range im.Labels {
		im.Labels[i] = l*10 + i%10 // keep the pattern's class in the tens digit
	}
	return im
}

// CIFAR100Coarse is the fixture's coarse label for a fine label. It is not
// CIFAR-100's real superclass mapping, only a value in range.
func CIFAR100Coarse(fine int) int { return fine / 5 }

// SVHNSource returns the SVHN fixture images with labels 0…9.
func SVHNSource(train bool) Images {
	if train {
		return Learnable(seedSVHNTrain, SVHNTrainN, 32, 32, 3, 10)
	}
	return Learnable(seedSVHNTest, SVHNTestN, 32, 32, 3, 10)
}

// SVHNLabels maps digit labels 0…9 to SVHN's 1…10 (digit 0 is 10).
func SVHNLabels(labels []int) []int {
	out := make([]int, len(labels))
	for i, l := range labels {
		out[i] = l
		if l == 0 {
			out[i] = 10
		}
	}
	return out
}

// FolderSource returns the imagefolder fixture images keyed by path:
// imagefolder/{train,test}/<class>/<n>.{png,jpg}. Train has two PNGs and two
// JPEGs per class, test one of each.
func FolderSource() map[string]*image.NRGBA {
	out := map[string]*image.NRGBA{}
	for s, split := range []string{"train", "test"} {
		per := 4 >> s
		im := Learnable(seedFolder+uint64(s), per*len(FolderClasses), FolderSide, FolderSide, 3, len(FolderClasses))
		count := map[int]int{}
		for i, l := range im.Labels {
			k := count[l]
			count[l]++
			ext := ".png"
			if k%2 == 1 {
				ext = ".jpg"
			}
			path := fmt.Sprintf("imagefolder/%s/%s/%d%s", split, FolderClasses[l], k, ext)
			out[path] = ToNRGBA(im, i)
		}
	}
	return out
}

// ToNRGBA converts image i of an RGB set to an opaque image.NRGBA.
func ToNRGBA(im Images, i int) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, im.W, im.H))
	src := im.Pix[i*im.H*im.W*im.C:]
	for p := range im.H * im.W {
		copy(m.Pix[4*p:4*p+3], src[3*p:3*p+3])
		m.Pix[4*p+3] = 255
	}
	return m
}

// Write replaces the generator's directories under root with Files().
func Write(root string) error {
	files, err := Files()
	if err != nil {
		return err
	}
	for _, d := range Dirs {
		if err := os.RemoveAll(filepath.Join(root, d)); err != nil {
			return err
		}
	}
	for path, b := range files {
		p := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			return err
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			return err
		}
	}
	return nil
}
