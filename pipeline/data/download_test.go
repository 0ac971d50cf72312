package data

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"budgetrain/pipeline/data/internal/gen"
)

// testServer serves files by base name (so any mirror path works) and
// records what it was asked. Modes: honour Range (http.ServeContent),
// ignore it, fail with a status, or stall after half of each file.
type testServer struct {
	*httptest.Server
	files       map[string][]byte
	ignoreRange bool
	status      int // non-zero: answer every request with it
	stall       atomic.Bool

	mu     sync.Mutex
	paths  []string // request paths, in order
	ranges []string // Range headers, in order
	sent   int64    // body bytes sent with 200 or 206
}

func newTestServer(t *testing.T, files map[string][]byte) *testServer {
	s := &testServer{files: files}
	s.Server = httptest.NewServer(s)
	t.Cleanup(s.Close)
	return s
}

func (s *testServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	s.paths = append(s.paths, r.URL.Path)
	s.ranges = append(s.ranges, r.Header.Get("Range"))
	s.mu.Unlock()
	b, ok := s.files[path.Base(r.URL.Path)]
	switch {
	case s.status != 0:
		http.Error(w, http.StatusText(s.status), s.status)
	case !ok:
		http.NotFound(w, r)
	case s.stall.Load():
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b[:len(b)/2])
		s.count(len(b) / 2)
		w.(http.Flusher).Flush()
		select { // until the client gives up; bounded so a bug cannot hang the test
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	case s.ignoreRange:
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
		s.count(len(b))
	default:
		cw := &countingWriter{ResponseWriter: w}
		http.ServeContent(cw, r, path.Base(r.URL.Path), time.Time{}, bytes.NewReader(b))
		if cw.status == http.StatusOK || cw.status == http.StatusPartialContent {
			s.count(cw.n)
		}
	}
}

// log returns copies of the request paths and Range headers so far, and the
// body bytes sent.
func (s *testServer) log() (paths, ranges []string, sent int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.paths), slices.Clone(s.ranges), s.sent
}

func (s *testServer) count(n int) {
	s.mu.Lock()
	s.sent += int64(n)
	s.mu.Unlock()
}

type countingWriter struct {
	http.ResponseWriter
	status, n int
}

func (c *countingWriter) WriteHeader(code int) { c.status = code; c.ResponseWriter.WriteHeader(code) }
func (c *countingWriter) Write(b []byte) (int, error) {
	if c.status == 0 {
		c.status = http.StatusOK
	}
	c.n += len(b)
	return c.ResponseWriter.Write(b)
}

// tarEntry is one member of a test tar archive.
type tarEntry struct {
	name string
	body []byte
	typ  byte // tar.TypeReg when 0
}

