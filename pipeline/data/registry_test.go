package data

import (
	"errors"
	"fmt"
	"maps"
	"slices"
	"testing"
)

func TestNamesSortedAndAllLoadable(t *testing.T) {
	names := Names()
	want := []string{"cifar10", "cifar100", "fashion-mnist", "imagefolder", "mini-imagenet", "mnist", "svhn"}
	if !slices.Equal(names, want) {
		t.Errorf("Names() = %q, want %q", names, want)
	}
	// Every reader serves a dataset (the completeness test checks the converse).
	var used []Format
	for _, n := range names {
		info, _ := Lookup(n)
		used = append(used, info.Format)
	}
	for _, f := range slices.Sorted(maps.Keys(readers)) {
		if !slices.Contains(used, f) {
			t.Errorf("reader for format %q, but no dataset has it", f)
		}
	}
}

// TestRegistryRecordsAreComplete: every record says everything its kind of
// dataset needs, so that no caller has to keep a table of its own. Datasets
// of fixed shape (H > 0) have a shape, statistics, classes and split sizes;
// image folders get those from the data. Every record has a reader, a title
// and the augmentation numbers; downloadable datasets have checksummed
// files with distinct names.
func TestRegistryRecordsAreComplete(t *testing.T) {
	seen := map[string]string{} // name or alias → record
	for _, r := range registry {
		for _, n := range append([]string{r.Name}, r.Aliases...) {
			if other, dup := seen[n]; dup {
				t.Errorf("%q names both %s and %s", n, other, r.Name)
			}
			seen[n] = r.Name
		}
	}
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			info, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if info.Name == "" || info.Title == "" {
				t.Errorf("name %q title %q: want both", info.Name, info.Title)
			}
			if _, ok := readers[info.Format]; !ok {
				t.Errorf("format %q has no reader", info.Format)
			}
			if info.FlipProb < 0 || info.FlipProb > 1 || info.Pad < 0 {
				t.Errorf("flip %v pad %d out of range", info.FlipProb, info.Pad)
			}
			fixed := info.H > 0
			switch {
			case fixed && (info.W <= 0 || (info.C != 1 && info.C != 3)):
				t.Errorf("shape %dx%dx%d, want positive sides and 1 or 3 channels", info.H, info.W, info.C)
			case !fixed && (info.W != 0 || info.C != 0 || !info.Folder()):
				t.Errorf("shape %dx%dx%d: only an image folder may leave its shape to the data", info.H, info.W, info.C)
			}
			if fixed && (len(info.Mean) != info.C || len(info.Std) != info.C) {
				t.Errorf("C=%d but %d means and %d stds", info.C, len(info.Mean), len(info.Std))
			}
			if fixed && (info.TrainSize <= 0 || info.TestSize <= 0) {
				t.Errorf("train/test sizes %d/%d, want both known", info.TrainSize, info.TestSize)
			}
			if fixed && info.ValSamples <= 0 {
				t.Errorf("ValSamples %d, want > 0", info.ValSamples)
			}
			// A fixed label set is the record's; a folder's comes from its folder names.
			if !info.Folder() && len(info.Classes) == 0 {
				t.Errorf("no classes: only an image folder may leave them to the data")
			}
			if k := len(info.Classes); k > 0 && info.ValSamples%k != 0 {
				t.Errorf("ValSamples %d not divisible by %d classes", info.ValSamples, k)
			}
			files := map[string]bool{}
			for _, a := range info.Archives {
				if a.URL == "" || a.File == "" || a.Size <= 0 || (len(a.MD5) != 32 && len(a.SHA256) != 64) {
					t.Errorf("archive %+v: want a URL, a file name, a size and a checksum", a)
				}
				if files[a.File] {
					t.Errorf("archive file %q listed twice", a.File)
				}
				files[a.File] = true
			}
			if slices.Contains(DownloadNames(), name) != (len(info.Archives) > 0) {
				t.Errorf("DownloadNames %q disagrees with %d archives", DownloadNames(), len(info.Archives))
			}
			// A dataset that can be downloaded is one Load reads without
			// further steps, so it has a fixed format (not image folders).
			if len(info.Archives) > 0 && info.Folder() {
				t.Errorf("archives for an image folder: Download cannot lay them out")
			}
		})
	}
}

// TestAliasesAreNamedInErrors: an alias is not a dataset name, but the error
// says how to spell it; Canonical resolves it.
func TestAliasesAreNamedInErrors(t *testing.T) {
	for _, tc := range []struct{ alias, name string }{
		{"fashionmnist", "fashion-mnist"}, {"miniimagenet", "mini-imagenet"},
	} {
		if got, ok := Canonical(tc.alias); !ok || got != tc.name {
			t.Errorf("Canonical(%q) = %q, %v; want %q", tc.alias, got, ok, tc.name)
		}
		_, err := Lookup(tc.alias)
		if !errors.Is(err, ErrUnknownDataset) {
			t.Fatalf("Lookup(%q) error %v does not wrap ErrUnknownDataset", tc.alias, err)
		}
		wantErr(t, err, "known: cifar10", fmt.Sprintf("%q is spelled %q here", tc.alias, tc.name))
	}
	if _, ok := Canonical("imagenet"); ok {
		t.Error("Canonical(imagenet) resolved")
	}
	if got, _ := Canonical("svhn"); got != "svhn" {
		t.Errorf("Canonical(svhn) = %q", got)
	}
}

