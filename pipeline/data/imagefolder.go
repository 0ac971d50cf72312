package data

import (
	"bytes"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the JPEG decoder with image.Decode
	_ "image/png"  // register the PNG decoder with image.Decode
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// imageExts are the file name extensions ReadImageFolder reads; other files
// (and names starting with '.') are ignored.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// ReadImageFolder reads a directory with one sub-directory per class, as
// torchvision's ImageFolder: the classes are the sorted sub-directory names
// and label k means "in the k-th folder". Files are read in sorted order
// within each class. PNG and JPEG files are decoded by content; every image
// must have the same width and height. The result has C = 1 if every image
// is greyscale and C = 3 (RGB, alpha dropped as PIL's convert("RGB") does)
// otherwise. An empty class folder is an error, since it would silently
// shift the labels of a split read from a sibling directory.
func ReadImageFolder(dir string) (*Dataset, error) {
	classes, err := classFolders(dir)
	if err != nil {
		return nil, err
	}
	d := &Dataset{C: 3, Classes: classes}
	allGray := true
	var first string
	for label, class := range classes {
		files, err := imageFiles(filepath.Join(dir, class))
		if err != nil {
			return nil, err
		}
		for _, path := range files {
			img, err := decodeImage(path)
			if err != nil {
				return nil, err
			}
			b := img.Bounds()
			if first == "" {
				first, d.H, d.W = path, b.Dy(), b.Dx()
				d.Pix = make([]uint8, 0, len(files)*len(classes)*d.H*d.W*3)
			} else if b.Dx() != d.W || b.Dy() != d.H {
				return nil, fmt.Errorf("read %q: mixed image sizes: %dx%d, want %dx%d as in %q",
					path, b.Dx(), b.Dy(), d.W, d.H, first)
			}
			var gray bool
			d.Pix, gray = appendRGB(d.Pix, img)
			allGray = allGray && gray
			d.Labels = append(d.Labels, label)
			d.N++
		}
	}
	if allGray {
		for i := range d.N * d.H * d.W {
			d.Pix[i] = d.Pix[3*i]
		}
		d.Pix, d.C = d.Pix[:d.N*d.H*d.W:d.N*d.H*d.W], 1
	}
	return d, nil
}

// classFolders returns the sorted sub-directory names of dir.
func classFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", dir, err)
	}
	var classes []string
	for _, e := range entries {
		if e.IsDir() && !strings.HasPrefix(e.Name(), ".") {
			classes = append(classes, e.Name())
		}
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("read %q: no class folders", dir)
	}
	slices.Sort(classes)
	return classes, nil
}

// imageFiles returns the sorted paths of the image files in dir.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if !e.IsDir() && !strings.HasPrefix(e.Name(), ".") && slices.Contains(imageExts, ext) {
			files = append(files, filepath.Join(dir, e.Name()))
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read %q: class folder has no %s files", dir, strings.Join(imageExts, "/"))
	}
	return files, nil
}

// decodeImage decodes one PNG or JPEG file.
func decodeImage(path string) (image.Image, error) {
	b, err := readFile(path)
	if err != nil {
		return nil, err
	}
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read %q: undecodable image: %w", path, err)
	}
	if r := img.Bounds(); r.Empty() {
		return nil, fmt.Errorf("read %q: empty %s image", path, format)
	}
	return img, nil
}

// appendRGB appends the pixels of img as RGB bytes, row by row, and reports
// whether img is greyscale.
func appendRGB(dst []uint8, img image.Image) ([]uint8, bool) {
	b := img.Bounds()
	switch m := img.(type) {
	case *image.Gray:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for _, v := range m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)] {
				dst = append(dst, v, v, v)
			}
		}
		return dst, true
	case *image.YCbCr:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			for x := b.Min.X; x < b.Max.X; x++ {
				yi, ci := m.YOffset(x, y), m.COffset(x, y)
				r, g, bl := color.YCbCrToRGB(m.Y[yi], m.Cb[ci], m.Cr[ci])
				dst = append(dst, r, g, bl)
			}
		}
		return dst, false
	case *image.NRGBA:
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
			for i := 0; i < len(row); i += 4 {
				dst = append(dst, row[i], row[i+1], row[i+2])
			}
		}
		return dst, false
	case *image.RGBA:
		// Opaque PNGs decode to RGBA; premultiplied equals straight when
		// alpha is 255, otherwise un-premultiply as the generic path does.
		for y := b.Min.Y; y < b.Max.Y; y++ {
			row := m.Pix[m.PixOffset(b.Min.X, y):m.PixOffset(b.Max.X, y)]
			for i := 0; i < len(row); i += 4 {
				if row[i+3] == 255 {
					dst = append(dst, row[i], row[i+1], row[i+2])
					continue
				}
				c := color.NRGBAModel.Convert(color.RGBA{row[i], row[i+1], row[i+2], row[i+3]}).(color.NRGBA)
				dst = append(dst, c.R, c.G, c.B)
			}
		}
		return dst, false
	}
	// Generic path (paletted, 16-bit, CMYK, premultiplied RGBA): convert
	// each pixel to non-premultiplied 8-bit RGBA and drop alpha.
	gray := img.ColorModel() == color.GrayModel || img.ColorModel() == color.Gray16Model
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			c := color.NRGBAModel.Convert(img.At(x, y)).(color.NRGBA)
			dst = append(dst, c.R, c.G, c.B)
		}
	}
	return dst, gray
}
