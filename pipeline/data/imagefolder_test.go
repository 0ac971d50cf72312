package data

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"budgetrain/pipeline/data/internal/gen"
)

func TestReadImageFolderFixtureMatchesSource(t *testing.T) {
	src := gen.FolderSource()
	for _, split := range []string{"train", "test"} {
		t.Run(split, func(t *testing.T) {
			d, err := ReadImageFolder(fixture("imagefolder", split))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(d.Classes, gen.FolderClasses) {
				t.Errorf("classes %q, want the sorted folder names %q", d.Classes, gen.FolderClasses)
			}
			per := map[string]int{"train": 4, "test": 2}[split]
			if d.N != per*3 || d.H != gen.FolderSide || d.W != gen.FolderSide || d.C != 3 {
				t.Fatalf("shape N=%d H=%d W=%d C=%d, want %d 16 16 3", d.N, d.H, d.W, d.C, per*3)
			}
			// Images come class by class, files sorted: 0.png 1.jpg 2.png 3.jpg.
			for i := range d.N {
				class, k := d.Labels[i], i%per
				if class != i/per {
					t.Fatalf("label %d = %d, want %d", i, class, i/per)
				}
				ext := []string{".png", ".jpg"}[k%2]
				path := "imagefolder/" + split + "/" + gen.FolderClasses[class] + "/" + string(rune('0'+k)) + ext
				want, _ := appendRGB(nil, src[path])
				if ext == ".png" {
					if diff := maxAbsDiff(d.Image(i), want); diff != 0 {
						t.Errorf("%s: max pixel difference %d, want 0 (PNG is lossless)", path, diff)
					}
					continue
				}
				// JPEG is lossy, and 4:2:0 chroma subsampling blurs the
				// coloured block's edges, so compare on average.
				if diff := meanAbsDiff(d.Image(i), want); diff > 12 {
					t.Errorf("%s: mean pixel difference %.1f, want <= 12", path, diff)
				}
			}
		})
	}
}

// folder writes PNG files dir/<class>/<name> for each entry.
func folder(t *testing.T, files map[string]image.Image) string {
	dir := t.TempDir()
	for name, img := range files {
		var buf bytes.Buffer
		var err error
		if strings.HasSuffix(name, ".jpg") {
			err = jpeg.Encode(&buf, img, nil)
		} else {
			err = png.Encode(&buf, img)
		}
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, dir, name, buf.Bytes())
	}
	return dir
}

func grayImage(w, h int, v uint8) image.Image {
	m := image.NewGray(image.Rect(0, 0, w, h))
	for i := range m.Pix {
		m.Pix[i] = v + uint8(i)
	}
	return m
}

func TestReadImageFolderAllGrayGivesOneChannel(t *testing.T) {
	dir := folder(t, map[string]image.Image{"a/0.png": grayImage(3, 2, 10), "b/0.png": grayImage(3, 2, 50)})
	d, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.C != 1 || d.H != 2 || d.W != 3 || len(d.Pix) != 12 {
		t.Fatalf("C=%d H=%d W=%d len=%d, want 1 2 3 12", d.C, d.H, d.W, len(d.Pix))
	}
	if want := []byte{10, 11, 12, 13, 14, 15, 50, 51, 52, 53, 54, 55}; !bytes.Equal(d.Pix, want) {
		t.Errorf("pixels %v, want %v", d.Pix, want)
	}
}

func TestReadImageFolderMixedGrayAndColorGivesRGB(t *testing.T) {
	rgb := image.NewNRGBA(image.Rect(0, 0, 1, 1))
	rgb.Set(0, 0, color.NRGBA{200, 100, 50, 128}) // alpha is dropped, not blended
	dir := folder(t, map[string]image.Image{"a/0.png": grayImage(1, 1, 7), "b/0.png": rgb})
	d, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if want := []byte{7, 7, 7, 200, 100, 50}; d.C != 3 || !bytes.Equal(d.Pix, want) {
		t.Errorf("C=%d pixels %v, want 3 and %v", d.C, d.Pix, want)
	}
}