// TestLookupMatchesSizes pins the official split sizes (spec §4 for the
// paper's datasets; the MNIST pages for the others) that sweep planning uses.
func TestLookupMatchesSizes(t *testing.T) {
	for name, want := range map[string][2]int{
		"cifar10": {50000, 10000}, "cifar100": {50000, 10000}, "svhn": {73257, 26032},
		"mini-imagenet": {50000, 10000}, "mnist": {60000, 10000}, "fashion-mnist": {60000, 10000},
		"imagefolder": {0, 0},
	} {
		info, _ := Lookup(name)
		if got := [2]int{info.TrainSize, info.TestSize}; got != want {
			t.Errorf("%s: sizes %v, want %v", name, got, want)
		}
	}
	if got := FolderNames(); !slices.Equal(got, []string{"imagefolder", "mini-imagenet"}) {
		t.Errorf("FolderNames() = %q", got)
	}
}

func TestLookupInfoIsConsistent(t *testing.T) {
	for _, name := range Names() {
		t.Run(name, func(t *testing.T) {
			info, err := Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			if info.Name != name {
				t.Errorf("Name = %q", info.Name)
			}
			if info.C != 0 && (len(info.Mean) != info.C || len(info.Std) != info.C) {
				t.Errorf("C=%d but %d means and %d stds", info.C, len(info.Mean), len(info.Std))
			}
			for _, s := range info.Std {
				if s <= 0 {
					t.Errorf("std %v, want > 0", s)
				}
			}
			if info.FlipProb < 0 || info.FlipProb > 1 || info.Pad < 0 {
				t.Errorf("flip %v pad %d out of range", info.FlipProb, info.Pad)
			}
			if k := len(info.Classes); k > 0 && info.ValSamples%k != 0 {
				t.Errorf("ValSamples %d not divisible by %d classes", info.ValSamples, k)
			}
			seen := map[string]bool{}
			for _, c := range info.Classes {
				if seen[c] {
					t.Errorf("duplicate class %q", c)
				}
				seen[c] = true
			}
		})
	}
}

// TestLookupMatchesSpec pins the values given by spec §3.1 and the brief.
func TestLookupMatchesSpec(t *testing.T) {
	for _, tc := range []struct {
		name    string
		hw, c   int
		mean0   float32
		std0    float32
		flip    float64
		classes int
	}{
		{"cifar10", 32, 3, 0.4914, 0.2023, 0.5, 10},
		{"cifar100", 32, 3, 0.5071, 0.2675, 0.5, 100},
		{"svhn", 32, 3, 0.5, 0.5, 0, 10},
		{"mini-imagenet", 84, 3, 0.4728, 0.2744, 0.5, 0},
		{"fashion-mnist", 28, 1, 0.2860, 0.3530, 0, 10},
		{"mnist", 28, 1, 0.1307, 0.3081, 0, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			info, _ := Lookup(tc.name)
			if info.H != tc.hw || info.W != tc.hw || info.C != tc.c || info.Mean[0] != tc.mean0 || info.Std[0] != tc.std0 ||
				info.FlipProb != tc.flip || len(info.Classes) != tc.classes || info.Pad != 4 {
				t.Errorf("got %+v", info)
			}
		})
	}
	info, _ := Lookup("fashion-mnist")
	if info.Classes[0] != "T-shirt/top" || info.Classes[9] != "Ankle boot" {
		t.Errorf("fashion-mnist classes %q", info.Classes)
	}
	info, _ = Lookup("cifar100")
	if !slices.IsSorted(info.Classes) || info.Classes[1] != "aquarium_fish" || len(cifar100CoarseClasses) != 20 || !slices.IsSorted(cifar100CoarseClasses) {
		t.Errorf("cifar100 class lists are not the sorted 100 fine and 20 coarse names")
	}
}

func TestLookupReturnsCopies(t *testing.T) {
	a, _ := Lookup("cifar10")
	a.Mean[0], a.Classes[0], a.Archives[0].MD5 = 9, "changed", "changed"
	b, _ := Lookup("cifar10")
	if b.Mean[0] == 9 || b.Classes[0] == "changed" || b.Archives[0].MD5 == "changed" {
		t.Error("modifying a Lookup result changed the table")
	}
}

func TestLookupUnknownListsNames(t *testing.T) {
	_, err := Lookup("imagenet")
	if !errors.Is(err, ErrUnknownDataset) {
		t.Fatalf("error %v does not wrap ErrUnknownDataset", err)
	}
	wantErr(t, err, `"imagenet"`, "cifar10, cifar100")
	_, err = Load("imagenet", "/tmp", true)
	if !errors.Is(err, ErrUnknownDataset) {
		t.Errorf("Load error %v does not wrap ErrUnknownDataset", err)
	}
}

func TestDefaultDir(t *testing.T) {
	if got := DefaultDir("fashion-mnist"); got != "/usr/share/datasets/fashion-mnist" {
		t.Errorf("DefaultDir(fashion-mnist) = %q", got)
	}
	if got := DefaultDir("cifar10"); got != "" {
		t.Errorf("DefaultDir(cifar10) = %q, want none", got)
	}
	_, err := Load("cifar10", "", true)
	wantErr(t, err, "no directory given")
}

func TestArchivesHaveNoInventedChecksums(t *testing.T) {
	a := Archives("fashion-mnist")
	if len(a) != 4 {
		t.Fatalf("%d fashion-mnist archives, want 4", len(a))
	}
	for _, x := range a {
		if x.SHA256 != "" || len(x.MD5) != 32 || x.URL == "" || x.File == "" {
			t.Errorf("archive %+v: want a URL, a file name, the published MD5 and no SHA-256", x)
		}
	}
}
