package data

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

func TestReadSVHNFixturesMatchSource(t *testing.T) {
	for _, tc := range []struct {
		name  string
		file  string
		train bool
	}{{"CompressedUint8Labels", "train_32x32.mat", true}, {"PlainDoubleLabels", "test_32x32.mat", false}} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := ReadSVHNMat(fixture("svhn", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			src := gen.SVHNSource(tc.train)
			if d.N != src.N || d.H != 32 || d.W != 32 || d.C != 3 || len(d.Classes) != 10 {
				t.Fatalf("shape N=%d H=%d W=%d C=%d classes %d, want %d 32 32 3 10", d.N, d.H, d.W, d.C, len(d.Classes), src.N)
			}
			if !bytes.Equal(d.Pix, src.Pix) {
				t.Error("pixels (column-major to HWC) differ from the source")
			}
			for i, l := range d.Labels {
				if l != src.Labels[i] {
					t.Fatalf("label %d = %d, want %d (SVHN 10 means digit 0)", i, l, src.Labels[i])
				}
			}
		})
	}
}

// svhnBytes encodes a small non-square SVHN-like file, so that a swapped
// H and W or a wrong transposition shows up.
func svhnBytes(o binary.AppendByteOrder, compress bool, n int, labels []int, yType uint32) ([]byte, gen.Images) {
	im := gen.Learnable(11, n, 5, 7, 3, 10)
	return gen.SVHN(o, compress, n, 5, 7, 3, im.Pix, labels, yType), im
}

func TestReadSVHNByteOrdersAndCompression(t *testing.T) {
	labels := []int{10, 1, 9}
	for _, tc := range []struct {
		name     string
		o        binary.AppendByteOrder
		compress bool
		yType    uint32
	}{
		{"LittlePlainDouble", binary.LittleEndian, false, gen.MiDOUBLE},
		{"LittleCompressedUint8", binary.LittleEndian, true, gen.MiUINT8},
		{"BigPlainDouble", binary.BigEndian, false, gen.MiDOUBLE},
		{"BigCompressedDouble", binary.BigEndian, true, gen.MiDOUBLE},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, im := svhnBytes(tc.o, tc.compress, 3, labels, tc.yType)
			d, err := parseSVHNMat("s.mat", b)
			if err != nil {
				t.Fatal(err)
			}
			if d.H != 5 || d.W != 7 || !bytes.Equal(d.Pix, im.Pix) {
				t.Fatalf("got %dx%d image or pixels differ, want 5x7", d.H, d.W)
			}
			if want := []int{0, 1, 9}; d.Labels[0] != want[0] || d.Labels[1] != want[1] || d.Labels[2] != want[2] {
				t.Errorf("labels %v, want %v", d.Labels, want)
			}
		})
	}
}

func TestReadSVHNSingleImageDropsTrailingDim(t *testing.T) {
	im := gen.Learnable(2, 1, 4, 4, 3, 10)
	x := make([]byte, len(im.Pix)) // column-major [4,4,3]
	for ch := range 3 {
		for col := range 4 {
			for r := range 4 {
				x[r+4*(col+4*ch)] = im.Pix[(r*4+col)*3+ch]
			}
		}
	}
	b := gen.MAT(binary.LittleEndian, false,
		gen.MatVar{Name: "X", Class: gen.MxUINT8, Dims: []int{4, 4, 3}, Type: gen.MiUINT8, Data: x},
		gen.MatVar{Name: "y", Class: gen.MxDOUBLE, Dims: []int{1, 1}, Type: gen.MiUINT8, Data: []byte{4}})
	d, err := parseSVHNMat("one.mat", b)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 1 || d.Labels[0] != 4 || !bytes.Equal(d.Pix, im.Pix) {
		t.Errorf("N=%d label %v, want 1 image labelled 4 with the source pixels", d.N, d.Labels)
	}
}

func TestReadSVHNSkipsNonNumericVariables(t *testing.T) {
	good, _ := svhnBytes(binary.LittleEndian, false, 2, []int{1, 2}, gen.MiDOUBLE)
	cell := gen.MAT(binary.LittleEndian, true, gen.MatVar{Name: "notes", Class: gen.MxCELL, Dims: []int{1, 1}, Type: gen.MiUINT8, Data: []byte{0}})
	b := append(bytes.Clone(good), cell[128:]...)
	if _, err := parseSVHNMat("s.mat", b); err != nil {
		t.Fatal(err)
	}
}

