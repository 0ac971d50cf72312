package runfolder

import (
	"slices"
	"testing"
)

func TestProvenanceNames(t *testing.T) {
	var none Provenance
	if none.Recorded() || none.Build() != "unknown build" || none.Machine() != "machine not recorded" {
		t.Errorf("zero provenance: %v %q %q", none.Recorded(), none.Build(), none.Machine())
	}
	p := Provenance{Commit: "92f51043a32bbb89a5b06e07deb4e63369368631", Dirty: true, Libtorch: "2.1.2", Device: "cpu", Threads: 1, CPU: "AMD EPYC 7B13 (AuthenticAMD, avx2)"}
	if got, want := p.Build(), "92f51043a3+dirty"; got != want {
		t.Errorf("Build() = %q, want %q", got, want)
	}
	if got, want := p.Machine(), "libtorch 2.1.2, cpu, 1 thread, AMD EPYC 7B13 (AuthenticAMD, avx2)"; got != want {
		t.Errorf("Machine() = %q, want %q", got, want)
	}
	p.Threads, p.Commit = 2, "" // the commit does not decide bit-exactness
	if got, want := p.Machine(), "libtorch 2.1.2, cpu, 2 threads, AMD EPYC 7B13 (AuthenticAMD, avx2)"; got != want {
		t.Errorf("Machine() = %q, want %q", got, want)
	}
}

// TestHashIgnoreIsIdentityOrEnvironment: a key the sweep hash leaves out must be one that does
// not change what a run trains.
func TestHashIgnoreIsIdentityOrEnvironment(t *testing.T) {
	for _, k := range HashIgnore {
		if !slices.Contains(IdentityKeys, k) && !slices.Contains(EnvironmentKeys, k) {
			t.Errorf("HashIgnore has %s, which is neither an identity nor an environment key", k)
		}
	}
}
