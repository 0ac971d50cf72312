package data

import (
	"bytes"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

func TestLoadFixtures(t *testing.T) {
	for _, tc := range []struct {
		name, dir             string
		trainN, testN, h, c   int
		firstClass, lastClass string
	}{
		{"fashion-mnist", "fashion-mnist", gen.FashionTrainN, gen.FashionTestN, 28, 1, "T-shirt/top", "Ankle boot"},
		{"mnist", "fashion-mnist", gen.FashionTrainN, gen.FashionTestN, 28, 1, "0", "9"},
		{"cifar10", "cifar10", 5 * gen.CIFAR10PerBatch, gen.CIFAR10TestN, 32, 3, "airplane", "truck"},
		{"cifar100", "cifar100", gen.CIFAR100TrainN, gen.CIFAR100TestN, 32, 3, "apple", "worm"},
		{"svhn", "svhn", gen.SVHNTrainN, gen.SVHNTestN, 32, 3, "0", "9"},
		{"imagefolder", "imagefolder", 12, 6, gen.FolderSide, 3, "blue", "red"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, train := range []bool{true, false} {
				d, err := Load(tc.name, fixture(tc.dir), train)
				if err != nil {
					t.Fatal(err)
				}
				wantN := tc.testN
				if train {
					wantN = tc.trainN
				}
				if d.Name != tc.name || d.N != wantN || d.H != tc.h || d.W != tc.h || d.C != tc.c {
					t.Errorf("train=%v: %s N=%d H=%d W=%d C=%d, want %s %d %d %d %d", train, d.Name, d.N, d.H, d.W, d.C, tc.name, wantN, tc.h, tc.h, tc.c)
				}
				if d.Classes[0] != tc.firstClass || d.Classes[len(d.Classes)-1] != tc.lastClass {
					t.Errorf("classes %q…%q, want %q…%q", d.Classes[0], d.Classes[len(d.Classes)-1], tc.firstClass, tc.lastClass)
				}
			}
		})
	}
}

// TestFashionFixtureIsLearnable checks that a nearest-centroid classifier
// fitted on the 64 training images labels the 32 test images well, so the
// fixture can drive a smoke training run.
func TestFashionFixtureIsLearnable(t *testing.T) {
	train, err := Load("fashion-mnist", fixture("fashion-mnist"), true)
	if err != nil {
		t.Fatal(err)
	}
	test, err := Load("fashion-mnist", fixture("fashion-mnist"), false)
	if err != nil {
		t.Fatal(err)
	}
	s := train.ImageSize()
	centroid := make([][]float64, 10)
	for k := range centroid {
		centroid[k] = make([]float64, s)
	}
	counts := train.ClassCounts()
	for i, l := range train.Labels {
		for p, v := range train.Image(i) {
			centroid[l][p] += float64(v) / float64(counts[l])
		}
	}
	correct := 0
	for i, l := range test.Labels {
		best, bestD := -1, 0.0
		for k, c := range centroid {
			d := 0.0
			for p, v := range test.Image(i) {
				d += (float64(v) - c[p]) * (float64(v) - c[p])
			}
			if best < 0 || d < bestD {
				best, bestD = k, d
			}
		}
		if best == l {
			correct++
		}
	}
	if correct < 29 {
		t.Errorf("nearest centroid got %d/32 test images right, want >= 29", correct)
	}
}

func TestLoadFindsArchiveSubfolders(t *testing.T) {
	dir := t.TempDir()
	for i := 1; i <= 5; i++ {
		name := filepath.Join("cifar-10-batches-bin", "data_batch_"+string(rune('0'+i))+".bin")
		b, _ := os.ReadFile(fixture("cifar10", filepath.Base(name)))
		writeFile(t, dir, name, b)
	}
	b, _ := os.ReadFile(fixture("cifar100", "test.bin"))
	writeFile(t, dir, filepath.Join("cifar-100-binary", "test.bin"), b)
	if d, err := Load("cifar10", dir, true); err != nil || d.N != 5*gen.CIFAR10PerBatch {
		t.Errorf("cifar10 from cifar-10-batches-bin: %v", err)
	}
	if d, err := Load("cifar100", dir, false); err != nil || d.N != gen.CIFAR100TestN {
		t.Errorf("cifar100 from cifar-100-binary: %v", err)
	}
}

func TestLoadReadsRawIDX(t *testing.T) {
	dir := t.TempDir()
	im := gen.Learnable(3, 4, 28, 28, 1, 10)
	writeFile(t, dir, "t10k-images-idx3-ubyte", gen.IDXImages(4, 28, 28, im.Pix))
	writeFile(t, dir, "t10k-labels-idx1-ubyte", gen.IDXLabels(im.Labels))
	d, err := Load("mnist", dir, false)
	if err != nil || !bytes.Equal(d.Pix, im.Pix) {
		t.Errorf("raw IDX files: err %v", err)
	}
}

