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
	"runtime"
	"slices"
	"strings"
	"sync"
)

// imageExts are the file name extensions ReadImageFolder reads; other files
// (and names starting with '.') are ignored.
var imageExts = []string{".png", ".jpg", ".jpeg"}

// maxImagePixels is the largest width × height ReadImageFolder decodes
// (64 Mpx, e.g. 8192×8192). The decoders allocate the whole image from the
// size in its header, so a 74-byte PNG declaring 120000×120000 would ask
// for 57 GB; the header is read first and such an image is refused.
const maxImagePixels = 1 << 26

// FolderOptions are the settings of ReadImageFolderWith. The zero value
// reads every image at its own size, which must be the same for all, on
// GOMAXPROCS goroutines, with PixelLimit as the memory bound.
type FolderOptions struct {
	// ImageSize S > 0 resizes every image so that its shorter side is S
	// (aspect kept, the longer side ⌊L·S/shorter⌋, Catmull-Rom filter,
	// antialiased when shrinking) and crops its centre S×S (offset
	// (side−S)/2 rounded half to even): torchvision's Resize(S) then
	// CenterCrop(S). 0 keeps every image's size, which must then be the
	// same for all. The config key dataset.image_size.
	ImageSize int
	// Limit > 0 reads only the first Limit images (classes in order, files
	// sorted within each): the first Limit images of the whole folder.
	Limit int
	// Workers is the number of goroutines decoding (0 = GOMAXPROCS). The
	// result does not depend on it.
	Workers int
	// MaxPixelBytes bounds the decoded pixels, counted as RGB bytes
	// (N × 3 × H × W), before anything is decoded: 0 = PixelLimit().
	MaxPixelBytes int64
	// Progress, when not nil, is called after each image is decoded with
	// the number done and the total, on the calling goroutine, done
	// increasing by one each call.
	Progress func(done, total int)
}

// ReadImageFolder is ReadImageFolderWith with the zero FolderOptions: every
// image must have the same size.
func ReadImageFolder(dir string) (*Dataset, error) {
	return ReadImageFolderWith(dir, FolderOptions{})
}

