package runfolder

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
)

// WriteFileAtomic writes data to path so that path always holds either its old contents or all
// of data, never a partial file: the bytes go to a temporary file with a random name in the
// same directory, which is synced and then renamed over path (rename is atomic within one
// filesystem), and the directory is synced so that the rename survives a crash. On any error
// the temporary file is removed and path is left as it was. The new file has mode 0644.
func WriteFileAtomic(path string, data []byte) error {
	return WriteAtomic(path, func(w io.Writer) error {
		_, err := w.Write(data)
		return err
	})
}

// WriteAtomic is WriteFileAtomic for contents that write streams (an archive entry, say)
// rather than holds in memory. An error from write is returned wrapped.
func WriteAtomic(path string, write func(io.Writer) error) (err error) {
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
	if err := write(f); err != nil {
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

// WriteJSON writes v to path atomically as the run folder's JSON files are written
// (summary.json, failed.json, running.json): indented by two spaces, with a final newline.
func WriteJSON(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return fmt.Errorf("write %q: %w", path, err)
	}
	return WriteFileAtomic(path, append(b, '\n'))
}

// LinkAtomic makes path another name of the existing file src (a hard link), replacing path
// atomically: a temporary link in path's folder is renamed over it, so that path always holds
// either its old contents or src's. ok is false, with no error, where the file system has no
// hard links (the caller then writes a copy).
func LinkAtomic(src, path string) (ok bool, err error) {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".link-"+strconv.Itoa(os.Getpid()))
	os.Remove(tmp)
	if err := os.Link(src, tmp); err != nil {
		return false, nil
	}
	if err := os.Rename(tmp, path); err != nil {
		os.Remove(tmp)
		return false, fmt.Errorf("link %q: %w", path, err)
	}
	return true, nil
}
