package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestResizedSizeKeepsAspectAndFloorsTheLongerSide(t *testing.T) {
	for _, tc := range []struct{ w, h, s, rw, rh int }{
		{40, 20, 16, 32, 16},
		{20, 40, 16, 16, 32},
		{500, 375, 224, 298, 224}, // 298.67 → 298, as torchvision's int(s * long / short)
		{375, 500, 224, 224, 298},
		{16, 16, 16, 16, 16},
		{7, 9, 16, 16, 20}, // upscaling: 20.57 → 20
		{3, 2, 2, 3, 2},
		{1, 1000, 4, 4, 4000},
	} {
		if rw, rh := resizedSize(tc.w, tc.h, tc.s); rw != tc.rw || rh != tc.rh {
			t.Errorf("resizedSize(%d, %d, %d) = %dx%d, want %dx%d", tc.w, tc.h, tc.s, rw, rh, tc.rw, tc.rh)
		}
	}
}

func TestCropOffsetRoundsHalfToEven(t *testing.T) {
	// Python: int(round((n - s) / 2.0)), round(0.5) = 0, round(1.5) = 2, round(2.5) = 2.
	for _, tc := range []struct{ n, s, want int }{
		{16, 16, 0}, {17, 16, 0}, {18, 16, 1}, {19, 16, 2}, {21, 16, 2}, {23, 16, 4}, {32, 16, 8}, {298, 224, 37},
	} {
		if got := cropOffset(tc.n, tc.s); got != tc.want {
			t.Errorf("cropOffset(%d, %d) = %d, want %d", tc.n, tc.s, got, tc.want)
		}
	}
}

var (
	red     = color.NRGBA{255, 0, 0, 255}
	green   = color.NRGBA{0, 255, 0, 255}
	magenta = color.NRGBA{255, 0, 255, 255}
	blue    = color.NRGBA{0, 0, 255, 255}
)

// stripes returns a 40×20 image (or 20×40 if tall) whose long axis holds,
// in order: 8 red, 12 green, 12 magenta and 8 blue pixels. Resized to a
// shorter side of 16 it is 32 long, and the centre crop keeps long-axis
// pixels 8..23 of the resized image, that is source pixels 10..30: the red
// and blue ends lie entirely outside it, green fills the crop's first half
// and magenta its second.
func stripes(tall bool) *image.NRGBA {
	w, h := 40, 20
	if tall {
		w, h = h, w
	}
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			p := x
			if tall {
				p = y
			}
			c := magenta
			switch {
			case p < 8:
				c = red
			case p < 20:
				c = green
			case p >= 32:
				c = blue
			}
			m.SetNRGBA(x, y, c)
		}
	}
	return m
}

// TestImageSizeCropsTheCentreOfTheLongerSide: a 40×20 image resized to 16
// is 16×16, its long axis keeps its order (green first), and the red and
// blue ends are cropped away. Pixels near the green/magenta edge are
// blends; the others are the exact colours (Catmull-Rom weights sum to 1).
func TestImageSizeCropsTheCentreOfTheLongerSide(t *testing.T) {
	for _, tall := range []bool{false, true} {
		t.Run(fmt.Sprintf("tall=%v", tall), func(t *testing.T) {
			dir := folder(t, map[string]image.Image{"a/0.png": stripes(tall)})
			d, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 16})
			if err != nil {
				t.Fatal(err)
			}
			if d.N != 1 || d.H != 16 || d.W != 16 || d.C != 3 || len(d.Pix) != 16*16*3 {
				t.Fatalf("N=%d H=%d W=%d C=%d len=%d, want 1 16 16 3 768", d.N, d.H, d.W, d.C, len(d.Pix))
			}
			for y := range 16 {
				for x := range 16 {
					p := x // position along the long axis
					if tall {
						p = y
					}
					var want color.NRGBA
					switch {
					case p <= 5: // source ≤ 18.9: green only
						want = green
					case p >= 10: // source ≥ 20.1 and ≤ 31.4: magenta only
						want = magenta
					default:
						continue
					}
					i := (y*16 + x) * 3
					got := d.Pix[i : i+3]
					if maxAbsDiff(got, []byte{want.R, want.G, want.B}) > 1 {
						t.Fatalf("pixel (%d, %d) = %v, want %v", x, y, got, want)
					}
				}
			}
		})
	}
}