func tarGz(t testing.TB, entries ...tarEntry) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		h := &tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: e.typ}
		switch e.typ {
		case 0:
			h.Typeflag = tar.TypeReg
		case tar.TypeDir:
			h.Mode, h.Size = 0o755, 0
		case tar.TypeSymlink:
			h.Linkname, h.Size = string(e.body), 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Size > 0 {
			tw.Write(e.body)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return gen.Gzip(buf.Bytes())
}

func md5Hex(b []byte) string    { s := md5.Sum(b); return hex.EncodeToString(s[:]) }
func sha256Hex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// testDownload holds the served files of a dataset and the archive table
// entries that describe them: the real table's entries (URLs, file names)
// with the checksums replaced by those of the test files. This is the test
// hook for the checksum table (DownloadOptions.Archives).
type testDownload struct {
	files    map[string][]byte
	archives []Archive
	nTrain   int
	nTest    int
}

// newTestDownload builds tiny archives in the official layout from the
// fixture generator: CIFAR as tar.gz with the official top folder, SVHN as
// .mat files, MNIST and Fashion-MNIST as gzipped IDX files. SVHN entries
// get a SHA-256 (which Download prefers) and keep the real, here wrong,
// MD5.
func newTestDownload(t testing.TB, name string) testDownload {
	t.Helper()
	fx, err := gen.Files()
	if err != nil {
		t.Fatal(err)
	}
	d := testDownload{files: map[string][]byte{}}
	switch name {
	case "cifar10":
		entries := []tarEntry{{name: "cifar-10-batches-bin/", typ: tar.TypeDir},
			{name: "cifar-10-batches-bin/batches.meta.txt", body: []byte(strings.Join(cifar10Classes, "\n"))}}
		for _, f := range []string{"data_batch_1.bin", "data_batch_2.bin", "data_batch_3.bin", "data_batch_4.bin", "data_batch_5.bin", "test_batch.bin"} {
			entries = append(entries, tarEntry{name: "cifar-10-batches-bin/" + f, body: fx["cifar10/"+f]})
		}
		d.files["cifar-10-binary.tar.gz"] = tarGz(t, entries...)
		d.nTrain, d.nTest = 5*gen.CIFAR10PerBatch, gen.CIFAR10TestN
	case "cifar100":
		d.files["cifar-100-binary.tar.gz"] = tarGz(t, tarEntry{name: "cifar-100-binary/", typ: tar.TypeDir},
			tarEntry{name: "cifar-100-binary/train.bin", body: fx["cifar100/train.bin"]},
			tarEntry{name: "cifar-100-binary/test.bin", body: fx["cifar100/test.bin"]})
		d.nTrain, d.nTest = gen.CIFAR100TrainN, gen.CIFAR100TestN
	case "svhn":
		d.files["train_32x32.mat"], d.files["test_32x32.mat"] = fx["svhn/train_32x32.mat"], fx["svhn/test_32x32.mat"]
		d.nTrain, d.nTest = gen.SVHNTrainN, gen.SVHNTestN
	case "mnist", "fashion-mnist":
		for _, f := range []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"} {
			d.files[f] = fx["fashion-mnist/"+f]
		}
		d.nTrain, d.nTest = gen.FashionTrainN, gen.FashionTestN
	default:
		t.Fatalf("no test download for %q", name)
	}
	d.archives = Archives(name)
	for i, a := range d.archives {
		b, ok := d.files[a.File]
		if !ok {
			t.Fatalf("test files of %s lack the table's %s", name, a.File)
		}
		if name == "svhn" {
			d.archives[i].SHA256 = sha256Hex(b)
		} else {
			d.archives[i].MD5 = md5Hex(b)
		}
		d.archives[i].Size = int64(len(b))
	}
	return d
}

// leftovers returns the .part files under dir.
func leftovers(t *testing.T, dir string) []string {
	t.Helper()
	var parts []string
	filepath.WalkDir(dir, func(p string, e fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".part") {
			parts = append(parts, p)
		}
		return nil
	})
	return parts
}

func TestDownloadNamesAreTheDatasetsWithPublicArchives(t *testing.T) {
	want := []string{"cifar10", "cifar100", "fashion-mnist", "mnist", "svhn"}
	if got := DownloadNames(); !slices.Equal(got, want) {
		t.Errorf("DownloadNames() = %q, want %q", got, want)
	}
}

// TestArchiveTableIsComplete: every file has a URL whose base is its file
// name, an MD5 as published (32 hex digits), no invented SHA-256, and a
// size; and the file sets are what Load reads (after unpacking).
func TestArchiveTableIsComplete(t *testing.T) {
	hex32 := regexp.MustCompile(`^[0-9a-f]{32}$`)
	idx := []string{"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"}
	wantFiles := map[string][]string{
		"cifar10": {"cifar-10-binary.tar.gz"}, "cifar100": {"cifar-100-binary.tar.gz"},
		"svhn": {"train_32x32.mat", "test_32x32.mat"}, "mnist": idx, "fashion-mnist": idx,
	}
	for _, name := range DownloadNames() {
		if _, err := Lookup(name); err != nil {
			t.Errorf("%s has archives but no Info: %v", name, err)
		}
		var files []string
		for _, a := range Archives(name) {
			files = append(files, a.File)
			if !strings.HasPrefix(a.URL, "http://") && !strings.HasPrefix(a.URL, "https://") || path.Base(a.URL) != a.File {
				t.Errorf("%s: URL %q does not end in the file name %q", name, a.URL, a.File)
			}
			if !hex32.MatchString(a.MD5) || a.SHA256 != "" || a.Size <= 0 {
				t.Errorf("%s: %+v: want the published MD5, no SHA-256 and a size", name, a)
			}
		}
		if !slices.Equal(files, wantFiles[name]) {
			t.Errorf("%s files %q, want %q", name, files, wantFiles[name])
		}
	}
}