// ReadImageFolderWith reads a directory with one sub-directory per class,
// as torchvision's ImageFolder: the classes are the sorted sub-directory
// names and label k means "in the k-th folder". Files are read in sorted
// order within each class, and image i of the result is the i-th file in
// that order whatever the number of workers. PNG and JPEG files are decoded
// by content; every image may have at most 64 Mpx, and the decoded pixels
// of all of them at most o.MaxPixelBytes, checked from the file count and
// the size (o.ImageSize, or the first image's) before any image is
// decoded. With o.ImageSize 0 every image must have the first one's size.
// The result has C = 1 if every image is greyscale and C = 3 (RGB, alpha
// dropped as PIL's convert("RGB") does) otherwise. An empty class folder is
// an error, since it would silently shift the labels of a split read from
// a sibling directory. Of several bad files the error names the first in
// that order.
//
// Symbolic links are followed, to class folders and to image files alike.
// A link that is broken or part of a loop is an error naming it, and so
// are two class folders that are the same directory (their images would
// get two labels) or a class folder that is dir itself.
func ReadImageFolderWith(dir string, o FolderOptions) (*Dataset, error) {
	if o.ImageSize < 0 {
		return nil, fmt.Errorf("read %q: image size must be >= 0, got %d", dir, o.ImageSize)
	}
	classes, err := classFolders(dir)
	if err != nil {
		return nil, err
	}
	var paths []string
	var labels []int
	for label, class := range classes {
		files, err := imageFiles(filepath.Join(dir, class))
		if err != nil {
			return nil, err
		}
		paths = append(paths, files...)
		for range files {
			labels = append(labels, label)
		}
	}
	if o.Limit > 0 && o.Limit < len(paths) {
		paths, labels = paths[:o.Limit], labels[:o.Limit]
	}
	n, w, h := len(paths), o.ImageSize, o.ImageSize
	if o.ImageSize == 0 {
		b, err := readFile(paths[0])
		if err != nil {
			return nil, err
		}
		cfg, err := imageConfig(paths[0], b, maxImagePixels)
		if err != nil {
			return nil, err
		}
		w, h = cfg.Width, cfg.Height
	}
	if err := checkPixelBytes(dir, n, w, h, o); err != nil {
		return nil, err
	}
	d := &Dataset{N: n, H: h, W: w, C: 3, Classes: classes, Labels: labels, Pix: make([]uint8, n*h*w*3)}
	gray := make([]bool, n)
	err = forEachInOrder(n, o.Workers, o.Progress, func(i int) error {
		path := paths[i]
		b, err := readFile(path)
		if err != nil {
			return err
		}
		cfg, err := imageConfig(path, b, maxImagePixels)
		if err != nil {
			return err
		}
		if o.ImageSize == 0 && (cfg.Width != w || cfg.Height != h) {
			return fmt.Errorf("read %q: mixed image sizes: %dx%d, want %dx%d as in %q; set dataset.image_size to resize every image to one size",
				path, cfg.Width, cfg.Height, w, h, paths[0])
		}
		img, err := decodeImage(path, b, cfg)
		if err != nil {
			return err
		}
		// Each image appends into its own slot of d.Pix, so that workers
		// never share bytes and the order is that of the files.
		slot := d.Pix[i*h*w*3 : i*h*w*3 : (i+1)*h*w*3]
		if o.ImageSize == 0 {
			_, gray[i] = appendRGB(slot, img)
		} else {
			_, gray[i] = appendResizedRGB(slot, img, o.ImageSize)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !slices.Contains(gray, false) {
		for i := range d.N * d.H * d.W {
			d.Pix[i] = d.Pix[3*i]
		}
		d.Pix, d.C = d.Pix[:d.N*d.H*d.W:d.N*d.H*d.W], 1
	}
	return d, nil
}

// checkPixelBytes refuses to decode n images of w×h pixels when their RGB
// bytes exceed o.MaxPixelBytes (or PixelLimit()).
func checkPixelBytes(dir string, n, w, h int, o FolderOptions) error {
	limit, source := o.MaxPixelBytes, "FolderOptions.MaxPixelBytes"
	if limit <= 0 {
		limit, source = PixelLimit()
	}
	need := int64(n) * int64(w) * int64(h) * 3
	if need <= limit {
		return nil
	}
	return fmt.Errorf("read %q: %d images of %dx%d pixels need %.2f GiB as RGB bytes, more than the %.2f GiB limit (%s): "+
		"set a smaller dataset.image_size or dataset.train_limit", dir, n, w, h, gib(need), gib(limit), source)
}

// forEachInOrder calls f(i) for i in [0, n) on up to workers goroutines
// (0 = GOMAXPROCS), handing out indices in increasing order, and calls
// progress (if not nil) on the calling goroutine after each call that
// succeeded. After an error it hands out no more indices, waits for the
// calls under way and returns the error of the smallest failing index:
// every smaller index was handed out before it and has finished, so that
// is the first failing index in order, whatever the number of workers.
func forEachInOrder(n, workers int, progress func(done, total int), f func(i int) error) error {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	workers = max(min(workers, n), 1)
	type result struct {
		i   int
		err error
	}
	jobs := make(chan int)
	results := make(chan result)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range jobs {
				results <- result{i, f(i)}
			}
		}()
	}
	next, busy, done, errAt := 0, 0, 0, n
	var err error
	for (next < n && err == nil) || busy > 0 {
		var send chan<- int
		if next < n && err == nil {
			send = jobs
		}
		select {
		case send <- next:
			next++
			busy++
		case r := <-results:
			busy--
			if r.err != nil {
				if r.i < errAt {
					errAt, err = r.i, r.err
				}
				continue
			}
			done++
			if progress != nil && err == nil {
				progress(done, n)
			}
		}
	}
	close(jobs)
	wg.Wait()
	return err
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
