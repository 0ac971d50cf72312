package data

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"crypto/md5"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"net/http"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"budgetrain/pipeline/runfolder"
)

// ErrChecksum is returned (wrapped) by Download when a file's checksum
// differs from the one in the dataset's record (Info.Archives).
var ErrChecksum = errors.New("checksum mismatch")

// ErrTooLarge is returned (wrapped) by Download when a server announces or
// sends more bytes than an archive file can have (see MaxDownloadSize).
var ErrTooLarge = errors.New("larger than expected")

// DefaultStallTimeout is how long Download waits for the next byte before
// it gives up on a connection (DownloadOptions.StallTimeout).
const DefaultStallTimeout = time.Minute

// DefaultTimeout is how long one Download call may take in all
// (DownloadOptions.Timeout): enough for the largest dataset (SVHN, 246 MB)
// at 70 kB/s. A server that trickles a byte now and then defeats the stall
// timeout, but not this one.
const DefaultTimeout = time.Hour

// DownloadOptions configure Download. The zero value downloads the files of
// the dataset's record (Info.Archives) from the publishers' URLs.
type DownloadOptions struct {
	// Mirror, if set, is a base URL (http or https) that replaces the
	// directory part of every archive URL: the file at
	// https://host/dir/f.tar.gz is fetched from Mirror + "/f.tar.gz".
	Mirror string
	// Archives, if non-nil, replaces the record's files for the dataset (a
	// private copy of a dataset, or test files with their own checksums).
	Archives []Archive
	// Client sends the requests; nil means http.DefaultClient.
	Client *http.Client
	// Progress, if set, is called as a file's bytes arrive: done bytes of
	// total are on disk (done counts bytes kept from an earlier, interrupted
	// download); total is -1 when unknown. It is called from the
	// goroutine that called Download.
	Progress func(file string, done, total int64)
	// StallTimeout gives up on a connection that sends no byte for this
	// long; 0 means DefaultStallTimeout.
	StallTimeout time.Duration
	// Timeout bounds the whole call, every file included; 0 means
	// DefaultTimeout. When it passes, the transfer stops with an error
	// wrapping context.DeadlineExceeded, and the bytes received so far stay
	// in FILE.part for the next call to resume from.
	Timeout time.Duration
}

// FileResult says what Download did with one archive file.
type FileResult struct {
	File string // the archive's file name
	Path string // where the verified file is
	// Present is true when the file was already there with the right
	// checksum, so nothing was downloaded.
	Present bool
	// ResumedFrom is the number of bytes of an earlier partial download
	// that were kept (0 if none).
	ResumedFrom int64
	// Restarted is true when a partial download existed but the server
	// ignored the range request, so the file was fetched from the start.
	Restarted bool
	// Unpacked lists the files extracted from a tar.gz archive, as
	// slash-separated paths relative to the dataset directory.
	Unpacked []string
}

// Download fetches the archive files of a dataset into dir (created if
// missing), verifies each against its checksum, and unpacks tar.gz archives
// into dir, so that Load(name, dir, train) reads the result.
//
// Each file is first written to dir/FILE.part. If a .part file exists, the
// download resumes from its end with an HTTP Range request; a server that
// ignores the range (answers 200 with the whole file) is read from the
// start instead. The finished .part file is checked (SHA-256 if the record
// has one, else MD5) and only then renamed to FILE, so a file under its
// final name is always complete. On a checksum mismatch the .part file is
// removed and the error, wrapping ErrChecksum, names the file and the
// expected and actual sums. A network error or an interrupted transfer
// keeps the .part file for the next call to resume.
//
// A file already present under its final name with the right checksum is
// not downloaded again (archives are unpacked again, which is idempotent).
// One present with a wrong checksum is an error and is left untouched: it
// may not be Download's, e.g. a recompressed copy from a system package.
//
// No file may be larger than MaxDownloadSize: a server that announces more
// is refused before anything is written, and one that sends more is cut off
// and its .part file removed (error wrapping ErrTooLarge). The whole call
// is bounded by opt.Timeout.
//
// An unknown name gives an error wrapping ErrUnknownDataset that lists the
// datasets with archives (DownloadNames). Download stops at the first
// error; the results of the files finished before it are returned with it.
func Download(ctx context.Context, name, dir string, opt DownloadOptions) ([]FileResult, error) {
	files := opt.Archives
	if files == nil {
		files = Archives(name)
	}
	if len(files) == 0 {
		known := strings.Join(DownloadNames(), ", ")
		if _, err := Lookup(name); err != nil {
			return nil, fmt.Errorf("download: %w %q (downloadable: %s%s)", ErrUnknownDataset, name, known, aliasHint(name))
		}
		return nil, fmt.Errorf("download %s: no public archive is known for it (downloadable: %s)", name, known)
	}
	if opt.Mirror != "" {
		u, err := url.Parse(opt.Mirror)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			return nil, fmt.Errorf("download %s: mirror %q is not an http or https URL", name, opt.Mirror)
		}
	}
	if dir == "" {
		return nil, fmt.Errorf("download %s: no directory given", name)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("download %s: %w", name, err)
	}
	timeout := opt.Timeout
	if timeout <= 0 {
		timeout = DefaultTimeout
	}
	ctx, cancel := context.WithTimeoutCause(ctx, timeout,
		fmt.Errorf("%w: the download took longer than its %v limit (DownloadOptions.Timeout, --timeout)", context.DeadlineExceeded, timeout))
	defer cancel()
	var results []FileResult
	for _, a := range files {
		r, err := downloadFile(ctx, a, dir, opt)
		if err != nil {
			return results, fmt.Errorf("download %s: %w", name, err)
		}
		results = append(results, r)
	}
	return results, nil
}