func TestSourceURL(t *testing.T) {
	a := Archive{URL: "https://example.org/~kriz/cifar-10-binary.tar.gz?x=1", File: "cifar-10-binary.tar.gz"}
	for _, c := range []struct{ mirror, want string }{
		{"", a.URL},
		{"http://127.0.0.1:80", "http://127.0.0.1:80/cifar-10-binary.tar.gz"},
		{"http://127.0.0.1:80/m/", "http://127.0.0.1:80/m/cifar-10-binary.tar.gz"},
		{"https://mirror.example/data/cifar", "https://mirror.example/data/cifar/cifar-10-binary.tar.gz"},
	} {
		if got := SourceURL(a, c.mirror); got != c.want {
			t.Errorf("SourceURL(mirror %q) = %q, want %q", c.mirror, got, c.want)
		}
	}
}

func TestParseContentRange(t *testing.T) {
	for _, c := range []struct {
		in          string
		start, size int64
		ok          bool
	}{
		{"bytes 100-199/200", 100, 200, true},
		{"bytes 0-0/*", 0, -1, true},
		{"bytes */200", 0, 0, false},
		{"items 1-2/3", 0, 0, false},
		{"bytes -5-9/10", 0, 0, false},
		{"", 0, 0, false},
	} {
		start, size, ok := parseContentRange(c.in)
		if ok != c.ok || ok && (start != c.start || size != c.size) {
			t.Errorf("parseContentRange(%q) = %d, %d, %v; want %d, %d, %v", c.in, start, size, ok, c.start, c.size, c.ok)
		}
	}
}

// TestDownloadedDatasetsLoad downloads each dataset's test archives from a
// local mirror into a directory that does not exist yet, and reads both
// splits back with Load.
func TestDownloadedDatasetsLoad(t *testing.T) {
	for _, name := range DownloadNames() {
		t.Run(name, func(t *testing.T) {
			td := newTestDownload(t, name)
			srv := newTestServer(t, td.files)
			dir := filepath.Join(t.TempDir(), "new", name)
			last := map[string][2]int64{}
			progress := func(file string, done, total int64) {
				if p, ok := last[file]; ok && done < p[0] {
					t.Errorf("%s: progress went back from %d to %d", file, p[0], done)
				}
				last[file] = [2]int64{done, total}
			}
			res, err := Download(context.Background(), name, dir,
				DownloadOptions{Mirror: srv.URL + "/mirror", Archives: td.archives, Progress: progress})
			if err != nil {
				t.Fatal(err)
			}
			if len(res) != len(td.archives) {
				t.Fatalf("%d results for %d archives", len(res), len(td.archives))
			}
			for _, r := range res {
				size := int64(len(td.files[r.File]))
				if r.Present || r.ResumedFrom != 0 || r.Restarted {
					t.Errorf("%s: result %+v, want a fresh download", r.File, r)
				}
				if p := last[r.File]; p != [2]int64{size, size} {
					t.Errorf("%s: last progress (done, total) = %v, want (%d, %d)", r.File, p, size, size)
				}
				if got, err := os.ReadFile(r.Path); err != nil || !bytes.Equal(got, td.files[r.File]) {
					t.Errorf("%s: saved file differs from the served one (err %v)", r.File, err)
				}
			}
			paths, _, _ := srv.log()
			for _, p := range paths {
				if !strings.HasPrefix(p, "/mirror/") {
					t.Errorf("request for %q, want it under the mirror path", p)
				}
			}
			if strings.HasPrefix(name, "cifar") && len(res[0].Unpacked) == 0 {
				t.Errorf("%s archive was not unpacked", name)
			}
			for _, c := range []struct {
				train bool
				n     int
			}{{true, td.nTrain}, {false, td.nTest}} {
				d, err := Load(name, dir, c.train)
				if err != nil {
					t.Fatalf("Load(train=%v) after download: %v", c.train, err)
				}
				if d.N != c.n {
					t.Errorf("Load(train=%v): %d images, want %d", c.train, d.N, c.n)
				}
			}
			if p := leftovers(t, dir); len(p) != 0 {
				t.Errorf("left partial files %q", p)
			}
		})
	}
}

