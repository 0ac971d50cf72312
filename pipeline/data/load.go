package data

import (
	"errors"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// Format names an on-disk layout of a dataset (Info.Format), which selects
// the reader Load uses. A new dataset in a known layout needs only a
// record; a new layout needs a constant here and its reader in readers.
type Format string

// The layouts Load reads; see Load for the files each expects.
const (
	FormatIDX               Format = "idx"             // MNIST's IDX files, gzipped or raw
	FormatCIFAR10           Format = "cifar10-binary"  // CIFAR-10 binary version
	FormatCIFAR100          Format = "cifar100-binary" // CIFAR-100 binary version, fine labels
	FormatSVHN              Format = "svhn-mat"        // SVHN cropped digits, MATLAB v5
	FormatImageFolder       Format = "imagefolder"     // dir/train, dir/test (or val), class folders
	FormatImageFolderOrFlat Format = "imagefolder-or-flat"
)

// Folder reports whether the layout is folders of image files, whose images
// can be resized (FolderOptions.ImageSize).
func (f Format) Folder() bool { return f == FormatImageFolder || f == FormatImageFolderOrFlat }

// readers maps each layout to the function reading one split from a
// directory laid out as the official archive unpacks. Only the image-folder
// readers use the options.
var readers = map[Format]func(dir string, train bool, info Info, o FolderOptions) (*Dataset, error){
	FormatIDX:               loadIDX,
	FormatCIFAR10:           loadCIFAR10,
	FormatCIFAR100:          loadCIFAR100,
	FormatSVHN:              loadSVHN,
	FormatImageFolder:       loadImageFolder,
	FormatImageFolderOrFlat: loadMiniImageNet,
}

// Load reads the training or the test split of a named dataset from dir.
// An empty dir means DefaultDir(name). The expected files depend on the
// dataset's Format:
//
//	idx (mnist, fashion-mnist): {train,t10k}-{images-idx3,labels-idx1}-ubyte[.gz]
//	cifar10-binary:  data_batch_1.bin … data_batch_5.bin, test_batch.bin
//	          (in dir or in dir/cifar-10-batches-bin)
//	cifar100-binary: train.bin, test.bin (in dir or dir/cifar-100-binary); fine labels
//	svhn-mat: train_32x32.mat, test_32x32.mat
//	imagefolder: dir/train and dir/test (or dir/val), one folder per class
//	imagefolder-or-flat (mini-imagenet): as imagefolder if dir/train exists;
//	          otherwise dir holds all 60,000 images in 100 class folders and
//	          is split as spec §4 does: a seed-42 permutation, the last sixth
//	          is the test set (deviation: a PCG permutation, not NumPy's, so
//	          the split differs from the official one).
//
// The images must have the size and labels the class count of Lookup(name).
func Load(name, dir string, train bool) (*Dataset, error) {
	return LoadWith(name, dir, train, FolderOptions{})
}

// LoadWith is Load with the options of the image-folder reader
// (ReadImageFolderWith) for the datasets read from image folders
// (Info.Folder: imagefolder, mini-imagenet). o.ImageSize > 0 is the size
// their images are resized and cropped to (mini-imagenet's then replaces
// its 84×84), and an error for the other datasets, whose images have one
// fixed size; o.Limit is applied while reading where the layout allows it
// (dir/train and dir/test folders), and ignored otherwise (all of a flat
// mini-imagenet folder is read, then split): the caller still cuts the
// result to its limit.
func LoadWith(name, dir string, train bool, o FolderOptions) (*Dataset, error) {
	info, err := Lookup(name)
	if err != nil {
		return nil, err
	}
	if o.ImageSize != 0 {
		if !info.Folder() {
			return nil, fmt.Errorf("load %s: image size %d given, but only image folders (%s) are resized", name, o.ImageSize, strings.Join(FolderNames(), ", "))
		}
		if info.H != 0 {
			info.H, info.W = o.ImageSize, o.ImageSize
		}
	}
	if dir == "" {
		dir = info.DefaultDir
	}
	if dir == "" {
		return nil, fmt.Errorf("load %s: no directory given and no default directory for it", name)
	}
	read, ok := readers[info.Format]
	if !ok {
		return nil, fmt.Errorf("load %s: no reader for its format %q", name, info.Format)
	}
	d, err := read(dir, train, info, o)
	if err != nil {
		return nil, fmt.Errorf("load %s: %w", name, err)
	}
	d.Name = name
	if info.H != 0 && (d.H != info.H || d.W != info.W || d.C != info.C) {
		return nil, fmt.Errorf("load %s from %q: images are %dx%dx%d (HxWxC), want %dx%dx%d",
			name, dir, d.H, d.W, d.C, info.H, info.W, info.C)
	}
	if err := d.Validate(); err != nil {
		return nil, fmt.Errorf("load %s from %q: %w", name, dir, err)
	}
	return d, nil
}

// splitName returns the name of a split in file names.
func splitName(train bool, trainName, testName string) string {
	if train {
		return trainName
	}
	return testName
}

// firstExisting returns the first of the paths that exists, or an error
// naming all of them.
func firstExisting(paths ...string) (string, error) {
	for _, p := range paths {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		} else if !errors.Is(err, fs.ErrNotExist) {
			return "", fmt.Errorf("stat %q: %w", p, err)
		}
	}
	if len(paths) == 1 {
		return "", fmt.Errorf("read %q: file does not exist", paths[0])
	}
	return "", fmt.Errorf("read %q: file does not exist (also tried %q)", paths[0], paths[1:])
}

