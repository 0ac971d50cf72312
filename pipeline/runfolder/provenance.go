package runfolder

import (
	"fmt"
	"strings"
)

// Provenance says which build, library and machine produced a run (summary.json's
// "provenance", checkpoint.json's list of them). Results are bit-exact only between runs with
// the same libtorch, device, CPU model and thread count (Machine); a different commit may or
// may not change them (Build).
type Provenance struct {
	Commit    string `json:"commit"`     // budgetrain's git revision; "" when built without VCS information (go test, go run)
	Dirty     bool   `json:"dirty"`      // the build's tree had uncommitted changes
	GoVersion string `json:"go_version"` // the Go toolchain that built budgetrain
	Libtorch  string `json:"libtorch"`   // libtorch version budgetrain was compiled against
	Device    string `json:"device"`     // cpu or cuda:N
	Threads   int    `json:"threads"`    // libtorch intra-op threads
	CPU       string `json:"cpu"`        // CPU model (/proc/cpuinfo), with vendor, family, model and vector width
}

// Recorded reports whether p was recorded at all (runs before provenance existed have none).
func (p Provenance) Recorded() bool { return p != Provenance{} }

// Build names the budgetrain build: the short commit, "+dirty" for uncommitted changes,
// "unknown build" when not recorded.
func (p Provenance) Build() string {
	if p.Commit == "" {
		return "unknown build"
	}
	s := p.Commit[:min(len(p.Commit), 10)]
	if p.Dirty {
		s += "+dirty"
	}
	return s
}

// Machine names what decides bit-exactness: libtorch version, device, threads and CPU model.
func (p Provenance) Machine() string {
	if !p.Recorded() {
		return "machine not recorded"
	}
	parts := []string{"libtorch " + cmpOr(p.Libtorch, "?"), p.Device, fmt.Sprintf("%d thread%s", p.Threads, plural(p.Threads))}
	if p.CPU != "" {
		parts = append(parts, p.CPU)
	}
	return strings.Join(parts, ", ")
}

func cmpOr(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

func plural(n int) string {
	if n == 1 {
		return ""
	}
	return "s"
}