func TestReadSVHNRejectsBadInput(t *testing.T) {
	le := binary.LittleEndian
	good, _ := svhnBytes(le, false, 3, []int{1, 2, 3}, gen.MiDOUBLE)
	goodZ, _ := svhnBytes(le, true, 3, []int{1, 2, 3}, gen.MiDOUBLE)
	with := func(at int, v ...byte) []byte {
		b := bytes.Clone(good)
		copy(b[at:], v)
		return b
	}
	corruptZ := bytes.Clone(goodZ)
	corruptZ[len(corruptZ)-3] ^= 0xff // inside the last zlib stream's checksum
	doubles := func(vs ...float64) []byte {
		var b []byte
		for _, v := range vs {
			b = le.AppendUint64(b, math.Float64bits(v))
		}
		return b
	}
	x := func(dims []int, data []byte) gen.MatVar {
		return gen.MatVar{Name: "X", Class: gen.MxUINT8, Dims: dims, Type: gen.MiUINT8, Data: data}
	}
	y := func(vs ...float64) gen.MatVar {
		return gen.MatVar{Name: "y", Class: gen.MxDOUBLE, Dims: []int{len(vs), 1}, Type: gen.MiDOUBLE, Data: doubles(vs...)}
	}
	x3 := x([]int{5, 7, 3, 3}, make([]byte, 5*7*3*3))
	for _, tc := range []struct {
		name string
		b    []byte
		want []string
	}{
		{"TruncatedHeader", good[:100], []string{`"s.mat"`, "truncated header: got 100 bytes, want 128"}},
		{"BadMagic", with(0, 'H', 'D', 'F'), []string{`bad magic "HDFLAB"`}},
		{"BadEndian", with(126, 'X', 'X'), []string{`bad endian indicator "XX"`}},
		{"Version73", with(124, 0, 2), []string{"unsupported MAT-file version 0x0200", "-v7.3"}},
		{"TruncatedElement", good[:len(good)-20], []string{"truncated element of type 14"}},
		{"TruncatedCompressed", goodZ[:len(goodZ)-20], []string{"truncated element of type 15"}},
		{"CorruptZlib", corruptZ, []string{"compressed element", "checksum"}},
		{"MissingY", gen.MAT(le, false, x3), []string{"want numeric variables X and y, found [X]"}},
		{"CountMismatch", gen.MAT(le, false, x3, y(1, 2)), []string{"y has 2 labels (dimensions [2 1]), but X has 3 images"}},
		{"LabelTooLarge", gen.MAT(le, false, x3, y(1, 11, 2)), []string{"y: label 11 at index 1 out of range [1, 10]"}},
		{"LabelZero", gen.MAT(le, false, x3, y(0, 1, 2)), []string{"label 0 at index 0 out of range"}},
		{"LabelFraction", gen.MAT(le, false, x3, y(1, 2, 2.5)), []string{"label 2.5 at index 2"}},
		{"XWrongSize", gen.MAT(le, false, x([]int{1, 1, 1, 2}, make([]byte, 10)), y(1, 2)), []string{`variable "X": wrong size: 10 bytes of type 2, want 2 values for dimensions [1 1 1 2]`}},
		{"XTooLarge", gen.MAT(le, false, x([]int{5, 7, 3, 3}, make([]byte, 10)), y(1, 2, 3)), []string{`variable "X": truncated data: dimensions [5 7 3 3]`}},
		{"XBadDims", gen.MAT(le, false, x([]int{105, 3}, make([]byte, 315)), y(1, 2, 3)), []string{"X has dimensions [105 3], want [H W C N]"}},
		{"XZeroImages", gen.MAT(le, false, x([]int{5, 7, 3, 0}, nil), y()), []string{"want no zero dimension"}},
		{"XOutOfRange", gen.MAT(le, false,
			gen.MatVar{Name: "X", Class: gen.MxDOUBLE, Dims: []int{1, 1, 1, 1}, Type: gen.MiDOUBLE, Data: doubles(300)}, y(1)),
			[]string{"X: value 300 at index 0 out of range [0, 255]"}},
		{"UnsupportedStorage", gen.MAT(le, false,
			gen.MatVar{Name: "X", Class: gen.MxUINT8, Dims: []int{1, 1, 1, 1}, Type: 8, Data: []byte{1, 2, 3, 4, 5, 6, 7, 8}}, y(1)),
			[]string{`variable "X": unsupported storage type 8`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseSVHNMat("s.mat", tc.b)
			wantErr(t, err, tc.want...)
		})
	}
}