func TestReadImageFolderIgnoresOtherFiles(t *testing.T) {
	dir := folder(t, map[string]image.Image{"a/0.png": grayImage(2, 2, 0), "b/x.JPG": grayImage(2, 2, 9)})
	writeFile(t, dir, "a/notes.txt", []byte("not an image"))
	writeFile(t, dir, "a/.hidden.png", []byte("junk"))
	writeFile(t, dir, "README", []byte("top-level file"))
	d, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	if d.N != 2 || !slices.Equal(d.Labels, []int{0, 1}) {
		t.Errorf("N=%d labels %v, want 2 images labelled [0 1]", d.N, d.Labels)
	}
}

func TestReadImageFolderRejectsBadInput(t *testing.T) {
	for _, tc := range []struct {
		name  string
		files map[string]image.Image
		extra map[string]string
		want  []string
	}{
		{"MixedSizes", map[string]image.Image{"a/0.png": grayImage(4, 4, 0), "b/0.png": grayImage(4, 3, 0)}, nil,
			[]string{filepath.Join("b", "0.png"), "mixed image sizes: 4x3, want 4x4", filepath.Join("a", "0.png"), "set dataset.image_size"}},
		{"Undecodable", map[string]image.Image{"a/0.png": grayImage(2, 2, 0)}, map[string]string{"a/1.png": "garbage"},
			[]string{filepath.Join("a", "1.png"), "undecodable image"}},
		{"EmptyClass", map[string]image.Image{"a/0.png": grayImage(2, 2, 0)}, map[string]string{"b/readme.txt": "x"},
			[]string{"class folder has no .png/.jpg/.jpeg files"}},
		{"NoClasses", nil, map[string]string{"0.png": "x"}, []string{"no class folders"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := folder(t, tc.files)
			for name, s := range tc.extra {
				writeFile(t, dir, name, []byte(s))
			}
			_, err := ReadImageFolder(dir)
			wantErr(t, err, tc.want...)
		})
	}
	_, err := ReadImageFolder("/nonexistent/folder")
	wantErr(t, err, `"/nonexistent/folder"`)
}

func TestReadImageFolderJPEGColorsKeepChannelOrder(t *testing.T) {
	solid := image.NewNRGBA(image.Rect(0, 0, 16, 16))
	for i := 0; i < len(solid.Pix); i += 4 {
		copy(solid.Pix[i:], []byte{200, 100, 50, 255})
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, solid, &jpeg.Options{Quality: 100}); err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	writeFile(t, dir, "orange/0.jpg", buf.Bytes())
	d, err := ReadImageFolder(dir)
	if err != nil {
		t.Fatal(err)
	}
	want := bytes.Repeat([]byte{200, 100, 50}, 16*16)
	if d.C != 3 || maxAbsDiff(d.Pix, want) > 3 {
		t.Errorf("C=%d, first pixel %v, want 3 channels of about (200, 100, 50)", d.C, d.Pix[:3])
	}
}

// pngDeclaring returns a 1×1 RGB PNG whose header is rewritten to declare
// w×h pixels (with a valid header checksum), so that it is tiny on disk.
func pngDeclaring(t testing.TB, w, h uint32) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := png.Encode(&buf, image.NewRGBA(image.Rect(0, 0, 1, 1))); err != nil { // opaque → colour type 2 (RGB)
		t.Fatal(err)
	}
	b := buf.Bytes()
	// 8-byte signature, then the IHDR chunk: length, "IHDR", width, height, …, CRC-32 of type and data.
	if string(b[12:16]) != "IHDR" {
		t.Fatalf("unexpected PNG layout % x", b[:16])
	}
	binary.BigEndian.PutUint32(b[16:], w)
	binary.BigEndian.PutUint32(b[20:], h)
	binary.BigEndian.PutUint32(b[29:], crc32.ChecksumIEEE(b[12:29]))
	return b
}