func TestLoadRejectsBadData(t *testing.T) {
	empty := t.TempDir()
	idx := func(h, w int, labels []int) string {
		dir := t.TempDir()
		writeFile(t, dir, "train-images-idx3-ubyte.gz", gen.Gzip(gen.IDXImages(len(labels), h, w, make([]byte, len(labels)*h*w))))
		writeFile(t, dir, "train-labels-idx1-ubyte.gz", gen.Gzip(gen.IDXLabels(labels)))
		return dir
	}
	badLabels := idx(28, 28, []int{1, 12, 3})
	mismatched := t.TempDir()
	for _, p := range []string{"train/a/0.png", "train/b/0.png", "test/a/0.png"} {
		b, _ := os.ReadFile(fixture("imagefolder", "train", "red", "0.png"))
		writeFile(t, mismatched, p, b)
	}
	for _, tc := range []struct {
		name, dataset, dir string
		want               []string
	}{
		{"MissingIDX", "fashion-mnist", empty, []string{"load fashion-mnist", filepath.Join(empty, "train-images-idx3-ubyte.gz"), "does not exist", "also tried"}},
		{"MissingSVHN", "svhn", empty, []string{filepath.Join(empty, "train_32x32.mat"), "does not exist"}},
		{"MissingCIFAR", "cifar10", empty, []string{filepath.Join(empty, "data_batch_1.bin")}},
		{"LabelOutOfRange", "fashion-mnist", badLabels, []string{filepath.Join(badLabels, "train-labels-idx1-ubyte.gz"), "label 12 at index 1 out of range [0, 10)"}},
		{"WrongImageSize", "mnist", idx(3, 3, []int{1}), []string{"images are 3x3x1 (HxWxC), want 28x28x1"}},
		{"ImageFolderClassesDiffer", "imagefolder", mismatched, []string{"class folders differ", `["a" "b"]`, `["a"]`}},
		{"ImageFolderNoTest", "imagefolder", empty, []string{filepath.Join(empty, "test"), "does not exist"}},
		{"WrongImageFolderSizeForMiniImageNet", "mini-imagenet", fixture("imagefolder"), []string{"images are 16x16x3 (HxWxC), want 84x84x3"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.dataset, tc.dir, true)
			wantErr(t, err, tc.want...)
		})
	}
}

// miniImageNet writes 84×84 PNGs: perClass images of each of k classes,
// in dir/<prefix>class<k>/. Image j of class k has pixel (0,0) = 10k+j.
func miniImageNet(t *testing.T, dir, prefix string, k, perClass int) {
	for c := range k {
		im := gen.Learnable(uint64(c), perClass, 84, 84, 3, 1)
		for j := range perClass {
			img := gen.ToNRGBA(im, j)
			img.Pix[0] = byte(10*c + j)
			var buf bytes.Buffer
			if err := png.Encode(&buf, img); err != nil {
				t.Fatal(err)
			}
			writeFile(t, dir, filepath.Join(prefix+"class"+string(rune('0'+c)), string(rune('a'+j))+".png"), buf.Bytes())
		}
	}
}

func TestLoadMiniImageNetSplitsOneFolder(t *testing.T) {
	dir := t.TempDir()
	miniImageNet(t, dir, "", 2, 6)
	train, err := Load("mini-imagenet", dir, true)
	if err != nil {
		t.Fatal(err)
	}
	test, err := Load("mini-imagenet", dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 10 || test.N != 2 {
		t.Fatalf("split %d/%d, want 10/2 (the last sixth is test)", train.N, test.N)
	}
	var all []int
	for _, d := range []*Dataset{train, test} {
		for i := range d.N {
			id := int(d.Image(i)[0])
			all = append(all, id)
			if id/10 != d.Labels[i] {
				t.Errorf("image %d has label %d, want %d", id, d.Labels[i], id/10)
			}
		}
	}
	slices.Sort(all)
	if want := []int{0, 1, 2, 3, 4, 5, 10, 11, 12, 13, 14, 15}; !slices.Equal(all, want) {
		t.Errorf("train ∪ test = %v, want every image once %v", all, want)
	}
	again, _ := Load("mini-imagenet", dir, false)
	if !bytes.Equal(again.Pix, test.Pix) {
		t.Error("the seed-42 split is not deterministic")
	}
}

func TestLoadMiniImageNetUsesTrainTestFolders(t *testing.T) {
	dir := t.TempDir()
	miniImageNet(t, dir, "train/", 2, 3)
	miniImageNet(t, dir, "test/", 2, 1)
	train, err := Load("mini-imagenet", dir, true)
	if err != nil {
		t.Fatal(err)
	}
	test, err := Load("mini-imagenet", dir, false)
	if err != nil {
		t.Fatal(err)
	}
	if train.N != 6 || test.N != 2 || !slices.Equal(train.Classes, []string{"class0", "class1"}) {
		t.Errorf("N %d/%d classes %q, want 6/2 [class0 class1]", train.N, test.N, train.Classes)
	}
}
