package data

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
)

// FallbackPixelBytes bounds an image folder's decoded pixels where the
// available memory cannot be read (no /proc/meminfo: not Linux, or a
// sandbox that hides it): 8 GiB, six times the largest dataset budgetrain
// uses (mini-ImageNet at 84×84, 1.27 GB).
const FallbackPixelBytes int64 = 8 << 30

// meminfoPath is where the kernel reports memory use (a variable for tests).
var meminfoPath = "/proc/meminfo"

// PixelLimit returns the default bound on the bytes an image folder's
// decoded pixels may take, and a phrase saying where it comes from for
// error messages: three quarters of MemAvailable in /proc/meminfo, read
// when called (the quarter left is for decoding buffers, the other split,
// the model and the batches), or FallbackPixelBytes where that cannot be
// read.
func PixelLimit() (int64, string) {
	f, err := os.Open(meminfoPath)
	if err == nil {
		defer f.Close()
		var avail int64
		if avail, err = memAvailable(f); err == nil {
			return avail / 4 * 3, fmt.Sprintf("3/4 of the %.1f GiB MemAvailable in %s", gib(avail), meminfoPath)
		}
	}
	return FallbackPixelBytes, fmt.Sprintf("data.FallbackPixelBytes, as available memory is unknown: %v", err)
}

// memAvailable returns the MemAvailable line of a /proc/meminfo file in
// bytes ("MemAvailable:   12345678 kB").
func memAvailable(r io.Reader) (int64, error) {
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), "MemAvailable:")
		if !ok {
			continue
		}
		f := strings.Fields(rest)
		if len(f) != 2 || f[1] != "kB" {
			return 0, fmt.Errorf("meminfo: MemAvailable line %q, want \"MemAvailable: N kB\"", sc.Text())
		}
		kb, err := strconv.ParseInt(f[0], 10, 64)
		if err != nil || kb < 0 || kb > 1<<53 {
			return 0, fmt.Errorf("meminfo: MemAvailable line %q, want \"MemAvailable: N kB\"", sc.Text())
		}
		return kb << 10, nil
	}
	if err := sc.Err(); err != nil {
		return 0, fmt.Errorf("meminfo: %w", err)
	}
	return 0, fmt.Errorf("meminfo: no MemAvailable line (Linux before 3.14?)")
}

// gib converts bytes to GiB.
func gib(n int64) float64 { return float64(n) / (1 << 30) }