// TestReadImageFolderRefusesHugeDeclaredImage: a PNG of a few dozen bytes
// whose header declares 120000×120000 pixels gets an error from its header
// alone, instead of the 57 GB allocation image.Decode would make (issue 8).
func TestReadImageFolderRefusesHugeDeclaredImage(t *testing.T) {
	dir := t.TempDir()
	b := pngDeclaring(t, 120000, 120000)
	if len(b) > 100 {
		t.Fatalf("test PNG has %d bytes, want a tiny file", len(b))
	}
	path := writeFile(t, dir, "a/huge.png", b)
	var err error
	n := allocated(func() { _, err = ReadImageFolder(dir) })
	wantErr(t, err, path, "png image of 120000x120000 pixels", "more than the 67108864-pixel limit")
	if n > 1<<20 {
		t.Errorf("allocated %d bytes to reject a %d-byte file, want at most 1 MiB", n, len(b))
	}
	// Under the limit, a lying header is caught by decoding (and costs at
	// most the limit's allocation).
	writeFile(t, dir, "a/huge.png", pngDeclaring(t, 300, 200))
	_, err = ReadImageFolder(dir)
	wantErr(t, err, path, "undecodable image")
}

// TestReadImageFolderRefusesMoreThanPixelLimit: the dataset's size is
// checked from the first image's header (or the image size asked for) and
// the file count before pixels are allocated, and the error states the
// estimate, the count, the size and what to change.
func TestReadImageFolderRefusesMoreThanPixelLimit(t *testing.T) {
	dir := folder(t, map[string]image.Image{"a/0.png": grayImage(100, 100, 0), "b/0.png": grayImage(100, 100, 0)})
	_, err := ReadImageFolderWith(dir, FolderOptions{MaxPixelBytes: 50_000})
	wantErr(t, err, dir, "2 images of 100x100 pixels need 0.00 GiB as RGB bytes, more than the 0.00 GiB limit (FolderOptions.MaxPixelBytes)",
		"dataset.image_size", "dataset.train_limit")
	// 2 × 3 × 64 × 64 = 24576 bytes fit after resizing, and exactly the limit fits.
	d, err := ReadImageFolderWith(dir, FolderOptions{MaxPixelBytes: 24576, ImageSize: 64})
	if err != nil || d.H != 64 || d.W != 64 {
		t.Fatalf("resized to 64: %v, %+v", err, d)
	}
	_, err = ReadImageFolderWith(dir, FolderOptions{MaxPixelBytes: 24575, ImageSize: 64})
	wantErr(t, err, "2 images of 64x64 pixels")
	// The estimate is made before decoding: a folder of corrupt files over the limit gets the
	// memory error, not a decoding one.
	bad := t.TempDir()
	writeFile(t, bad, "a/0.png", []byte("garbage"))
	_, err = ReadImageFolderWith(bad, FolderOptions{MaxPixelBytes: 100, ImageSize: 8})
	wantErr(t, err, "1 images of 8x8 pixels need")
}