func TestDownloadSkipsVerifiedFiles(t *testing.T) {
	td := newTestDownload(t, "cifar10")
	srv := newTestServer(t, td.files)
	dir := t.TempDir()
	opt := DownloadOptions{Mirror: srv.URL, Archives: td.archives}
	if _, err := Download(context.Background(), "cifar10", dir, opt); err != nil {
		t.Fatal(err)
	}
	// A removed unpacked file comes back: archives are unpacked every time.
	batch := filepath.Join(dir, "cifar-10-batches-bin", "test_batch.bin")
	if err := os.Remove(batch); err != nil {
		t.Fatal(err)
	}
	before, _, _ := srv.log()
	res, err := Download(context.Background(), "cifar10", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if after, _, _ := srv.log(); len(after) != len(before) || !res[0].Present {
		t.Errorf("second download made %d requests (result %+v), want none", len(after)-len(before), res[0])
	}
	if _, err := os.Stat(batch); err != nil {
		t.Errorf("unpacked file not restored: %v", err)
	}
}

// TestDownloadChecksumMismatchRemovesFile uses the real table's checksums,
// which the test files cannot match.
func TestDownloadChecksumMismatchRemovesFile(t *testing.T) {
	for _, name := range []string{"mnist", "cifar100"} {
		t.Run(name, func(t *testing.T) {
			td := newTestDownload(t, name)
			srv := newTestServer(t, td.files)
			dir := t.TempDir()
			real := Archives(name)[0]
			_, err := Download(context.Background(), name, dir, DownloadOptions{Mirror: srv.URL})
			if !errors.Is(err, ErrChecksum) {
				t.Fatalf("error %v, want ErrChecksum", err)
			}
			wantErr(t, err, real.File, "expected "+real.MD5, "got "+md5Hex(td.files[real.File]), "removed")
			entries, _ := os.ReadDir(dir)
			if len(entries) != 0 {
				t.Errorf("directory holds %v after a failed download, want nothing", entries)
			}
		})
	}
}

func TestDownloadExistingWrongFileIsKept(t *testing.T) {
	td := newTestDownload(t, "svhn")
	srv := newTestServer(t, td.files)
	dir := t.TempDir()
	p := writeFile(t, dir, "train_32x32.mat", []byte("recompressed copy"))
	_, err := Download(context.Background(), "svhn", dir, DownloadOptions{Mirror: srv.URL, Archives: td.archives})
	if !errors.Is(err, ErrChecksum) {
		t.Fatalf("error %v, want ErrChecksum", err)
	}
	wantErr(t, err, p, "sha256", td.archives[0].SHA256, "remove it")
	paths, _, _ := srv.log()
	if b, _ := os.ReadFile(p); string(b) != "recompressed copy" || len(paths) != 0 {
		t.Errorf("existing file changed to %d bytes or %d requests made; want it untouched and no request", len(b), len(paths))
	}
}

// TestDownloadResumes starts from a .part file and checks what is asked,
// sent and kept, and that the result is the served file.
func TestDownloadResumes(t *testing.T) {
	td := newTestDownload(t, "cifar10")
	const file = "cifar-10-binary.tar.gz"
	full := td.files[file]
	k := int64(len(full) / 3)
	garbage := bytes.Repeat([]byte{0xAB}, int(k))
	for _, c := range []struct {
		name        string
		part        []byte
		ignoreRange bool
		wantResumed int64
		wantRestart bool
		wantSent    int64 // -1: not checked
		wantErr     string
	}{
		{"server honours range: only the rest is sent", full[:k], false, k, false, int64(len(full)) - k, ""},
		{"server ignores range: garbage prefix discarded", garbage, true, 0, true, int64(len(full)), ""},
		{"part already complete: verified without a body", full, false, int64(len(full)), false, 0, ""},
		{"part too long: checksum fails and part removed", append(slices.Clone(full), 1, 2), false, 0, false, -1, "expected " + td.archives[0].MD5},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newTestServer(t, td.files)
			srv.ignoreRange = c.ignoreRange
			dir := t.TempDir()
			writeFile(t, dir, file+".part", c.part)
			res, err := Download(context.Background(), "cifar10", dir, DownloadOptions{Mirror: srv.URL, Archives: td.archives})
			_, ranges, sent := srv.log()
			if want := fmt.Sprintf("bytes=%d-", len(c.part)); len(ranges) != 1 || ranges[0] != want {
				t.Errorf("Range headers %q, want one %q", ranges, want)
			}
			if c.wantErr != "" {
				wantErr(t, err, c.wantErr)
				if p := leftovers(t, dir); len(p) != 0 {
					t.Errorf("bad partial file kept: %q", p)
				}
				if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
					t.Error("bad file left under its final name")
				}
				// The next run starts afresh and succeeds.
				if _, err := Download(context.Background(), "cifar10", dir, DownloadOptions{Mirror: srv.URL, Archives: td.archives}); err != nil {
					t.Fatalf("download after a removed bad part: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r := res[0]; r.ResumedFrom != c.wantResumed || r.Restarted != c.wantRestart {
				t.Errorf("ResumedFrom %d Restarted %v, want %d %v", r.ResumedFrom, r.Restarted, c.wantResumed, c.wantRestart)
			}
			if c.wantSent >= 0 && sent != c.wantSent {
				t.Errorf("server sent %d body bytes, want %d", sent, c.wantSent)
			}
			if got, _ := os.ReadFile(filepath.Join(dir, file)); !bytes.Equal(got, full) {
				t.Error("resumed file differs from the served one")
			}
			if _, err := Load("cifar10", dir, false); err != nil {
				t.Errorf("Load after resume: %v", err)
			}
		})
	}
}

