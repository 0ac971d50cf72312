package cmd

import (
	"bytes"
	"compress/gzip"
	"crypto/md5"
	"encoding/binary"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"budgetrain/pipeline/data"
)

// executeCommand runs the root command in-process and returns what it
// printed on stdout and stderr.
func executeCommand(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	root := NewRootCommand()
	var out, errb bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&errb)
	root.SetArgs(args)
	err = root.Execute()
	return out.String(), errb.String(), err
}

// tinyMNIST returns gzipped IDX files of n 28×28 images in MNIST's file
// names, with labels 0…9 in turn.
func tinyMNIST(n int) map[string][]byte {
	files := map[string][]byte{}
	for _, split := range []string{"train", "t10k"} {
		img := binary.BigEndian.AppendUint32(nil, 0x00000803)
		for _, d := range []int{n, 28, 28} {
			img = binary.BigEndian.AppendUint32(img, uint32(d))
		}
		for i := range n * 28 * 28 {
			img = append(img, byte(i*7))
		}
		lab := binary.BigEndian.AppendUint32(nil, 0x00000801)
		lab = binary.BigEndian.AppendUint32(lab, uint32(n))
		for i := range n {
			lab = append(lab, byte(i%10))
		}
		files[split+"-images-idx3-ubyte.gz"] = gzipBytes(img)
		files[split+"-labels-idx1-ubyte.gz"] = gzipBytes(lab)
	}
	return files
}

func gzipBytes(b []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

// serveFiles serves files by base name, honouring Range requests; a
// missing file is a 404.
func serveFiles(t *testing.T, files map[string][]byte) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, ok := files[path.Base(r.URL.Path)]
		if !ok {
			http.NotFound(w, r)
			return
		}
		http.ServeContent(w, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(b))
	}))
	t.Cleanup(srv.Close)
	return srv
}

// hookArchives makes the download command use the real table's MNIST
// entries with the checksums of files (the test hook for the table).
func hookArchives(t *testing.T, files map[string][]byte) {
	t.Helper()
	old := downloadArchives
	t.Cleanup(func() { downloadArchives = old })
	downloadArchives = func(name string) []data.Archive {
		as := data.Archives(name)
		for i, a := range as {
			s := md5.Sum(files[a.File])
			as[i].MD5 = hex.EncodeToString(s[:])
		}
		return as
	}
}

func TestDataDownloadCreatesDirAndLoads(t *testing.T) {
	files := tinyMNIST(20)
	srv := serveFiles(t, files)
	hookArchives(t, files)
	dir := filepath.Join(t.TempDir(), "data", "mnist")
	// Not a terminal: no bar, not even its line ends.
	_, stderr, err := executeCommand(t, "data", "download", "mnist", "--dir", filepath.Join(t.TempDir(), "plain"), "--mirror", srv.URL+"/mnist")
	if err != nil || strings.TrimSpace(stderr) != "" {
		t.Errorf("download to a non-terminal: %v, stderr %q, want none", err, stderr)
	}
	isTerminal = func(io.Writer) bool { return true }
	t.Cleanup(func() { isTerminal = terminal })
	stdout, stderr, err := executeCommand(t, "data", "download", "mnist", "--dir", dir, "--mirror", srv.URL+"/mnist")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"train-images-idx3-ubyte.gz: downloaded, checksum ok", "mnist is ready in " + dir} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout %q lacks %q", stdout, want)
		}
	}
	if !strings.Contains(stderr, "t10k-labels-idx1-ubyte.gz") {
		t.Errorf("stderr %q shows no progress bar for the last file", stderr)
	}
	for _, train := range []bool{true, false} {
		d, err := data.Load("mnist", dir, train)
		if err != nil {
			t.Fatalf("Load(train=%v) after download: %v", train, err)
		}
		if d.N != 20 {
			t.Errorf("Load(train=%v): %d images, want 20", train, d.N)
		}
	}
	// A second run finds everything in place.
	stdout, _, err = executeCommand(t, "data", "download", "mnist", "--dir", dir, "--mirror", srv.URL)
	if err != nil || strings.Count(stdout, "already present") != 4 {
		t.Errorf("second run: err %v, stdout %q; want 4 files already present", err, stdout)
	}
}

