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
// compressed MAT-file variable, or the pixels of one dataset file (IDX,
// CIFAR). Readers check a size against it before allocating, so a file
// whose header declares an absurd size gets an error instead of exhausting
// memory. The default, 8 GiB, is six times the largest dataset budgetrain
// uses (mini-ImageNet, 1.27 GB of pixels). An image folder's pixels, whose
// size comes from the file count rather than from one header, are bounded
// by the memory available instead (PixelLimit, FolderOptions.MaxPixelBytes).
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

// readFile reads a whole file, returning errors that name the file. Only a regular file (or a
// link to one) is read, and only within the size it has when opened: a FIFO would block the
// open forever and a device such as /dev/zero never ends. A file larger than MaxBytes is
// refused before it is read.
func readFile(path string) ([]byte, error) {
	// Stat before opening: opening a FIFO blocks until something writes to it.
	if fi, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	} else if err := regular(path, fi); err != nil {
		return nil, err
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("read %q: %w", path, err)
	}
	if err := regular(path, fi); err != nil { // replaced between the two looks
		return nil, err
	}
	if err := checkSize(path, "file", fi.Size()); err != nil {
		return nil, err
	}
	// Exactly the size seen: bytes appended while reading are not read.
	b := make([]byte, fi.Size())
	if _, err := io.ReadFull(f, b); err != nil {
		return nil, fmt.Errorf("read %q: %d bytes expected: %w", path, fi.Size(), err)
	}
	return b, nil
}

// regular returns an error naming path unless fi is a regular file.
func regular(path string, fi os.FileInfo) error {
	switch m := fi.Mode(); {
	case m.IsDir():
		return fmt.Errorf("read %q: is a directory, want a file", path)
	case !m.IsRegular():
		return fmt.Errorf("read %q: is a %s, want a regular file", path, kind(m))
	}
	return nil
}

// kind names a file mode that is not a regular file or a directory.
func kind(m os.FileMode) string {
	switch {
	case m&os.ModeNamedPipe != 0:
		return "named pipe (FIFO)"
	case m&os.ModeCharDevice != 0:
		return "character device"
	case m&os.ModeDevice != 0:
		return "device"
	case m&os.ModeSocket != 0:
		return "socket"
	}
	return "special file (" + m.String() + ")"
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

// readGrowing reads exactly size bytes from r, a decompressing reader of
// compressed bytes whose header declared size. It does not trust the
// declaration: the buffer starts at the compressed size (deflate expands
// incompressible data by only a few percent at worst, so a stream
// decompresses to at least nearly that many bytes) or 1 MiB, and doubles,
// never past size, as data really arrives. A small stream that claims gigabytes thus costs about
// twice what it holds, not what it claims, and a legitimate one is read in
// one pass. what names the part being read for errors.
func readGrowing(name, what string, r io.Reader, size int64, compressed int) ([]byte, error) {
	buf := make([]byte, 0, min(size, max(int64(compressed), 1<<20)))
	for int64(len(buf)) < size {
		if len(buf) == cap(buf) {
			grown := make([]byte, len(buf), min(size, 2*int64(cap(buf))))
			copy(grown, buf)
			buf = grown
		}
		n, err := r.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+n]
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("read %q: %s: %w", name, what, err)
		}
	}
	if int64(len(buf)) < size {
		return nil, fmt.Errorf("read %q: truncated %s: got %d bytes, want %d", name, what, len(buf), size)
	}
	return buf, nil
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
// a gzip reader verify its checksum. At most 1 MiB of extra bytes is
// counted for the error, so a stream with a huge tail fails fast.
func expectEOF(name string, r io.Reader, used int) error {
	const most = 1 << 20
	var one [1]byte
	n, err := io.ReadFull(r, one[:])
	switch {
	case n > 0:
		rest, _ := io.Copy(io.Discard, io.LimitReader(r, most))
		if rest == most {
			return fmt.Errorf("read %q: wrong size: more than %d unexpected bytes after the first %d", name, most, used)
		}
		return fmt.Errorf("read %q: wrong size: %d unexpected bytes after the first %d", name, rest+1, used)
	case errors.Is(err, io.EOF):
		return nil
	default:
		return fmt.Errorf("read %q: %w", name, err)
	}
}