// SourceURL returns the URL Download fetches a from: a.URL, or the file
// name of a.URL under mirror when mirror is not empty.
func SourceURL(a Archive, mirror string) string {
	if mirror == "" {
		return a.URL
	}
	base := a.URL
	if u, err := url.Parse(a.URL); err == nil {
		base = u.Path
	}
	return strings.TrimRight(mirror, "/") + "/" + path.Base(base)
}

// downloadFile fetches, verifies and unpacks one archive file.
func downloadFile(ctx context.Context, a Archive, dir string, opt DownloadOptions) (FileResult, error) {
	r := FileResult{File: a.File, Path: filepath.Join(dir, a.File)}
	if a.File == "" || !filepath.IsLocal(a.File) || strings.ContainsAny(a.File, `/\`) {
		return r, fmt.Errorf("archive file name %q is not a plain file name", a.File)
	}
	algo, want := expectedSum(a)
	if want == "" {
		return r, fmt.Errorf("%s: no checksum known, refusing to download a file that cannot be verified", a.File)
	}
	got, err := fileSum(r.Path, algo)
	switch {
	case err == nil && got == want:
		r.Present = true
	case err == nil:
		return r, fmt.Errorf("%w: %s exists but its %s is %s, want %s; remove it to download it again",
			ErrChecksum, r.Path, algo, got, want)
	case !errors.Is(err, fs.ErrNotExist):
		return r, err
	default:
		if r.ResumedFrom, r.Restarted, err = fetch(ctx, SourceURL(a, opt.Mirror), r.Path+".part", a, opt); err != nil {
			return r, err
		}
		if err := verifyAndRename(r.Path+".part", r.Path, a.File, algo, want); err != nil {
			return r, err
		}
	}
	if isTarGz(a.File) {
		if r.Unpacked, err = unpackTarGz(r.Path, dir); err != nil {
			return r, err
		}
	}
	return r, nil
}

// verifyAndRename checks the finished download part against the sum want
// and renames it to final; a mismatch removes part.
func verifyAndRename(part, final, file, algo, want string) error {
	got, err := fileSum(part, algo)
	if err != nil {
		return err
	}
	if got != want {
		if err := os.Remove(part); err != nil {
			return fmt.Errorf("%w for %s: %s expected %s, got %s (and removing %s failed: %v)",
				ErrChecksum, file, algo, want, got, part, err)
		}
		return fmt.Errorf("%w for %s: %s expected %s, got %s (download removed)", ErrChecksum, file, algo, want, got)
	}
	if err := os.Rename(part, final); err != nil {
		return err
	}
	syncDir(filepath.Dir(final))
	return nil
}

// expectedSum returns the checksum algorithm ("sha256" or "md5") and the
// lower-case hex sum to check a against, preferring SHA-256.
func expectedSum(a Archive) (algo, sum string) {
	if a.SHA256 != "" {
		return "sha256", strings.ToLower(a.SHA256)
	}
	if a.MD5 != "" {
		return "md5", strings.ToLower(a.MD5)
	}
	return "", ""
}

// fileSum returns the hex checksum of a file.
func fileSum(p, algo string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	var h hash.Hash
	switch algo {
	case "sha256":
		h = sha256.New()
	case "md5":
		h = md5.New()
	default:
		panic("data: unknown checksum algorithm " + algo)
	}
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %q: %w", p, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// errStalled is the cancellation cause when a connection sends nothing for
// StallTimeout.
var errStalled = errors.New("no data received")

// MaxDownloadSize is the most bytes Download accepts for a: the table's
// size plus 10 % and 64 KiB (the sizes were not all measured here, see
// the archive table), or MaxBytes when the size is unknown.
func MaxDownloadSize(a Archive) int64 {
	if a.Size <= 0 {
		return MaxBytes
	}
	return a.Size + a.Size/10 + 64<<10
}

// fetch downloads u into the file part, resuming from part's current length
// if it exists. It returns the number of bytes kept from before and
// whether a partial file was discarded because the server ignored the
// range. On error part is kept (synced) for a later resume.
func fetch(ctx context.Context, u, part string, a Archive, opt DownloadOptions) (resumed int64, restarted bool, err error) {
	var offset int64
	if fi, err := os.Stat(part); err == nil {
		offset = fi.Size()
	} else if !errors.Is(err, fs.ErrNotExist) {
		return 0, false, err
	}
	stall := opt.StallTimeout
	if stall <= 0 {
		stall = DefaultStallTimeout
	}
	// The watchdog cancels the request when no byte arrives for stall,
	// while waiting for the headers as well as for the body.
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	watchdog := time.AfterFunc(stall, func() { cancel(fmt.Errorf("%w for %v", errStalled, stall)) })
	defer watchdog.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", a.File, err)
	}
	// Ask for the bytes as stored: a transparently decompressed .gz would
	// not match its checksum, and a range of it would mean nothing.
	req.Header.Set("Accept-Encoding", "identity")
	if offset > 0 {
		req.Header.Set("Range", fmt.Sprintf("bytes=%d-", offset))
	}
	client := opt.Client
	if client == nil {
		client = http.DefaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		return 0, false, fmt.Errorf("%s: %w", a.File, causeOf(ctx, err))
	}
	defer resp.Body.Close()

	flags := os.O_WRONLY | os.O_CREATE
	total := int64(-1)
	switch {
	case resp.StatusCode == http.StatusPartialContent && offset > 0:
		start, size, ok := parseContentRange(resp.Header.Get("Content-Range"))
		if !ok || start != offset {
			return 0, false, fmt.Errorf("%s: GET %s: asked for bytes from %d, got Content-Range %q",
				a.File, u, offset, resp.Header.Get("Content-Range"))
		}
		resumed, total = offset, size
		flags |= os.O_APPEND
	case resp.StatusCode == http.StatusOK:
		restarted = offset > 0
		offset, total = 0, resp.ContentLength
		flags |= os.O_TRUNC
	case resp.StatusCode == http.StatusRequestedRangeNotSatisfiable && offset > 0:
		// The partial file is at least as long as the file: most likely it
		// was complete when the previous run stopped. The checksum decides.
		return offset, false, nil
	default:
		return 0, false, fmt.Errorf("%s: GET %s: %s", a.File, u, resp.Status)
	}
	limit := MaxDownloadSize(a)
	if total > limit {
		return 0, false, fmt.Errorf("%w: %s: GET %s announces %d bytes, but the file has %s (at most %d accepted)",
			ErrTooLarge, a.File, u, total, sizeText(a.Size), limit)
	}
	if total < 0 && a.Size > 0 {
		total = a.Size
	}
	f, err := os.OpenFile(part, flags, 0o644)
	if err != nil {
		return 0, false, err
	}
	done := offset
	progress := func() {
		if opt.Progress != nil {
			opt.Progress(a.File, done, total)
		}
	}
	progress()
	buf := make([]byte, 256<<10)
	for {
		n, rerr := resp.Body.Read(buf)
		if n > 0 && done+int64(n) > limit {
			f.Close()
			if rerr := os.Remove(part); rerr != nil {
				return resumed, restarted, fmt.Errorf("%w: %s: GET %s sent more than %d bytes, but the file has %s (and removing %s failed: %v)",
					ErrTooLarge, a.File, u, limit, sizeText(a.Size), part, rerr)
			}
			return resumed, restarted, fmt.Errorf("%w: %s: GET %s sent more than %d bytes, but the file has %s; download removed",
				ErrTooLarge, a.File, u, limit, sizeText(a.Size))
		}
		if n > 0 {
			watchdog.Reset(stall)
			if _, werr := f.Write(buf[:n]); werr != nil {
				f.Close()
				return resumed, restarted, fmt.Errorf("%s: %w", a.File, werr)
			}
			done += int64(n)
			progress()
		}
		if rerr == io.EOF {
			break
		}
		if rerr != nil {
			serr := f.Sync()
			cerr := f.Close()
			if serr != nil || cerr != nil {
				return resumed, restarted, fmt.Errorf("%s: %w (and the partial file %s may be damaged)", a.File, causeOf(ctx, rerr), part)
			}
			return resumed, restarted, fmt.Errorf("%s: %w; kept %d bytes in %s, run again to resume",
				a.File, causeOf(ctx, rerr), done, part)
		}
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return resumed, restarted, fmt.Errorf("%s: %w", a.File, err)
	}
	if err := f.Close(); err != nil {
		return resumed, restarted, fmt.Errorf("%s: %w", a.File, err)
	}
	return resumed, restarted, nil
}

// sizeText describes an archive's expected size for errors.
func sizeText(size int64) string {
	if size <= 0 {
		return "no known size"
	}
	return fmt.Sprintf("%d bytes", size)
}

// causeOf replaces a cancellation error by its cause (the stall watchdog or
// the overall deadline).
func causeOf(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && (errors.Is(c, errStalled) || errors.Is(c, context.DeadlineExceeded)) {
		return c
	}
	return err
}

// parseContentRange parses "bytes START-END/SIZE" and returns START and
// SIZE (-1 for "*").
func parseContentRange(s string) (start, size int64, ok bool) {
	rest, found := strings.CutPrefix(s, "bytes ")
	if !found {
		return 0, 0, false
	}
	rng, sz, found := strings.Cut(rest, "/")
	if !found {
		return 0, 0, false
	}
	first, _, found := strings.Cut(rng, "-")
	if !found {
		return 0, 0, false
	}
	start, err := strconv.ParseInt(first, 10, 64)
	if err != nil || start < 0 {
		return 0, 0, false
	}
	if sz == "*" {
		return start, -1, true
	}
	size, err = strconv.ParseInt(sz, 10, 64)
	if err != nil {
		return 0, 0, false
	}
	return start, size, true
}

// syncDir makes a rename in dir durable where the system supports it;
// failure only weakens the crash guarantee, so it is ignored.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

func isTarGz(name string) bool {
	return strings.HasSuffix(name, ".tar.gz") || strings.HasSuffix(name, ".tgz")
}

// unpackTarGz extracts the directories and regular files of a gzipped tar
// archive into dir and returns the files' paths relative to dir. Entries
// whose path would leave dir, and links or devices, are refused. Each file
// is written under a temporary name and renamed when complete, so an
// interrupted extraction never leaves a truncated file under its real name.
func unpackTarGz(archive, dir string) ([]string, error) {
	f, err := os.Open(archive)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("unpack %q: %w", archive, err)
	}
	tr := tar.NewReader(zr)
	var files []string
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return files, fmt.Errorf("unpack %q: %w", archive, err)
		}
		name := path.Clean(strings.TrimPrefix(h.Name, "./"))
		if h.Typeflag == tar.TypeXGlobalHeader || name == "." {
			continue
		}
		if !filepath.IsLocal(filepath.FromSlash(name)) || strings.Contains(name, `\`) {
			return files, fmt.Errorf("unpack %q: entry %q is outside the target directory", archive, h.Name)
		}
		target := filepath.Join(dir, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return files, fmt.Errorf("unpack %q: %w", archive, err)
			}
		case tar.TypeReg:
			if err := writeAtomic(target, tr); err != nil {
				return files, fmt.Errorf("unpack %q: entry %q: %w", archive, h.Name, err)
			}
			files = append(files, name)
		default:
			return files, fmt.Errorf("unpack %q: entry %q has type %q; only files and directories are unpacked",
				archive, h.Name, string(h.Typeflag))
		}
	}
}

// writeAtomic writes r to target (creating its directory) through a temporary file in the same
// directory: runfolder.WriteAtomic, so that a crash never leaves a partial file under the
// final name.
func writeAtomic(target string, r io.Reader) error {
	if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
		return err
	}
	return runfolder.WriteAtomic(target, func(w io.Writer) error {
		_, err := io.Copy(w, r)
		return err
	})
}