// solid returns a w×h image of one colour.
func solid(w, h int, c color.NRGBA) *image.NRGBA {
	m := image.NewNRGBA(image.Rect(0, 0, w, h))
	for i := 0; i < len(m.Pix); i += 4 {
		copy(m.Pix[i:], []byte{c.R, c.G, c.B, c.A})
	}
	return m
}

// TestImageSizeReadsMixedSizesAndFormats: PNG and JPEG images of different
// sizes and aspect ratios, shrunk and enlarged, all come out S×S with their
// colour (JPEG within its loss), in folder order.
func TestImageSizeReadsMixedSizesAndFormats(t *testing.T) {
	c0, c1, c2, c3 := color.NRGBA{200, 100, 50, 255}, color.NRGBA{10, 220, 90, 255}, color.NRGBA{60, 60, 240, 255}, color.NRGBA{128, 0, 64, 255}
	dir := folder(t, map[string]image.Image{
		"cat/0.png": solid(40, 20, c0),
		"cat/1.jpg": solid(30, 50, c1),
		"dog/0.png": solid(16, 16, c2),
		"dog/1.png": solid(7, 9, c3), // enlarged
	})
	d, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 16})
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 4 || d.H != 16 || d.W != 16 || d.C != 3 || !slices.Equal(d.Labels, []int{0, 0, 1, 1}) || !slices.Equal(d.Classes, []string{"cat", "dog"}) {
		t.Fatalf("N=%d H=%d W=%d C=%d labels %v classes %v", d.N, d.H, d.W, d.C, d.Labels, d.Classes)
	}
	for i, c := range []color.NRGBA{c0, c1, c2, c3} {
		want := bytes.Repeat([]byte{c.R, c.G, c.B}, 16*16)
		tol := 1
		if i == 1 {
			tol = 6 // JPEG
		}
		if diff := maxAbsDiff(d.Image(i), want); diff > tol {
			t.Errorf("image %d: max difference %d from %v, want <= %d", i, diff, c, tol)
		}
	}
}

func TestImageSizeKeepsGreyscaleOneChannel(t *testing.T) {
	dir := folder(t, map[string]image.Image{"a/0.png": grayImage(40, 20, 10), "b/0.jpg": grayImage(9, 30, 50)})
	d, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	if d.C != 1 || d.H != 8 || d.W != 8 || len(d.Pix) != 2*8*8 {
		t.Fatalf("C=%d H=%d W=%d len=%d, want 1 8 8 128", d.C, d.H, d.W, len(d.Pix))
	}
}

// manyImages writes n solid images of varying sizes over three classes;
// image i (in folder order) has colour colourOf(i).
func manyImages(t *testing.T, n int) string {
	files := map[string]image.Image{}
	for i := range n {
		ext := []string{".png", ".jpg"}[i%2]
		files[fmt.Sprintf("c%d/%03d%s", i*3/n, i, ext)] = solid(10+i%7*5, 12+i%5*4, colourOf(i))
	}
	return folder(t, files)
}

func colourOf(i int) color.NRGBA { return color.NRGBA{uint8(i * 9), uint8(250 - i*9), 100, 255} }

// TestImageFolderOrderDoesNotDependOnWorkers: images and labels come in
// file order for any number of decoding goroutines, byte for byte, and
// the progress callback counts every image once, in order.
func TestImageFolderOrderDoesNotDependOnWorkers(t *testing.T) {
	const n = 24
	dir := manyImages(t, n)
	var first *Dataset
	for _, workers := range []int{1, 2, 3, 8, 0} {
		var calls []int
		d, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 12, Workers: workers, Progress: func(done, total int) {
			if total != n {
				t.Errorf("progress total %d, want %d", total, n)
			}
			calls = append(calls, done)
		}})
		if err != nil {
			t.Fatal(err)
		}
		if len(calls) != n || calls[0] != 1 || !slices.IsSorted(calls) || calls[n-1] != n {
			t.Errorf("workers=%d: progress calls %v, want 1..%d", workers, calls, n)
		}
		if first == nil {
			first = d
			for i := range n {
				c := colourOf(i)
				if diff := maxAbsDiff(d.Image(i), bytes.Repeat([]byte{c.R, c.G, c.B}, 12*12)); diff > 8 {
					t.Fatalf("image %d: max difference %d from its file's colour %v", i, diff, c)
				}
				if want := i * 3 / n; d.Labels[i] != want {
					t.Fatalf("label %d = %d, want %d", i, d.Labels[i], want)
				}
			}
			continue
		}
		if !bytes.Equal(d.Pix, first.Pix) || !slices.Equal(d.Labels, first.Labels) {
			t.Errorf("workers=%d: pixels or labels differ from workers=1", workers)
		}
	}
}

