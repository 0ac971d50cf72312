package data

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

func TestReadIDXFixtureMatchesSource(t *testing.T) {
	d, err := ReadIDX(fixture("fashion-mnist", "train-images-idx3-ubyte.gz"), fixture("fashion-mnist", "train-labels-idx1-ubyte.gz"))
	if err != nil {
		t.Fatal(err)
	}
	src := gen.Learnable(1, gen.FashionTrainN, 28, 28, 1, 10)
	if d.N != gen.FashionTrainN || d.H != 28 || d.W != 28 || d.C != 1 {
		t.Fatalf("shape N=%d H=%d W=%d C=%d, want %d 28 28 1", d.N, d.H, d.W, d.C, gen.FashionTrainN)
	}
	if !bytes.Equal(d.Pix, src.Pix) {
		t.Error("pixels differ from the generator's source")
	}
	for i := range src.Labels {
		if d.Labels[i] != src.Labels[i] {
			t.Fatalf("label %d = %d, want %d", i, d.Labels[i], src.Labels[i])
		}
	}
	if err := d.Validate(); err != nil {
		t.Error(err)
	}
}

func TestReadIDXGzipAndRawAgree(t *testing.T) {
	im := gen.Learnable(5, 7, 4, 3, 1, 3)
	img, lbl := gen.IDXImages(im.N, im.H, im.W, im.Pix), gen.IDXLabels(im.Labels)
	dir := t.TempDir()
	raw, err := ReadIDX(writeFile(t, dir, "i", img), writeFile(t, dir, "l", lbl))
	if err != nil {
		t.Fatal(err)
	}
	gz, err := ReadIDX(writeFile(t, dir, "i.gz", gen.Gzip(img)), writeFile(t, dir, "l.gz", gen.Gzip(lbl)))
	if err != nil {
		t.Fatal(err)
	}
	if raw.H != 4 || raw.W != 3 || !bytes.Equal(raw.Pix, gz.Pix) || !bytes.Equal(raw.Pix, im.Pix) {
		t.Error("raw and gzipped files decode differently")
	}
	if len(raw.Classes) != 3 {
		t.Errorf("got %d classes, want 3 (largest label + 1)", len(raw.Classes))
	}
}

func TestReadIDXRejectsBadInput(t *testing.T) {
	im := gen.Learnable(5, 4, 3, 3, 1, 2)
	img, lbl := gen.IDXImages(im.N, im.H, im.W, im.Pix), gen.IDXLabels(im.Labels)
	badMagic := bytes.Clone(img)
	badMagic[3] = 2
	corrupt := gen.Gzip(img)
	corrupt[len(corrupt)-6] ^= 0xff // damage the CRC-32 in the gzip trailer
	for _, tc := range []struct {
		name     string
		img, lbl []byte
		want     []string
	}{
		{"BadImageMagic", badMagic, lbl, []string{`"x-images-idx3-ubyte"`, "bad magic 0x00000802, want 0x00000803"}},
		{"LabelsGivenAsImages", lbl, lbl, []string{"bad magic 0x00000801, want 0x00000803"}},
		{"BadLabelMagic", img, img, []string{`"x-labels-idx1-ubyte"`, "bad magic 0x00000803, want 0x00000801"}},
		{"TruncatedHeader", img[:10], lbl, []string{"truncated header: got 6 bytes, want 12"}},
		{"EmptyFile", nil, lbl, []string{"truncated header: got 0 bytes, want 4"}},
		{"TruncatedData", img[:len(img)-1], lbl, []string{`"x-images-idx3-ubyte"`, "truncated data", "[4 3 3]"}},
		{"TruncatedGzipData", gen.Gzip(img[:len(img)-5]), lbl, []string{"truncated data: got 31 bytes, want 36"}},
		{"TruncatedGzipStream", gen.Gzip(img)[:30], lbl, []string{`"x-images-idx3-ubyte"`}},
		{"CorruptGzip", corrupt, lbl, []string{"gzip: invalid checksum"}},
		{"TrailingData", append(bytes.Clone(img), 1, 2), lbl, []string{"wrong size: 2 unexpected bytes after the first 52"}},
		{"FewerLabels", img, gen.IDXLabels(im.Labels[:3]), []string{`"x-labels-idx1-ubyte": 3 labels, but "x-images-idx3-ubyte" has 4 images`}},
		{"MoreLabels", img, gen.IDXLabels(append(im.Labels, 0)), []string{"5 labels, but"}},
		{"NoImages", gen.IDXImages(0, 3, 3, nil), gen.IDXLabels(nil), []string{"empty image set"}},
		{"HugeHeader", gen.IDXImages(1<<31, 1<<20, 1<<20, nil), lbl, []string{"truncated data", "more than the 0 bytes"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseIDX("x-images-idx3-ubyte", tc.img, "x-labels-idx1-ubyte", tc.lbl)
			wantErr(t, err, tc.want...)
		})
	}
}

