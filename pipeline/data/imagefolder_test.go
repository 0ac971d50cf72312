package data

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
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
			[]string{filepath.Join("b", "0.png"), "mixed image sizes: 4x3, want 4x4", filepath.Join("a", "0.png")}},
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