// TestImageFolderNamesTheFirstBadFile: of two corrupt files, the error
// names the first in folder order for any number of workers, even when the
// later one fails first.
func TestImageFolderNamesTheFirstBadFile(t *testing.T) {
	dir := manyImages(t, 24)
	first := writeFile(t, dir, filepath.Join("c1", "010x.png"), []byte("not a png"))
	writeFile(t, dir, filepath.Join("c2", "020x.jpg"), []byte("truncated"))
	for _, workers := range []int{1, 2, 4, 16} {
		_, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 8, Workers: workers})
		wantErr(t, err, first, "undecodable image")
	}
}

func TestImageFolderLimitReadsTheFirstImages(t *testing.T) {
	dir := manyImages(t, 12)
	all, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 8})
	if err != nil {
		t.Fatal(err)
	}
	d, err := ReadImageFolderWith(dir, FolderOptions{ImageSize: 8, Limit: 5})
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 5 || !bytes.Equal(d.Pix, all.Pix[:5*8*8*3]) || !slices.Equal(d.Labels, all.Labels[:5]) || !slices.Equal(d.Classes, all.Classes) {
		t.Errorf("limit 5: N=%d labels %v classes %v, want the first 5 of %v", d.N, d.Labels, d.Classes, all.Labels)
	}
}

func TestImageFolderRejectsNegativeImageSize(t *testing.T) {
	_, err := ReadImageFolderWith(t.TempDir(), FolderOptions{ImageSize: -1})
	wantErr(t, err, "image size must be >= 0, got -1")
}

// TestLoadWithImageSize: image folders (with train/test, and a flat
// mini-imagenet folder, whose 84×84 is replaced by the size asked for) are
// resized; the fixed-size datasets refuse an image size.
func TestLoadWithImageSize(t *testing.T) {
	dir := t.TempDir()
	for _, split := range []string{"train", "test"} {
		for i, size := range [][2]int{{40, 20}, {13, 17}} {
			for _, class := range []string{"x", "y"} {
				var buf bytes.Buffer
				if err := png.Encode(&buf, solid(size[0], size[1], red)); err != nil {
					t.Fatal(err)
				}
				writeFile(t, dir, filepath.Join(split, class, fmt.Sprintf("%d.png", i)), buf.Bytes())
			}
		}
	}
	d, err := LoadWith("imagefolder", dir, true, FolderOptions{ImageSize: 16, Limit: 3})
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 3 || d.H != 16 || d.W != 16 || d.Name != "imagefolder" {
		t.Errorf("imagefolder: N=%d H=%d W=%d name %q, want 3 16 16", d.N, d.H, d.W, d.Name)
	}
	_, err = Load("imagefolder", dir, false)
	wantErr(t, err, "mixed image sizes", "dataset.image_size")
	flat := filepath.Join(dir, "train")
	d, err = LoadWith("mini-imagenet", flat, true, FolderOptions{ImageSize: 16, Limit: 1})
	if err != nil {
		t.Fatal(err)
	}
	if d.H != 16 || d.N != 4-4/6 {
		t.Errorf("mini-imagenet: N=%d H=%d, want all 4 images read (the limit applies after the split) at 16", d.N, d.H)
	}
	_, err = LoadWith("cifar10", dir, true, FolderOptions{ImageSize: 16})
	wantErr(t, err, "load cifar10", "image size 16 given, but only image folders")
	if !strings.Contains(fmt.Sprint(Names()), "imagefolder") {
		t.Fatal("imagefolder not registered")
	}
}