func TestPixelLimitFromMeminfo(t *testing.T) {
	for _, tc := range []struct {
		name, meminfo string
		want          int64
		source        string
	}{
		{"Linux", "MemTotal:       16000000 kB\nMemFree:  100 kB\nMemAvailable:    8000000 kB\n", 8000000 << 10 / 4 * 3, "3/4 of the 7.6 GiB MemAvailable"},
		{"NoLine", "MemTotal: 5 kB\n", FallbackPixelBytes, "no MemAvailable line"},
		{"BadUnit", "MemAvailable: 5 MB\n", FallbackPixelBytes, `want "MemAvailable: N kB"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			old := meminfoPath
			meminfoPath = writeFile(t, t.TempDir(), "meminfo", []byte(tc.meminfo))
			t.Cleanup(func() { meminfoPath = old })
			got, source := PixelLimit()
			if got != tc.want || !strings.Contains(source, tc.source) {
				t.Errorf("PixelLimit() = %d, %q; want %d and a source saying %q", got, source, tc.want, tc.source)
			}
		})
	}
	old := meminfoPath
	meminfoPath = "/nonexistent/meminfo"
	t.Cleanup(func() { meminfoPath = old })
	if got, source := PixelLimit(); got != FallbackPixelBytes || !strings.Contains(source, "FallbackPixelBytes") {
		t.Errorf("without meminfo: %d, %q; want the fallback", got, source)
	}
}

// symlinkOrSkip creates a symbolic link, skipping the test where the
// system does not allow it.
func symlinkOrSkip(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Skipf("cannot create symbolic links here: %v", err)
	}
}

// TestReadImageFolderFollowsSymlinkedClassFolders: a class folder (or an
// image) that is a symbolic link is read like a real one; a link that
// cannot be followed, or that makes two classes of one folder, is an error
// naming it (issue 8: a linked class folder was silently dropped).
func TestReadImageFolderFollowsSymlinkedClassFolders(t *testing.T) {
	elsewhere := folder(t, map[string]image.Image{"b/0.png": grayImage(2, 2, 50), "b/1.png": grayImage(2, 2, 60), "x.png": grayImage(2, 2, 70)})
	newDir := func(t *testing.T) string {
		dir := folder(t, map[string]image.Image{"a/0.png": grayImage(2, 2, 10)})
		symlinkOrSkip(t, filepath.Join(elsewhere, "b"), filepath.Join(dir, "b"))
		return dir
	}
	t.Run("LinkedClassAndImage", func(t *testing.T) {
		dir := newDir(t)
		symlinkOrSkip(t, filepath.Join(elsewhere, "x.png"), filepath.Join(dir, "a", "1.png"))
		d, err := ReadImageFolder(dir)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(d.Classes, []string{"a", "b"}) || !slices.Equal(d.Labels, []int{0, 0, 1, 1}) {
			t.Fatalf("classes %q labels %v, want [a b] and [0 0 1 1]", d.Classes, d.Labels)
		}
		if got := []byte{d.Image(1)[0], d.Image(2)[0], d.Image(3)[0]}; !bytes.Equal(got, []byte{70, 50, 60}) {
			t.Errorf("first pixels of the linked images %v, want [70 50 60]", got)
		}
	})
	for _, tc := range []struct {
		name   string
		link   string // created in the dataset folder
		target string // relative to the dataset folder unless absolute
		want   []string
	}{
		{"Loop", "c", "c", []string{`symbolic link to "c" cannot be followed`, "too many levels of symbolic links"}},
		{"Broken", "c", "missing", []string{`symbolic link to "missing" cannot be followed`, "no such file or directory"}},
		{"SameFolderTwice", "c", "b", []string{`class folders "b" and "c" are the same directory`}},
		{"DatasetFolderItself", "c", ".", []string{`class folder "c" is a link to the dataset folder itself`}},
		{"BrokenImage", filepath.Join("a", "1.png"), "gone.png", []string{filepath.Join("a", "1.png"), `symbolic link to "gone.png" cannot be followed`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newDir(t)
			symlinkOrSkip(t, tc.target, filepath.Join(dir, tc.link))
			_, err := ReadImageFolder(dir)
			wantErr(t, err, tc.want...)
		})
	}
}

// FuzzDecodeImage: for any bytes, reading an image's header and decoding it
// never panics, never decodes more than the pixel limit given, and yields
// exactly the header's width × height pixels; a greyscale result has equal
// channels.
func FuzzDecodeImage(f *testing.F) {
	for _, img := range []image.Image{grayImage(3, 2, 7), image.NewRGBA(image.Rect(0, 0, 4, 4)), image.NewPaletted(image.Rect(0, 0, 2, 3), color.Palette{color.Black, color.White})} {
		var buf bytes.Buffer
		png.Encode(&buf, img)
		f.Add(buf.Bytes())
		buf.Reset()
		jpeg.Encode(&buf, img, nil)
		f.Add(buf.Bytes())
	}
	f.Add(pngDeclaring(f, 120000, 120000))
	const maxPixels = 1 << 16 // small, so that each input decodes quickly
	f.Fuzz(func(t *testing.T, b []byte) {
		cfg, err := imageConfig("fuzz", b, maxPixels)
		if err != nil {
			return
		}
		if cfg.Width <= 0 || cfg.Height <= 0 || int64(cfg.Width)*int64(cfg.Height) > maxPixels {
			t.Fatalf("accepted a header of %dx%d pixels", cfg.Width, cfg.Height)
		}
		img, err := decodeImage("fuzz", b, cfg)
		if err != nil {
			return
		}
		pix, gray := appendRGB(nil, img)
		if len(pix) != 3*cfg.Width*cfg.Height {
			t.Fatalf("%d RGB bytes for a %dx%d image", len(pix), cfg.Width, cfg.Height)
		}
		for i := 0; gray && i < len(pix); i += 3 {
			if pix[i] != pix[i+1] || pix[i] != pix[i+2] {
				t.Fatalf("greyscale image has pixel %v", pix[i:i+3])
			}
		}
	})
}
