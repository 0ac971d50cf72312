package pipeline

import (
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"sync"

	"budgetrain/internal/torchx"
	"budgetrain/pipeline/runfolder"
)

// Provenance is the record of which build and machine produced a run (runfolder owns it).
type Provenance = runfolder.Provenance

// buildCommit and buildDirty are set by make build (-ldflags -X) from git, for builds that Go's
// own VCS stamping misses (a git worktree, GOFLAGS=-buildvcs=false).
var buildCommit, buildDirty string

// processProvenance is what a process's provenance does not change within it: build, Go,
// libtorch and CPU model, read once (every checkpoint records the provenance).
var processProvenance = sync.OnceValue(func() Provenance {
	p := Provenance{GoVersion: runtime.Version(), Libtorch: torchx.TorchVersion()}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			switch s.Key {
			case "vcs.revision":
				p.Commit = s.Value
			case "vcs.modified":
				p.Dirty = s.Value == "true"
			}
		}
	}
	if p.Commit == "" {
		p.Commit, p.Dirty = buildCommit, buildDirty == "true"
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		p.CPU = cpuModel(string(b))
	}
	if p.CPU == "" {
		p.CPU = runtime.GOARCH
	}
	return p
})

// currentProvenance is the provenance of this process training on device with its current
// libtorch thread count.
func currentProvenance(device string) Provenance {
	p := processProvenance()
	p.Device, p.Threads = device, torchx.NumThreads()
	return p
}

// cpuModel describes the first processor of a /proc/cpuinfo text: its model name, then vendor,
// family, model and stepping (virtual machines often show a generic name such as "Intel(R)
// Xeon(R) Processor", which these tell apart) and the widest x86 vector extension, which decides
// the kernels oneDNN and MKL pick. Empty when the text has no model name.
func cpuModel(cpuinfo string) string {
	fields := map[string]string{}
	for _, line := range strings.Split(cpuinfo, "\n") {
		if strings.TrimSpace(line) == "" && len(fields) > 0 {
			break // the first processor only
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		fields[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	name := fields["model name"]
	if name == "" {
		return ""
	}
	var id []string
	if v := fields["vendor_id"]; v != "" {
		id = append(id, v)
	}
	for _, k := range []string{"cpu family", "model", "stepping"} {
		if v := fields[k]; v != "" {
			id = append(id, strings.TrimPrefix(k, "cpu ")+" "+v)
		}
	}
	flags := strings.Fields(fields["flags"])
	for _, f := range []string{"avx512f", "avx2", "avx"} {
		if slices.Contains(flags, f) {
			id = append(id, f)
			break
		}
	}
	if len(id) == 0 {
		return name
	}
	return fmt.Sprintf("%s (%s)", name, strings.Join(id, ", "))
}

// provenance returns the provenances of this run so far: those of the checkpoint it resumed,
// then this process's unless it equals the last of them.
func (t *Trainer) provenance() []Provenance {
	now := currentProvenance(deviceName(t.Device))
	var list []Provenance
	if t.resumed != nil {
		list = slices.Clone(t.resumed.Provenance)
	}
	if len(list) == 0 || list[len(list)-1] != now {
		list = append(list, now)
	}
	return list
}
