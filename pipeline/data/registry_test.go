package data

import (
	"errors"
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
	if got := slices.Sorted(maps.Keys(loaders)); !slices.Equal(got, names) {
		t.Errorf("loaders cover %q, want every name in %q", got, names)
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
	a.Mean[0], a.Classes[0] = 9, "changed"
	b, _ := Lookup("cifar10")
	if b.Mean[0] == 9 || b.Classes[0] == "changed" {
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
