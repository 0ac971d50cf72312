package torchx

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/sugarme/gotch/nn"
)

// zipMagic starts every weights file VarStore.Save writes: libtorch's serialize.OutputArchive
// stores a TorchScript module, which is a zip archive.
var zipMagic = []byte("PK\x03\x04")

// LoadWeights loads a weights file written by VarStore.Save (train's model.pt) into vs, whose
// variables must match the file's names and shapes. Every error names the file and says what was
// expected in one line: a missing file, a directory, a file that is not a zip archive (checked
// before libtorch sees it) and libtorch's own complaints (a truncated archive, a missing tensor,
// a shape mismatch) cut to their first line by Error.
func LoadWeights(vs *nn.VarStore, path string) error {
	if err := checkWeightsFile(path); err != nil {
		return fmt.Errorf("load weights %q: %w", path, err)
	}
	if err := vs.Load(path); err != nil {
		return fmt.Errorf("load weights %q: %w", path, Error(err))
	}
	return nil
}

// checkWeightsFile checks that path is a regular file starting like a zip archive.
func checkWeightsFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return pathless(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return pathless(err)
	}
	if fi.IsDir() {
		return errors.New("is a directory, want a weights file (model.pt written by train)")
	}
	head := make([]byte, len(zipMagic))
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
		return pathless(err)
	}
	if n < len(zipMagic) || !bytes.Equal(head, zipMagic) {
		return fmt.Errorf("not a weights file: want a zip archive as written by train (model.pt, starting with %q), got %d bytes starting with %q",
			zipMagic, fi.Size(), head[:n])
	}
	return nil
}

// pathless drops the path from an *fs.PathError, which the caller names already.
func pathless(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// Error shortens an error returned by gotch for a libtorch failure to its first meaningful
// line. gotch formats a c10::Error as "Libtorch API Error: MESSAGE" followed by libtorch's C++
// backtrace ("Exception raised from …", "frame #0: …") and the Go stack of the call, dozens of
// lines that tell a user nothing about what to fix. Error keeps MESSAGE, without the prefix (and
// without the "[enforce fail at file.cc:N] ." of a TORCH_ENFORCE); any other error also loses
// everything after its first non-empty line. It returns nil for nil. The
// result wraps nothing: gotch's errors wrap nothing either.
func Error(err error) error {
	if err == nil {
		return nil
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "Libtorch API Error:"))
		// TORCH_ENFORCE failures read "[enforce fail at file.cc:135] . message".
		if rest, ok := strings.CutPrefix(line, "[enforce fail at "); ok {
			if _, msg, ok := strings.Cut(rest, "]"); ok {
				line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(msg), "."))
			}
		}
		if line != "" {
			return errors.New(line)
		}
	}
	return errors.New("libtorch error without a message")
}