// idxClaiming returns a gzipped IDX image file of payload zero bytes, stored
// uncompressed, whose header claims as many 28×28 images as the
// decompression-ratio check lets through: far more than it holds.
func idxClaiming(payload int) (gz []byte, claimed int) {
	body := make([]byte, 16+payload)
	gz = storedGzip(body) // the length does not depend on the header's values
	claimed = int((maxInflated(len(gz)) - 16) / (28 * 28))
	return storedGzip(gen.IDXImages(claimed, 28, 28, body[16:])), claimed
}

// TestReadIDXAllocatesOnlyWhatTheFileHolds: a gzipped file whose header
// claims more images than it holds gets an error about its size, having
// allocated about what it holds, not what it claims (issue 8: a 27 MB file
// claiming 37.9 M images made the reader allocate 29.7 GB and crash).
func TestReadIDXAllocatesOnlyWhatTheFileHolds(t *testing.T) {
	lbl := gen.IDXLabels([]int{0})
	for _, tc := range []struct {
		name     string
		payload  int
		maxBytes int64  // 0: the default MaxBytes
		want     string // "": the truncated-data error
	}{
		{"64KiB", 64 << 10, 0, ""},
		{"27MB as reported", 27_100_000, 0, "of 29812384784 bytes is larger than the 8589934592-byte limit"},
		{"27MB under a raised MaxBytes", 27_100_000, 1 << 40, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.maxBytes != 0 {
				withMaxBytes(t, tc.maxBytes)
			}
			gz, claimed := idxClaiming(tc.payload)
			if tc.payload > 1<<20 && claimed < 37_900_000 {
				t.Fatalf("test file claims %d images, want at least the reported 37.9 M", claimed)
			}
			want := tc.want
			if want == "" {
				want = fmt.Sprintf("truncated data: got %d bytes, want %d", tc.payload, claimed*28*28)
			}
			var err error
			n := allocated(func() { _, err = parseIDX("big-images-idx3-ubyte.gz", gz, "labels", lbl) })
			wantErr(t, err, `"big-images-idx3-ubyte.gz"`, want)
			// readGrowing doubles its buffer from 1 MiB as data arrives.
			if limit := 3*uint64(tc.payload) + 2<<20; n > limit {
				t.Errorf("allocated %d bytes for a %d-byte file claiming %d images, want at most %d", n, len(gz), claimed, limit)
			}
		})
	}
}

// TestReadIDXRefusesMoreThanMaxBytes: a file that really holds more than
// MaxBytes (a decompression bomb) is refused before it is decompressed.
func TestReadIDXRefusesMoreThanMaxBytes(t *testing.T) {
	withMaxBytes(t, 1<<20)
	const n = 2000 // 2000 × 28 × 28 = 1.57 MB > 1 MiB
	img := gen.Gzip(gen.IDXImages(n, 28, 28, make([]byte, n*28*28)))
	lbl := gen.Gzip(gen.IDXLabels(make([]int, n)))
	_, err := parseIDX("bomb-images.gz", img, "labels.gz", lbl)
	wantErr(t, err, `"bomb-images.gz"`, "data of dimensions [2000 28 28]", "1568000 bytes is larger than the 1048576-byte limit")
	dir := t.TempDir()
	_, err = ReadIDX(writeFile(t, dir, "big", make([]byte, 1<<20+1)), writeFile(t, dir, "l", lbl))
	wantErr(t, err, "big", "file of 1048577 bytes is larger than the 1048576-byte limit")
}

func TestReadIDXNamesMissingFile(t *testing.T) {
	_, err := ReadIDX("/nonexistent/a-images", "/nonexistent/a-labels")
	wantErr(t, err, `"/nonexistent/a-images"`)
	if !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("error %v does not wrap fs.ErrNotExist", err)
	}
}

func FuzzParseIDX(f *testing.F) {
	im := gen.Learnable(9, 3, 2, 2, 1, 2)
	img, lbl := gen.IDXImages(im.N, im.H, im.W, im.Pix), gen.IDXLabels(im.Labels)
	f.Add(img, lbl)
	f.Add(gen.Gzip(img), gen.Gzip(lbl))
	f.Add(img[:9], lbl[:5])
	f.Fuzz(func(t *testing.T, img, lbl []byte) {
		d, err := parseIDX("images", img, "labels", lbl)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted an invalid dataset: %v", err)
		}
	})
}