// TestDownloadStalledTransferKeepsPart: a server that stops sending is
// given up after StallTimeout, the bytes received are kept in .part, and
// the next run resumes from them.
func TestDownloadStalledTransferKeepsPart(t *testing.T) {
	td := newTestDownload(t, "mnist")
	td.archives = td.archives[:1]
	file := td.archives[0].File
	srv := newTestServer(t, td.files)
	srv.stall.Store(true)
	dir := t.TempDir()
	opt := DownloadOptions{Mirror: srv.URL, Archives: td.archives, StallTimeout: 100 * time.Millisecond}
	_, err := Download(context.Background(), "mnist", dir, opt)
	wantErr(t, err, file, "no data received", "run again to resume")
	half := int64(len(td.files[file]) / 2)
	if fi, err := os.Stat(filepath.Join(dir, file+".part")); err != nil || fi.Size() != half {
		t.Fatalf("partial file %v (err %v), want %d bytes kept", fi, err, half)
	}
	if _, err := os.Stat(filepath.Join(dir, file)); err == nil {
		t.Fatal("stalled file exists under its final name")
	}
	srv.stall.Store(false)
	res, err := Download(context.Background(), "mnist", dir, opt)
	if err != nil {
		t.Fatal(err)
	}
	if res[0].ResumedFrom != half {
		t.Errorf("resumed from %d, want %d", res[0].ResumedFrom, half)
	}
}

func TestDownloadHTTPErrorsAreClear(t *testing.T) {
	td := newTestDownload(t, "mnist")
	for _, c := range []struct {
		name   string
		status int
		files  map[string][]byte
		want   []string
	}{
		{"404 for a missing file", 0, map[string][]byte{}, []string{"404 Not Found", "train-images-idx3-ubyte.gz", "/train-images-idx3-ubyte.gz"}},
		{"503 from the server", http.StatusServiceUnavailable, td.files, []string{"503 Service Unavailable", "train-images-idx3-ubyte.gz"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			srv := newTestServer(t, c.files)
			srv.status = c.status
			dir := t.TempDir()
			_, err := Download(context.Background(), "mnist", dir, DownloadOptions{Mirror: srv.URL, Archives: td.archives})
			wantErr(t, err, append(c.want, srv.URL)...)
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("directory holds %v after an HTTP error, want nothing", entries)
			}
		})
	}
}

