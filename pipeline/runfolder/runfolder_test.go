package runfolder

import (
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// TestLeaf: the package imports only the standard library, so that every reader of run
// folders (report, sweep) builds without libtorch.
func TestLeaf(t *testing.T) {
	files, _ := filepath.Glob("*.go")
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		af, err := parser.ParseFile(fset, f, nil, parser.ImportsOnly)
		if err != nil {
			t.Fatal(err)
		}
		for _, imp := range af.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") || strings.HasPrefix(p, "budgetrain/") || p == "C" {
				t.Errorf("%s imports %s, want the standard library only", f, p)
			}
		}
	}
}

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