func TestDataDownloadResumesPart(t *testing.T) {
	files := tinyMNIST(20)
	srv := serveFiles(t, files)
	hookArchives(t, files)
	dir := t.TempDir()
	const f = "train-images-idx3-ubyte.gz"
	if err := os.WriteFile(filepath.Join(dir, f+".part"), files[f][:len(files[f])/2], 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, _, err := executeCommand(t, "data", "download", "mnist", "--dir", dir, "--mirror", srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(stdout, f+": resumed after") {
		t.Errorf("stdout %q does not report the resumed file", stdout)
	}
}

func TestDataDownloadErrors(t *testing.T) {
	files := tinyMNIST(4)
	for _, c := range []struct {
		name  string
		hook  bool // replace the table's checksums by the served files'
		files map[string][]byte
		args  []string
		want  []string
	}{
		{"unknown dataset lists the known ones", true, files, []string{"data", "download", "cifar1O", "--dir", "D"},
			[]string{`unknown dataset "cifar1O"`, "downloadable: cifar10, cifar100, fashion-mnist, mnist, svhn"}},
		{"dir is required", true, files, []string{"data", "download", "mnist"}, []string{`required flag(s) "dir" not set`}},
		{"one dataset", true, files, []string{"data", "download", "--dir", "D"}, []string{"accepts 1 arg(s), received 0"}},
		{"checksum mismatch names file, expected and got", false, files, []string{"data", "download", "mnist", "--dir", "D"},
			[]string{"checksum mismatch for train-images-idx3-ubyte.gz", "expected f68b3c2dcbeaaa9fbdd348bbdeb94873", "got "}},
		{"404", true, map[string][]byte{}, []string{"data", "download", "mnist", "--dir", "D"},
			[]string{"train-images-idx3-ubyte.gz", "404 Not Found"}},
		{"bad mirror", true, files, []string{"data", "download", "mnist", "--dir", "D", "--mirror", "ftp://x"},
			[]string{`mirror "ftp://x" is not an http or https URL`}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := serveFiles(t, c.files)
			if c.hook {
				hookArchives(t, c.files)
			}
			dir := filepath.Join(t.TempDir(), "d")
			args := append([]string{}, c.args...)
			for i := range args {
				if args[i] == "D" {
					args[i] = dir
				}
			}
			if !strings.Contains(strings.Join(args, " "), "--mirror") {
				args = append(args, "--mirror", srv.URL)
			}
			_, _, err := executeCommand(t, args...)
			if err == nil {
				t.Fatalf("no error, want one containing %q", c.want)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				t.Errorf("%s left in the directory after a failed download", e.Name())
			}
		})
	}
}

// TestDataDownloadTimeoutAndSizeCap: --timeout stops a server that trickles
// bytes (the stall timeout alone would wait for ever), and a file larger
// than the table's size is refused and removed; both exit with an error
// naming the file.
func TestDataDownloadTimeoutAndSizeCap(t *testing.T) {
	files := tinyMNIST(4)
	hookArchives(t, files)
	t.Run("Trickle", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Length", "100000")
			stop := time.After(20 * time.Second) // bounds the server if the client never gives up
			for {
				if _, err := w.Write([]byte{0}); err != nil {
					return
				}
				w.(http.Flusher).Flush()
				select {
				case <-r.Context().Done():
					return
				case <-stop:
					return
				case <-time.After(10 * time.Millisecond):
				}
			}
		}))
		t.Cleanup(srv.Close)
		dir := t.TempDir()
		start := time.Now()
		_, _, err := executeCommand(t, "data", "download", "mnist", "--dir", dir, "--mirror", srv.URL, "--timeout", "300ms")
		if err == nil || !strings.Contains(err.Error(), "train-images-idx3-ubyte.gz") || !strings.Contains(err.Error(), "longer than its 300ms limit") {
			t.Errorf("error %v, want one naming the file and the 300ms limit", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("returned after %v, want about 300 ms", d)
		}
		if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz.part")); err != nil {
			t.Errorf("received bytes not kept for a resume: %v", err)
		}
	})
	t.Run("TooLarge", func(t *testing.T) {
		big := map[string][]byte{}
		for k, v := range files {
			big[k] = v
		}
		big["train-labels-idx1-ubyte.gz"] = make([]byte, 200_000) // the table says 28881 bytes
		srv := serveFiles(t, big)
		dir := t.TempDir()
		_, _, err := executeCommand(t, "data", "download", "mnist", "--dir", dir, "--mirror", srv.URL)
		if err == nil || !strings.Contains(err.Error(), "train-labels-idx1-ubyte.gz") || !strings.Contains(err.Error(), "announces 200000 bytes, but the file has 28881 bytes") {
			t.Errorf("error %v, want one naming the file, its size and the size announced", err)
		}
		if _, err := os.Stat(filepath.Join(dir, "train-labels-idx1-ubyte.gz.part")); err == nil {
			t.Error("the refused body was written")
		}
	})
	t.Run("BadTimeout", func(t *testing.T) {
		_, _, err := executeCommand(t, "data", "download", "mnist", "--dir", t.TempDir(), "--timeout", "0s")
		if err == nil || !strings.Contains(err.Error(), "--timeout must be > 0, got 0s") {
			t.Errorf("error %v, want the --timeout check", err)
		}
	})
}

func TestDataListShowsFilesSizesAndDirs(t *testing.T) {
	stdout, _, err := executeCommand(t, "data", "list")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(stdout, "\n")
	has := func(fields ...string) bool {
		for _, l := range lines {
			if slices.Equal(strings.Fields(l), fields) {
				return true
			}
		}
		return false
	}
	for _, want := range [][]string{
		{"dataset", "file", "size", "checksum", "default", "dir"},
		{"cifar10", "cifar-10-binary.tar.gz", "170.1", "MB", "md5", "-", "(give", "a", "directory)"},
		{"svhn", "train_32x32.mat", "182.0", "MB", "md5", "-", "(give", "a", "directory)"},
		{"test_32x32.mat", "64.3", "MB", "md5"},
		{"fashion-mnist", "train-images-idx3-ubyte.gz", "26.4", "MB", "md5", "/usr/share/datasets/fashion-mnist"},
		{"t10k-labels-idx1-ubyte.gz", "5.1", "kB", "md5"},
		{"mnist", "train-images-idx3-ubyte.gz", "9.9", "MB", "md5", "-", "(give", "a", "directory)"},
		{"mini-imagenet", "(no", "public", "archive)", "-", "(give", "a", "directory)"},
	} {
		if !has(want...) {
			t.Errorf("data list has no line %q:\n%s", strings.Join(want, " "), stdout)
		}
	}
}

func TestHumanBytes(t *testing.T) {
	for _, c := range []struct {
		n    int64
		want string
	}{{0, "?"}, {-1, "?"}, {999, "999 B"}, {5148, "5.1 kB"}, {170052171, "170.1 MB"}, {2_500_000_000, "2.50 GB"}} {
		if got := humanBytes(c.n); got != c.want {
			t.Errorf("humanBytes(%d) = %q, want %q", c.n, got, c.want)
		}
	}
}