// matClaiming returns a MAT-file with one miCOMPRESSED element holding an
// miMATRIX tag and payload zero bytes, stored uncompressed, whose tag
// declares as many bytes as the decompression-ratio check lets through.
func matClaiming(payload int) (b []byte, claimed int64) {
	le := binary.LittleEndian
	inner := make([]byte, 8+payload)
	z := storedZlib(inner) // the length does not depend on the tag's values
	claimed = maxInflated(len(z))
	le.PutUint32(inner, gen.MiMATRIX)
	le.PutUint32(inner[4:], uint32(claimed))
	z = storedZlib(inner)
	b = gen.MAT(le, false)
	b = le.AppendUint32(b, gen.MiCOMPRESSED)
	b = le.AppendUint32(b, uint32(len(z)))
	return append(b, z...), claimed
}

// TestReadSVHNAllocatesOnlyWhatTheFileHolds: a compressed variable that
// declares more bytes than its stream holds gets an error, having allocated
// about what it holds, not what it declares.
func TestReadSVHNAllocatesOnlyWhatTheFileHolds(t *testing.T) {
	b, claimed := matClaiming(64 << 10)
	var err error
	n := allocated(func() { _, err = parseSVHNMat("big.mat", b) })
	wantErr(t, err, `"big.mat"`, fmt.Sprintf("truncated compressed element: got %d bytes, want %d", 8+64<<10, 8+claimed))
	if limit := 3*uint64(len(b)) + 2<<20; n > limit {
		t.Errorf("allocated %d bytes for a %d-byte file declaring %d, want at most %d", n, len(b), claimed, limit)
	}
}

// TestReadSVHNRefusesMoreThanMaxBytes: compressed variables that really
// hold more than MaxBytes in total are refused before they are inflated.
func TestReadSVHNRefusesMoreThanMaxBytes(t *testing.T) {
	le := binary.LittleEndian
	withMaxBytes(t, 1<<20)
	x := gen.MatVar{Name: "X", Class: gen.MxUINT8, Dims: []int{32, 32, 3, 200}, Type: gen.MiUINT8, Data: make([]byte, 32*32*3*200)}
	y := gen.MatVar{Name: "y", Class: gen.MxDOUBLE, Dims: []int{200, 1}, Type: gen.MiUINT8, Data: bytes.Repeat([]byte{1}, 200)}
	extra := x
	extra.Name = "extra" // 614 kB each: over 1 MiB only together
	_, err := parseSVHNMat("bomb.mat", gen.MAT(le, true, x, extra, y))
	wantErr(t, err, `"bomb.mat"`, "decompressed variables of", "larger than the 1048576-byte limit")
	withMaxBytes(t, 1<<30)
	if _, err := parseSVHNMat("ok.mat", gen.MAT(le, true, x, extra, y)); err != nil {
		t.Fatalf("under the limit: %v", err)
	}
}

func FuzzParseSVHNMat(f *testing.F) {
	a, _ := svhnBytes(binary.LittleEndian, false, 2, []int{1, 10}, gen.MiDOUBLE)
	b, _ := svhnBytes(binary.LittleEndian, true, 2, []int{3, 4}, gen.MiUINT8)
	c, _ := svhnBytes(binary.BigEndian, true, 1, []int{5}, gen.MiDOUBLE)
	f.Add(a)
	f.Add(b)
	f.Add(c)
	f.Fuzz(func(t *testing.T, b []byte) {
		d, err := parseSVHNMat("fuzz.mat", b)
		if err != nil {
			return
		}
		if err := d.Validate(); err != nil {
			t.Fatalf("accepted an invalid dataset: %v", err)
		}
	})
}

func TestReadSVHNToleratesTrailingZeroPadding(t *testing.T) {
	b, im := svhnBytes(binary.LittleEndian, true, 2, []int{1, 2}, gen.MiDOUBLE)
	d, err := parseSVHNMat("s.mat", append(b, 0, 0, 0, 0))
	if err != nil || !bytes.Equal(d.Pix, im.Pix) {
		t.Fatalf("padded file: %v", err)
	}
	_, err = parseSVHNMat("s.mat", append(b, 0, 0, 1, 0))
	wantErr(t, err, "truncated element tag: got 4 bytes, want 8")
}