func TestDownloadRejectsBadRequests(t *testing.T) {
	for _, c := range []struct {
		name, dataset, dir string
		opt                DownloadOptions
		want               []string
		sentinel           error
	}{
		{"unknown name lists the downloadable ones", "cifar1O", "d", DownloadOptions{},
			[]string{`"cifar1O"`, "cifar10, cifar100, fashion-mnist, mnist, svhn"}, ErrUnknownDataset},
		{"known dataset without archive", "mini-imagenet", "d", DownloadOptions{},
			[]string{"mini-imagenet", "no public archive", "downloadable: cifar10"}, nil},
		{"mirror that is not http", "mnist", "d", DownloadOptions{Mirror: "ftp://m/x"},
			[]string{`mirror "ftp://m/x"`}, nil},
		{"no directory", "mnist", "", DownloadOptions{}, []string{"no directory"}, nil},
		{"archive without checksum", "mnist", "d", DownloadOptions{Archives: []Archive{{URL: "http://127.0.0.1:1/f", File: "f"}}},
			[]string{"f: no checksum known"}, nil},
		{"archive name with a path", "mnist", "d", DownloadOptions{Archives: []Archive{{URL: "http://127.0.0.1:1/f", File: "../f", MD5: md5Hex(nil)}}},
			[]string{`"../f" is not a plain file name`}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := c.dir
			if dir != "" {
				dir = filepath.Join(t.TempDir(), dir)
			}
			_, err := Download(context.Background(), c.dataset, dir, c.opt)
			wantErr(t, err, c.want...)
			if c.sentinel != nil && !errors.Is(err, c.sentinel) {
				t.Errorf("error %v does not wrap %v", err, c.sentinel)
			}
		})
	}
}

// TestUnpackRefusesUnsafeEntries: nothing is written outside the target
// directory, whatever the archive says.
func TestUnpackRefusesUnsafeEntries(t *testing.T) {
	for _, c := range []struct {
		name  string
		entry tarEntry
		want  string
	}{
		{"parent path", tarEntry{name: "../evil.bin", body: []byte("x")}, "outside the target directory"},
		{"parent path inside", tarEntry{name: "a/../../evil.bin", body: []byte("x")}, "outside the target directory"},
		{"absolute path", tarEntry{name: "/tmp/evil.bin", body: []byte("x")}, "outside the target directory"},
		{"symlink", tarEntry{name: "evil.bin", body: []byte("/etc/passwd"), typ: tar.TypeSymlink}, "only files and directories"},
	} {
		t.Run(c.name, func(t *testing.T) {
			root := t.TempDir()
			dir := filepath.Join(root, "out")
			archive := writeFile(t, root, "a.tar.gz", tarGz(t, c.entry))
			_, err := unpackTarGz(archive, dir)
			wantErr(t, err, c.want)
			for _, p := range []string{filepath.Join(root, "evil.bin"), filepath.Join(dir, "evil.bin")} {
				if _, err := os.Lstat(p); err == nil {
					t.Errorf("%s was written", p)
				}
			}
		})
	}
}

// FuzzUnpackTarGz: for any tar stream, unpacking never panics and every
// file it reports is a regular file inside the target directory.
func FuzzUnpackTarGz(f *testing.F) {
	f.Add([]byte{})
	for _, e := range []tarEntry{{name: "a/b.bin", body: []byte("hello")}, {name: "../x", body: []byte("x")}} {
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		tw.WriteHeader(&tar.Header{Name: e.name, Mode: 0o644, Size: int64(len(e.body)), Typeflag: tar.TypeReg})
		tw.Write(e.body)
		tw.Close()
		f.Add(buf.Bytes())
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		root := t.TempDir()
		dir := filepath.Join(root, "out")
		archive := writeFile(t, root, "a.tar.gz", gen.Gzip(raw))
		files, _ := unpackTarGz(archive, dir)
		for _, name := range files {
			if !filepath.IsLocal(name) {
				t.Fatalf("reported file %q is outside the directory", name)
			}
			if fi, err := os.Lstat(filepath.Join(dir, name)); err != nil || !fi.Mode().IsRegular() {
				t.Fatalf("reported file %q: %v, %v", name, fi, err)
			}
		}
		entries, _ := os.ReadDir(root)
		for _, e := range entries {
			if e.Name() != "out" && e.Name() != "a.tar.gz" {
				t.Fatalf("%s written outside the directory", e.Name())
			}
		}
	})
}

