package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// MaxBytes is the largest number of bytes a reader allocates for one thing
// it reads: the contents of one file, one decompressed stream or
// compressed MAT-file variable, or the pixels of one dataset. Readers check
// a size against it before allocating, so a file whose header declares an
// absurd size gets an error instead of exhausting memory. The default,
// 8 GiB, is six times the largest dataset budgetrain uses (mini-ImageNet,
// 1.27 GB of pixels); raise it before reading a larger image folder.
var MaxBytes int64 = 8 << 30

// maxInflateRatio bounds how many bytes one compressed byte can expand to.
// Deflate's limit is about 1032:1; the bound lets readers reject a header
// that claims more data than the compressed stream could possibly hold
// before reading any of it, with an error that says so.
const maxInflateRatio = 1100

// maxInflated returns the largest plausible decompressed size of n bytes of
// deflate-compressed data.
func maxInflated(n int) int64 { return int64(n)*maxInflateRatio + 1<<16 }

// isGzip reports whether b starts with the gzip magic number 1f 8b.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// readFile reads a whole file, returning errors that name the file. A file
// larger than MaxBytes is refused before it is read.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	if fi.IsDir() {
		return nil, fmt.Errorf("read %q: is a directory, want a file", path)
	}
	if err := checkSize(path, "file", fi.Size()); err != nil {
		return nil, err
	}
	// Read at most one byte more than the size seen, so that a file that
	// grows while it is read cannot make the buffer grow without bound.
	b, err := io.ReadAll(io.LimitReader(f, min(fi.Size(), MaxBytes)+1))
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	if err := checkSize(path, "file", int64(len(b))); err != nil {
		return nil, err
	}
	return b, nil
}

// checkSize returns an error naming the file if n bytes of what exceed
// MaxBytes.
func checkSize(name, what string, n int64) error {
	if n > MaxBytes {
		return fmt.Errorf("read %q: %s of %d bytes is larger than the %d-byte limit (data.MaxBytes)", name, what, n, MaxBytes)
	}
	return nil
}

// openStream returns a reader over the contents of b, decompressing it if
// it is gzipped, together with an upper bound on the bytes it can yield.
func openStream(name string, b []byte) (r io.Reader, limit int64, err error) {
	if !isGzip(b) {
		return bytes.NewReader(b), int64(len(b)), nil
	}
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, 0, fmt.Errorf("read %q: gzip: %w", name, err)
	}
	return zr, maxInflated(len(b)), nil
}

// countRest reads r to its end without keeping the bytes and returns how
// many there were, reading at most max+1 (so a decompression bomb costs
// time bounded by max, not by what it expands to). Reaching the end also
// makes gzip and zlib readers verify their checksums.
func countRest(name, what string, r io.Reader, max int64) (int64, error) {
	n, err := io.Copy(io.Discard, io.LimitReader(r, max+1))
	if err != nil {
		return n, fmt.Errorf("read %q: %s: %w", name, what, err)
	}
	return n, nil
}

// readExact fills buf from r. what names the part being read for errors.
func readExact(name, what string, r io.Reader, buf []byte) error {
	n, err := io.ReadFull(r, buf)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("read %q: truncated %s: got %d bytes, want %d", name, what, n, len(buf))
	default:
		return fmt.Errorf("read %q: %s: %w", name, what, err)
	}
}

// expectEOF checks that r has no bytes left. Reading to the end also makes
// a gzip reader verify its checksum.
func expectEOF(name string, r io.Reader, used int) error {
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	switch {
	case n > 0:
		rest, _ := io.Copy(io.Discard, r)
		return fmt.Errorf("read %q: wrong size: %d unexpected bytes after the first %d", name, rest+1, used)
	case errors.Is(err, io.EOF):
		return nil
	default:
		return fmt.Errorf("read %q: %w", name, err)
	}
}
