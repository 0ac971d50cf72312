package tfevents

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

// FileVersion is the file_version of the first record, which TensorBoard checks.
const FileVersion = "brain.Event:2"

// Prefix starts the name of every events file; TensorBoard loads the files of a folder whose
// names contain "tfevents", in name order.
const Prefix = "events.out.tfevents."

// FileName is the name TensorBoard's writers use, without their pid and counter:
// events.out.tfevents.<start, Unix seconds>.<host>. One run writes one file, so start and
// host are enough to tell files of different runs apart.
func FileName(start time.Time, host string) string {
	return fmt.Sprintf("%s%010d.%s", Prefix, start.Unix(), host)
}

// IsEventsFile reports whether a file name is one of FileName's.
func IsEventsFile(name string) bool { return strings.HasPrefix(name, Prefix) }

// Writer appends events to one file. Records are buffered: Flush (or Close) writes them, after
// which Size is the file's length. Not safe for concurrent use.
type Writer struct {
	f    *os.File
	w    *bufio.Writer
	size int64
	// Clock gives the wall_time of each event (time.Now by default).
	Clock func() time.Time
}

// Create makes a new events file at path (replacing one there) and writes its file_version
// record.
func Create(path string) (*Writer, error) { return create(path, time.Now) }

func create(path string, clock func() time.Time) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("create events file: %w", err)
	}
	w := newWriter(f, 0)
	w.Clock = clock
	if err := w.write(0, FileVersion, nil); err != nil {
		f.Close()
		return nil, err
	}
	return w, nil
}

// Open continues the events file at path after its first size bytes, cutting off the rest
// (the records a resumed run writes again). Those size bytes must be whole, intact records
// starting with the file_version record; otherwise Open names the problem and changes nothing.
func Open(path string, size int64) (*Writer, error) {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return nil, fmt.Errorf("open events file: %w", err)
	}
	if err := checkPrefix(f, size); err != nil {
		f.Close()
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	if err := f.Truncate(size); err != nil {
		f.Close()
		return nil, fmt.Errorf("events file %s: cut to %d bytes: %w", path, size, err)
	}
	if _, err := f.Seek(size, io.SeekStart); err != nil {
		f.Close()
		return nil, fmt.Errorf("events file %s: %w", path, err)
	}
	return newWriter(f, size), nil
}

// checkPrefix verifies that the first size bytes of f are whole records, the first one the
// file_version header.
func checkPrefix(f *os.File, size int64) error {
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() < size {
		return fmt.Errorf("%d bytes, expected at least %d", st.Size(), size)
	}
	events, err := read(io.LimitReader(f, size))
	if err != nil {
		return fmt.Errorf("first %d bytes: %w", size, err)
	}
	if len(events) == 0 || events[0].FileVersion != FileVersion {
		return fmt.Errorf("first %d bytes do not start with a %q record", size, FileVersion)
	}
	return nil
}

func newWriter(f *os.File, size int64) *Writer {
	return &Writer{f: f, w: bufio.NewWriter(f), size: size, Clock: time.Now}
}

func (w *Writer) write(step int64, fileVersion string, summary []byte) error {
	t := w.Clock()
	wall := float64(t.UnixNano()) / 1e9
	rec := appendRecord(nil, encodeEvent(wall, step, fileVersion, summary))
	n, err := w.w.Write(rec)
	w.size += int64(n)
	if err != nil {
		return fmt.Errorf("write %s: %w", w.f.Name(), err)
	}
	return nil
}

// Scalar writes tag = v at step. TensorBoard's simple_value is a float32: v is rounded to it.
func (w *Writer) Scalar(tag string, step int64, v float64) error {
	return w.write(step, "", scalarSummary(tag, float32(v)))
}

// Text writes a text-plugin value; TensorBoard renders it as Markdown.
func (w *Writer) Text(tag string, step int64, text string) error {
	return w.write(step, "", textSummary(tag, text))
}

// Flush writes the buffered records to the file.
func (w *Writer) Flush() error {
	if err := w.w.Flush(); err != nil {
		return fmt.Errorf("write %s: %w", w.f.Name(), err)
	}
	return nil
}

// Size is the file's length once the records written so far are flushed.
func (w *Writer) Size() int64 { return w.size }

// Name is the file's path.
func (w *Writer) Name() string { return w.f.Name() }

// Close flushes and closes the file.
func (w *Writer) Close() error {
	return errors.Join(w.Flush(), w.f.Close())
}
