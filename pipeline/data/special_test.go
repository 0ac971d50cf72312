package data

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestSpecialFilesRefused: a data file that is a FIFO (which would block the open forever) or a
// link to /dev/zero (which never ends) is refused at once with an error naming it.
func TestSpecialFilesRefused(t *testing.T) {
	fixture := filepath.Join("..", "..", "testdata", "fashion-mnist")
	for _, c := range []struct{ name, want string }{{"fifo", "named pipe (FIFO)"}, {"zero", "character device"}} {
		dir := t.TempDir()
		for _, f := range []string{"t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz", "train-labels-idx1-ubyte.gz"} {
			abs, _ := filepath.Abs(filepath.Join(fixture, f))
			if err := os.Symlink(abs, filepath.Join(dir, f)); err != nil {
				t.Fatal(err)
			}
		}
		bad := filepath.Join(dir, "train-images-idx3-ubyte.gz")
		var err error
		if c.name == "fifo" {
			err = syscall.Mkfifo(bad, 0o644)
		} else {
			err = os.Symlink("/dev/zero", bad)
		}
		if err != nil {
			t.Skipf("cannot make a %s here: %v", c.name, err)
		}
		done := make(chan error, 1)
		go func() { _, err := Load("fashion-mnist", dir, true); done <- err }()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") {
				t.Errorf("%s: %v, want an error naming the file and %q", c.name, err, c.want)
			}
		case <-time.After(10 * time.Second):
			t.Fatalf("%s: Load still reading after 10 s", c.name)
		}
	}
}
