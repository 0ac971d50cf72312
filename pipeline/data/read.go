package data

import (
	"bytes"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"os"
)

// maxInflateRatio bounds how many bytes one compressed byte can expand to.
// Deflate's limit is about 1032:1; the bound lets readers reject a header
// that claims more data than the compressed stream could possibly hold
// before allocating for it (and keeps fuzzing from allocating gigabytes).
const maxInflateRatio = 1100

// maxInflated returns the largest plausible decompressed size of n bytes of
// deflate-compressed data.
func maxInflated(n int) int64 { return int64(n)*maxInflateRatio + 1<<16 }

// isGzip reports whether b starts with the gzip magic number 1f 8b.
func isGzip(b []byte) bool { return len(b) >= 2 && b[0] == 0x1f && b[1] == 0x8b }

// readFile reads a whole file, returning errors that name the file.
func readFile(path string) ([]byte, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	return b, nil
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