// withClasses sets the class names of d after checking its labels against
// them; file names the label file for the error.
func withClasses(d *Dataset, file string, classes []string) (*Dataset, error) {
	if i, l, ok := firstBadLabel(d.Labels, len(classes)); !ok {
		return nil, fmt.Errorf("read %q: label %d at index %d out of range [0, %d)", file, l, i, len(classes))
	}
	d.Classes = slices.Clone(classes)
	return d, nil
}

func loadIDX(dir string, train bool, info Info, _ FolderOptions) (*Dataset, error) {
	prefix := splitName(train, "train", "t10k")
	var paths [2]string
	for i, kind := range []string{"-images-idx3-ubyte", "-labels-idx1-ubyte"} {
		base := filepath.Join(dir, prefix+kind)
		p, err := firstExisting(base+".gz", base)
		if err != nil {
			return nil, err
		}
		paths[i] = p
	}
	d, err := ReadIDX(paths[0], paths[1])
	if err != nil {
		return nil, err
	}
	return withClasses(d, paths[1], info.Classes)
}

func loadCIFAR10(dir string, train bool, info Info, _ FolderOptions) (*Dataset, error) {
	base, err := firstExisting(filepath.Join(dir, "data_batch_1.bin"), filepath.Join(dir, "cifar-10-batches-bin", "data_batch_1.bin"))
	if err != nil {
		return nil, err
	}
	base = filepath.Dir(base)
	files := []string{filepath.Join(base, "test_batch.bin")}
	if train {
		files = files[:0]
		for i := 1; i <= 5; i++ {
			files = append(files, filepath.Join(base, fmt.Sprintf("data_batch_%d.bin", i)))
		}
	}
	return ReadCIFAR10(files...)
}

func loadCIFAR100(dir string, train bool, info Info, _ FolderOptions) (*Dataset, error) {
	file := splitName(train, "train.bin", "test.bin")
	path, err := firstExisting(filepath.Join(dir, file), filepath.Join(dir, "cifar-100-binary", file))
	if err != nil {
		return nil, err
	}
	return ReadCIFAR100(true, path)
}

func loadSVHN(dir string, train bool, info Info, _ FolderOptions) (*Dataset, error) {
	path, err := firstExisting(filepath.Join(dir, splitName(train, "train", "test")+"_32x32.mat"))
	if err != nil {
		return nil, err
	}
	return ReadSVHNMat(path)
}

func loadImageFolder(dir string, train bool, info Info, o FolderOptions) (*Dataset, error) {
	trainDir := filepath.Join(dir, "train")
	testDir, err := firstExisting(filepath.Join(dir, "test"), filepath.Join(dir, "val"))
	if err != nil {
		return nil, err
	}
	// Labels index the sorted folder names, so both splits must have the
	// same folders or the same label would mean different classes.
	trainClasses, err := classFolders(trainDir)
	if err != nil {
		return nil, err
	}
	testClasses, err := classFolders(testDir)
	if err != nil {
		return nil, err
	}
	if !slices.Equal(trainClasses, testClasses) {
		return nil, fmt.Errorf("class folders differ: %q has %q, %q has %q", trainDir, trainClasses, testDir, testClasses)
	}
	return ReadImageFolderWith(splitName(train, trainDir, testDir), o)
}

// miniImageNetSeed is the data-split seed of spec §4.
const miniImageNetSeed = 42

func loadMiniImageNet(dir string, train bool, info Info, o FolderOptions) (*Dataset, error) {
	if _, err := os.Stat(filepath.Join(dir, "train")); err == nil {
		return loadImageFolder(dir, train, info, o)
	}
	o.Limit = 0 // the split permutes all images: a limit applies after it
	all, err := ReadImageFolderWith(dir, o)
	if err != nil {
		return nil, err
	}
	perm := rand.New(rand.NewPCG(miniImageNetSeed, streamMiniImageNet)).Perm(all.N)
	nTrain := all.N - all.N/6 // 50,000 of 60,000
	if train {
		return Subset(all, perm[:nTrain]), nil
	}
	return Subset(all, perm[nTrain:]), nil
}