// trickleServer answers every request with the headers of a file of size
// bytes, then sends one byte every 10 ms: fast enough never to trip the
// stall timeout, far too slow to finish. It stops when the client goes
// away, or after 20 s so that a bug cannot hang the test run.
func trickleServer(t *testing.T, size int) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Length", fmt.Sprint(size))
		w.WriteHeader(http.StatusOK)
		stop := time.After(20 * time.Second)
		for range size {
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
	return srv
}

// TestDownloadDeadlineStopsTricklingServer: a server that keeps sending a
// byte now and then (so the stall timeout never fires) is given up at the
// overall deadline; the bytes received stay in .part for a later resume.
func TestDownloadDeadlineStopsTricklingServer(t *testing.T) {
	td := newTestDownload(t, "mnist")
	a := td.archives[:1]
	srv := trickleServer(t, int(a[0].Size))
	dir := t.TempDir()
	start := time.Now()
	_, err := Download(context.Background(), "mnist", dir, DownloadOptions{Mirror: srv.URL, Archives: a, Timeout: 300 * time.Millisecond})
	elapsed := time.Since(start)
	wantErr(t, err, a[0].File, "took longer than its 300ms limit", "--timeout", "run again to resume")
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	if elapsed > 5*time.Second {
		t.Errorf("Download returned after %v, want about the 300 ms deadline", elapsed)
	}
	if fi, err := os.Stat(filepath.Join(dir, a[0].File+".part")); err != nil || fi.Size() == 0 {
		t.Errorf("partial file %v (err %v), want the bytes received kept", fi, err)
	}
}

// TestDownloadRefusesBodiesLargerThanExpected: a server that announces,
// or sends without announcing, more than the archive's size and its
// tolerance is refused, and nothing of it is left in the directory.
func TestDownloadRefusesBodiesLargerThanExpected(t *testing.T) {
	td := newTestDownload(t, "mnist")
	a := td.archives[:1]
	a[0].Size = 1000
	limit := MaxDownloadSize(a[0])
	if limit != 1000+100+64<<10 {
		t.Fatalf("MaxDownloadSize = %d, want size + 10 %% + 64 KiB", limit)
	}
	const sendAtMost = 8 << 20 // bounds the server, in case the client never stops reading
	for _, tc := range []struct {
		name     string
		announce bool
		want     string
	}{
		{"Announced", true, fmt.Sprintf("announces %d bytes, but the file has 1000 bytes (at most %d accepted)", sendAtMost, limit)},
		{"Unannounced", false, fmt.Sprintf("sent more than %d bytes, but the file has 1000 bytes; download removed", limit)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var sent atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if tc.announce {
					w.Header().Set("Content-Length", fmt.Sprint(sendAtMost))
				} // else: chunked, no length
				chunk := make([]byte, 32<<10)
				for sent.Load() < sendAtMost {
					if _, err := w.Write(chunk); err != nil {
						return
					}
					sent.Add(int64(len(chunk)))
				}
			}))
			t.Cleanup(srv.Close)
			dir := t.TempDir()
			_, err := Download(context.Background(), "mnist", dir, DownloadOptions{Mirror: srv.URL, Archives: a})
			wantErr(t, err, a[0].File, tc.want)
			if !errors.Is(err, ErrTooLarge) {
				t.Errorf("error %v does not wrap ErrTooLarge", err)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Errorf("directory holds %v after refusing the body, want nothing", entries)
			}
			srv.Close() // wait for the handler, then check it was cut off early
			if n := sent.Load(); n >= sendAtMost {
				t.Errorf("server sent all %d bytes, want the client to stop reading early", n)
			}
		})
	}
	// A partial file resumed with a Content-Range whose total is too large
	// is refused and kept: it may be a good beginning from another server.
	dir := t.TempDir()
	part := writeFile(t, dir, a[0].File+".part", []byte("abc"))
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Range", fmt.Sprintf("bytes 3-99/%d", sendAtMost))
		w.WriteHeader(http.StatusPartialContent)
	}))
	t.Cleanup(srv.Close)
	_, err := Download(context.Background(), "mnist", dir, DownloadOptions{Mirror: srv.URL, Archives: a})
	wantErr(t, err, fmt.Sprintf("announces %d bytes", sendAtMost))
	if b, _ := os.ReadFile(part); string(b) != "abc" {
		t.Errorf("partial file holds %q, want it kept as it was", b)
	}
}
