package onnx

import (
	"fmt"
	"os"
	"path/filepath"
)

// WriteFileAtomic writes data to path so that path always holds either its old contents or all
// of data, never a partial file: the bytes go to a temporary file in the same directory, which is
// synced and then renamed over path (rename is atomic within one filesystem), and the directory is
// synced so that the rename survives a crash. On any error the temporary file is removed and path
// is left as it was. The new file has mode 0644.
func WriteFileAtomic(path string, data []byte) error {
	return writeFileAtomic(path, data, func(f *os.File, data []byte) error {
		_, err := f.Write(data)
		return err
	})
}

// writeFileAtomic is WriteFileAtomic with the write step injectable, so that tests can fail it
// halfway.
func writeFileAtomic(path string, data []byte, write func(*os.File, []byte) error) (err error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".tmp-*")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	if err := write(f, data); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("write %q: sync: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("write %q: close: %w", path, err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	// Best effort: some filesystems do not support syncing a directory; the data is already safe.
	if d, derr := os.Open(dir); derr == nil {
		d.Sync()
		d.Close()
	}
	return nil
}
