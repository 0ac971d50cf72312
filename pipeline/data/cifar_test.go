package data

import (
	"bytes"
	"fmt"
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

func cifar10Files(train bool) []string {
	if !train {
		return []string{fixture("cifar10", "test_batch.bin")}
	}
	var files []string
	for i := 1; i <= 5; i++ {
		files = append(files, fixture("cifar10", fmt.Sprintf("data_batch_%d.bin", i)))
	}
	return files
}

func TestReadCIFAR10FixtureMatchesSource(t *testing.T) {
	src := gen.CIFAR10Source()
	nTrain := 5 * gen.CIFAR10PerBatch
	for _, tc := range []struct {
		name   string
		train  bool
		lo, hi int
	}{{"Train", true, 0, nTrain}, {"Test", false, nTrain, src.N}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ReadCIFAR10(cifar10Files(tc.train)...)
			if err != nil {
				t.Fatal(err)
			}
			if d.N != tc.hi-tc.lo || d.H != 32 || d.W != 32 || d.C != 3 || len(d.Classes) != 10 {
				t.Fatalf("shape N=%d H=%d W=%d C=%d classes=%d, want %d 32 32 3 10", d.N, d.H, d.W, d.C, len(d.Classes), tc.hi-tc.lo)
			}
			per := 32 * 32 * 3
			if !bytes.Equal(d.Pix, src.Pix[tc.lo*per:tc.hi*per]) {
				t.Error("pixels (transposed from CHW to HWC) differ from the source")
			}
			for i, l := range d.Labels {
				if l != src.Labels[tc.lo+i] {
					t.Fatalf("label %d = %d, want %d", i, l, src.Labels[tc.lo+i])
				}
			}
		})
	}
}

func TestReadCIFAR100FineAndCoarse(t *testing.T) {
	src := gen.CIFAR100Source()
	for _, fine := range []bool{true, false} {
		t.Run(fmt.Sprint("Fine=", fine), func(t *testing.T) {
			d, err := ReadCIFAR100(fine, fixture("cifar100", "train.bin"), fixture("cifar100", "test.bin"))
			if err != nil {
				t.Fatal(err)
			}
			if d.N != src.N || !bytes.Equal(d.Pix, src.Pix) {
				t.Fatalf("N=%d or pixels differ from the source (N=%d)", d.N, src.N)
			}
			wantK := 20
			if fine {
				wantK = 100
			}
			if len(d.Classes) != wantK {
				t.Errorf("%d classes, want %d", len(d.Classes), wantK)
			}
			for i, l := range d.Labels {
				want := src.Labels[i]
				if !fine {
					want = gen.CIFAR100Coarse(want)
				}
				if l != want {
					t.Fatalf("label %d = %d, want %d", i, l, want)
				}
			}
		})
	}
}

func TestReadCIFARRejectsBadInput(t *testing.T) {
	im := gen.Learnable(3, 3, 32, 32, 3, 10)
	labels := [][]byte{{1}, {2}, {3}}
	good := gen.CIFAR(labels, im.Pix)
	for _, tc := range []struct {
		name string
		f    cifarFormat
		b    []byte
		want []string
	}{
		{"TruncatedRecord", cifar10Format, good[:len(good)-1], []string{`"f.bin"`, "truncated record 2", "file size 9218", "3073-byte record"}},
		{"ExtraBytes", cifar10Format, append(bytes.Clone(good), 0), []string{"truncated record 3"}},
		{"Empty", cifar10Format, nil, []string{"empty file"}},
		{"LabelOutOfRange", cifar10Format, gen.CIFAR([][]byte{{1}, {10}, {3}}, im.Pix), []string{"record 1: label 10 out of range [0, 10)"}},
		{"CIFAR10AsCIFAR100", cifar100Fine, good, []string{"3074-byte record"}},
		{"FineOutOfRange", cifar100Fine, gen.CIFAR([][]byte{{1, 100}}, im.Pix), []string{"record 0: label 100 out of range [0, 100)"}},
		{"CoarseOutOfRange", cifar100Fine, gen.CIFAR([][]byte{{20, 5}}, im.Pix), []string{"record 0: label 20 out of range [0, 20)"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseCIFAR(tc.f, "f.bin", tc.b)
			wantErr(t, err, tc.want...)
		})
	}
}

func TestReadCIFARNamesBadFile(t *testing.T) {
	dir := t.TempDir()
	good := writeFile(t, dir, "data_batch_1.bin", gen.CIFAR([][]byte{{1}}, make([]byte, 3072)))
	bad := writeFile(t, dir, "data_batch_2.bin", make([]byte, 3072))
	_, err := ReadCIFAR10(good, bad)
	wantErr(t, err, bad, "truncated record 0")
	_, err = ReadCIFAR10(good, dir+"/missing.bin")
	wantErr(t, err, "missing.bin", "no such file")
	_, err = ReadCIFAR10()
	wantErr(t, err, "no files given")
}

// TestReadCIFARRefusesMoreThanMaxBytes: the files' sizes are added up and
// checked before the dataset is allocated.
func TestReadCIFARRefusesMoreThanMaxBytes(t *testing.T) {
	withMaxBytes(t, 5000)
	dir := t.TempDir()
	rec := gen.CIFAR([][]byte{{1}}, make([]byte, 3072)) // 3073 bytes, under the limit alone
	a, b := writeFile(t, dir, "data_batch_1.bin", rec), writeFile(t, dir, "data_batch_2.bin", rec)
	_, err := ReadCIFAR10(a, b)
	wantErr(t, err, a, "pixels of 2 records in 2 files of 6144 bytes is larger than the 5000-byte limit")
	if _, err := ReadCIFAR10(a); err != nil {
		t.Errorf("one file under the limit: %v", err)
	}
}

func FuzzParseCIFAR(f *testing.F) {
	im := gen.Learnable(4, 2, 32, 32, 3, 10)
	f.Add(gen.CIFAR([][]byte{{1}, {9}}, im.Pix), false)
	f.Add(gen.CIFAR([][]byte{{1, 2}, {19, 99}}, im.Pix), true)
	f.Add([]byte{1, 2, 3}, true)
	f.Fuzz(func(t *testing.T, b []byte, hundred bool) {
		f := cifar10Format
		if hundred {
			f = cifar100Fine
		}
		d, err := parseCIFAR(f, "fuzz.bin", b)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted an invalid dataset: %v", err)
		}
	})
}
