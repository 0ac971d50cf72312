package data

import (
	"bytes"
	"errors"
	"fmt"
	"image"
	"image/color"
	_ "image/jpeg" // register the JPEG decoder with image.Decode
	_ "image/png"  // register the PNG decoder with image.Decode
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
)

// imageExts are the file name extensions ReadImageFolder reads; other files
// (and names starting with '.') are ignored.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// maxImagePixels is the largest width × height ReadImageFolder decodes
// (64 Mpx, e.g. 8192×8192). The decoders allocate the whole image from the
// size in its header, so a 74-byte PNG declaring 120000×120000 would ask
// for 57 GB; the header is read first and such an image is refused.
const maxImagePixels = 1 << 26

// ReadImageFolder reads a directory with one sub-directory per class, as
// torchvision's ImageFolder: the classes are the sorted sub-directory names
// and label k means "in the k-th folder". Files are read in sorted order
// within each class. PNG and JPEG files are decoded by content; every image
// must have the same width and height, of at most 64 Mpx, and all of them
// together at most MaxBytes as RGB. The result has C = 1 if every image is
// greyscale and C = 3 (RGB, alpha dropped as PIL's convert("RGB") does)
// otherwise. An empty class folder is an error, since it would silently
// shift the labels of a split read from a sibling directory.
//
// Symbolic links are followed, to class folders and to image files alike.
// A link that is broken or part of a loop is an error naming it, and so
// are two class folders that are the same directory (their images would
// get two labels) or a class folder that is dir itself.
func ReadImageFolder(dir string) (*Dataset, error) {
	classes, err := classFolders(dir)
	if err != nil {
		return nil, err
	}
	files := make([][]string, len(classes))
	total := 0
	for label, class := range classes {
		if files[label], err = imageFiles(filepath.Join(dir, class)); err != nil {
			return nil, err
		}
		total += len(files[label])
	}
	d := &Dataset{C: 3, Classes: classes}
	allGray := true
	var first string
	for label, paths := range files {
		for _, path := range paths {
			b, err := readFile(path)
			if err != nil {
				return nil, err
			}
			cfg, err := imageConfig(path, b, maxImagePixels)
			if err != nil {
				return nil, err
			}
			if first == "" {
				first, d.H, d.W = path, cfg.Height, cfg.Width
				need := int64(total) * int64(d.H) * int64(d.W) * 3
				if err := checkSize(dir, fmt.Sprintf("pixels of %d images of %dx%d", total, d.W, d.H), need); err != nil {
					return nil, err
				}
				d.Pix = make([]uint8, 0, need)
			} else if cfg.Width != d.W || cfg.Height != d.H {
				return nil, fmt.Errorf("read %q: mixed image sizes: %dx%d, want %dx%d as in %q",
					path, cfg.Width, cfg.Height, d.W, d.H, first)
			}
			img, err := decodeImage(path, b, cfg)
			if err != nil {
				return nil, err
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

// classFolders returns the sorted sub-directory names of dir, following
// symbolic links (see ReadImageFolder).
func classFolders(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", dir, err)
	}
	self, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", dir, err)
	}
	var classes []string
	var infos []fs.FileInfo
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") || (!e.IsDir() && e.Type()&fs.ModeSymlink == 0) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		fi, err := followed(path, e)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			continue
		}
		if os.SameFile(fi, self) {
			return nil, fmt.Errorf("read %q: class folder %q is a link to the dataset folder itself", path, e.Name())
		}
		for i, other := range infos {
			if os.SameFile(fi, other) {
				return nil, fmt.Errorf("read %q: class folders %q and %q are the same directory, so their images would get two labels",
					dir, classes[i], e.Name())
			}
		}
		classes = append(classes, e.Name())
		infos = append(infos, fi)
	}
	if len(classes) == 0 {
		return nil, fmt.Errorf("read %q: no class folders", dir)
	}
	slices.Sort(classes)
	return classes, nil
}

// followed returns the file info of a directory entry, following it if it
// is a symbolic link: the kernel reports a loop (ELOOP) instead of looping.
func followed(path string, e fs.DirEntry) (fs.FileInfo, error) {
	if e.Type()&fs.ModeSymlink == 0 {
		fi, err := e.Info()
		if err != nil {
			return nil, fmt.Errorf("read %q: %w", path, err)
		}
		return fi, nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		var pe *fs.PathError
		if errors.As(err, &pe) {
			err = pe.Err // the path is named below
		}
		target, _ := os.Readlink(path)
		return nil, fmt.Errorf("read %q: symbolic link to %q cannot be followed: %w", path, target, err)
	}
	return fi, nil
}

// imageFiles returns the sorted paths of the image files in dir, following
// symbolic links.
func imageFiles(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", dir, err)
	}
	var files []string
	for _, e := range entries {
		ext := strings.ToLower(filepath.Ext(e.Name()))
		if strings.HasPrefix(e.Name(), ".") || !slices.Contains(imageExts, ext) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		isDir := e.IsDir()
		if e.Type()&fs.ModeSymlink != 0 {
			fi, err := followed(path, e)
			if err != nil {
				return nil, err
			}
			isDir = fi.IsDir()
		}
		if !isDir {
			files = append(files, path)
		}
	}
	if len(files) == 0 {
		return nil, fmt.Errorf("read %q: class folder has no %s files", dir, strings.Join(imageExts, "/"))
	}
	return files, nil
}

// imageConfig reads the format and size of a PNG or JPEG image from its
// header, without decoding it, and checks that it has at least one and at
// most maxPixels pixels.
func imageConfig(name string, b []byte, maxPixels int64) (image.Config, error) {
	cfg, format, err := image.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return cfg, fmt.Errorf("read %q: undecodable image: %w", name, err)
	}
	if cfg.Width <= 0 || cfg.Height <= 0 {
		return cfg, fmt.Errorf("read %q: empty %s image (%dx%d)", name, format, cfg.Width, cfg.Height)
	}
	if px := int64(cfg.Width) * int64(cfg.Height); px > maxPixels {
		return cfg, fmt.Errorf("read %q: %s image of %dx%d pixels (%d), more than the %d-pixel limit",
			name, format, cfg.Width, cfg.Height, px, maxPixels)
	}
	return cfg, nil
}

// decodeImage decodes a PNG or JPEG image whose header imageConfig read as
// cfg, and checks that the decoded image has that size.
func decodeImage(name string, b []byte, cfg image.Config) (image.Image, error) {
	img, format, err := image.Decode(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("read %q: undecodable image: %w", name, err)
	}
	if r := img.Bounds(); r.Dx() != cfg.Width || r.Dy() != cfg.Height {
		return nil, fmt.Errorf("read %q: %s image decodes to %dx%d pixels, but its header says %dx%d",
			name, format, r.Dx(), r.Dy(), cfg.Width, cfg.Height)
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
