// Package lint checks project rules that the compiler does not (STYLE.md rule 26).
package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"budgetrain/pipeline/data"
)

type file struct {
	path string // slash-separated, relative to the repository root
	ast  *ast.File
	src  string
}

func repoFiles(t *testing.T) []file {
	t.Helper()
	root := filepath.Join("..", "..")
	var out []file
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel == "third_party" || rel == "runs" || strings.HasPrefix(d.Name(), ".") && rel != "." {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") {
			return nil
		}
		src, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		f, err := parser.ParseFile(fset, p, src, parser.ParseComments)
		if err != nil {
			return err
		}
		out = append(out, file{path: rel, ast: f, src: string(src)})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(out) < 20 {
		t.Fatalf("found only %d Go files: wrong root?", len(out))
	}
	return out
}

func imports(f file) []string {
	var out []string
	for _, s := range f.ast.Imports {
		p, _ := strconv.Unquote(s.Path.Value)
		out = append(out, p)
	}
	return out
}

func under(path string, dirs ...string) bool {
	for _, d := range dirs {
		if strings.HasPrefix(path, d+"/") {
			return true
		}
	}
	return false
}

// TestImportBoundaries: viper and progressbar only in cmd/; no gotch and no cgo in the pure-Go
// packages sampler/, augment/ and pipeline/data/; augment imports nothing of budgetrain (its tests
// may read the dataset records).
func TestImportBoundaries(t *testing.T) {
	for _, f := range repoFiles(t) {
		for _, imp := range imports(f) {
			switch {
			case (strings.Contains(imp, "spf13/viper") || strings.Contains(imp, "progressbar")) && !under(f.path, "cmd"):
				t.Errorf("%s imports %s: only cmd/ may", f.path, imp)
			case (strings.Contains(imp, "sugarme/gotch") || imp == "C") && under(f.path, "sampler", "augment", "pipeline/data", "onnx/internal"):
				t.Errorf("%s imports %s: this package must stay pure Go", f.path, imp)
			case strings.HasPrefix(imp, "budgetrain/") && under(f.path, "augment") && !strings.HasSuffix(f.path, "_test.go"):
				// augment knows no dataset: callers pass the record's numbers in (pipeline.AugmentInfo).
				t.Errorf("%s imports %s: augment imports nothing of budgetrain", f.path, imp)
			case under(f.path, "pipeline/runfolder") && !strings.HasSuffix(f.path, "_test.go") &&
				(strings.HasPrefix(imp, "budgetrain/") || strings.Contains(strings.SplitN(imp, "/", 2)[0], ".") || imp == "C"):
				// the run-folder format is a leaf: report and sweep read it on any machine
				t.Errorf("%s imports %s: runfolder imports the standard library only", f.path, imp)
			case under(f.path, "pipeline/report") && !strings.HasSuffix(f.path, "_test.go") &&
				(strings.HasPrefix(imp, "budgetrain/") && imp != "budgetrain/pipeline/runfolder" && imp != "budgetrain/pipeline/data" ||
					strings.Contains(imp, "gotch") || imp == "C"):
				// reports are made on any machine: nothing of the trainer or libtorch
				t.Errorf("%s imports %s: report reads run folders through runfolder and data only", f.path, imp)
			case imp == "C" && !under(f.path, "internal/torchx"):
				t.Errorf("%s uses cgo: only internal/torchx may", f.path)
			}
		}
	}
}

// TestNoGlobalSeedingOrExits: no rand.Seed, no time-seeded randomness, no log.Fatal or os.Exit
// outside cmd/ (main.go included).
func TestNoGlobalSeedingOrExits(t *testing.T) {
	for _, f := range repoFiles(t) {
		if strings.HasSuffix(f.path, "_test.go") && strings.HasPrefix(f.path, "internal/lint/") {
			continue
		}
		for _, bad := range []string{"rand.Seed(", "UnixNano()), ", "NewPCG(uint64(time.", "NewSource(time."} {
			if strings.Contains(f.src, bad) {
				t.Errorf("%s contains %q: seed from the config instead", f.path, bad)
			}
		}
		if under(f.path, "cmd") {
			continue
		}
		for _, bad := range []string{"log.Fatal", "os.Exit("} {
			if strings.Contains(f.src, bad) && !strings.HasSuffix(f.path, "_test.go") {
				t.Errorf("%s calls %s: return an error instead", f.path, bad)
			}
		}
	}
}

// TestEveryPackageHasDoc: a doc.go with a package comment in every package directory.
func TestEveryPackageHasDoc(t *testing.T) {
	dirs := map[string]bool{}
	for _, f := range repoFiles(t) {
		if !strings.HasSuffix(f.path, "_test.go") {
			dirs[filepath.Dir(f.path)] = dirs[filepath.Dir(f.path)] || false
		}
		if filepath.Base(f.path) == "doc.go" && f.ast.Doc != nil {
			dirs[filepath.Dir(f.path)] = true
		}
	}
	for d, ok := range dirs {
		if !ok && d != "cmd/budgetrain" && !strings.Contains(d, "/internal/") && !strings.HasPrefix(d, "internal/") {
			t.Errorf("package %s has no doc.go with a package comment", d)
		}
	}
}

// TestNoStubbedWrapperIsUsed: budgetrain calls none of the gotch wrappers that setup stubs for
// another libtorch (scripts/libtorch-stubs/*.txt), so that with those versions every op it uses
// still works. A stubbed C wrapper atg_x_y is reached from Go through lib.AtgXY; every gotch
// function whose body calls it is found in ts/tensor-generated.go, and no Go file of budgetrain
// may call that function (or its Must form) by name.
func TestNoStubbedWrapperIsUsed(t *testing.T) {
	root := filepath.Join("..", "..")
	gen, err := os.ReadFile(filepath.Join(root, "third_party", "gotch", "ts", "tensor-generated.go"))
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("gotch is not set up (make deps): %v", err)
		}
		t.Skipf("gotch is not set up (make deps): %v", err)
	}
	lists, _ := filepath.Glob(filepath.Join(root, "scripts", "libtorch-stubs", "*.txt"))
	if len(lists) == 0 {
		t.Fatal("no stub lists in scripts/libtorch-stubs")
	}
	// Go functions of tensor-generated.go and the lib calls in their bodies.
	funcs := map[string]string{} // lib function → the Go functions calling it, space-separated
	var current string
	for _, line := range strings.Split(string(gen), "\n") {
		if strings.HasPrefix(line, "func ") || strings.HasPrefix(line, "func(") {
			name := strings.TrimSpace(strings.TrimPrefix(line, "func"))
			if strings.HasPrefix(name, "(") { // a method: func(ts *Tensor) Name(
				name = name[strings.Index(name, ")")+1:]
			}
			current = strings.TrimSpace(name[:strings.Index(name, "(")])
		}
		if i := strings.Index(line, "lib.Atg"); i >= 0 && current != "" {
			call := line[i+len("lib."):]
			call = call[:strings.Index(call, "(")]
			funcs[call] += " " + current
		}
	}
	used := map[string][]string{} // Go function → the stub lists that stub it
	for _, l := range lists {
		b, err := os.ReadFile(l)
		if err != nil {
			t.Fatal(err)
		}
		for _, name := range strings.Fields(string(b)) {
			if !strings.HasPrefix(name, "atg_") {
				continue // a comment word
			}
			lib := "Atg"
			for i, part := range strings.Split(strings.TrimPrefix(name, "atg_"), "_") {
				if part == "" {
					if i == 0 {
						lib += "_"
					}
					continue
				}
				lib += strings.ToUpper(part[:1]) + part[1:]
			}
			for _, f := range strings.Fields(funcs[lib]) {
				used[f] = append(used[f], filepath.Base(l))
			}
		}
	}
	if len(used) == 0 {
		t.Fatal("no stubbed wrapper maps to a gotch function: the name mapping is broken")
	}
	for _, f := range repoFiles(t) {
		ast.Inspect(f.ast, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			name := sel.Sel.Name
			for _, cand := range []string{name, strings.TrimPrefix(name, "Must")} {
				if lists, ok := used[cand]; ok {
					t.Errorf("%s calls %s, a gotch wrapper stubbed for libtorch %v", f.path, name, lists)
				}
			}
			return true
		})
	}
}

// TestOneRecordPerDataset: the facts about a dataset are written once, in its record in
// pipeline/data/registry.go (STYLE "one record per dataset"). A non-test file that spells two or
// more dataset names (or aliases) as string literals is keeping a second table (a map, a switch,
// a list) and should ask the registry (data.Lookup, data.Names) instead. The few files listed
// below hold something else keyed by dataset and say why.
func TestOneRecordPerDataset(t *testing.T) {
	allowed := map[string]string{
		"pipeline/report/paper.go":               "the paper's published accuracies per dataset: results, not facts about the data",
		"pipeline/data/internal/gen/fixtures.go": "the test-fixture generator writes one tiny dataset per layout",
	}
	names := map[string]bool{}
	for _, n := range data.Names() {
		info, err := data.Lookup(n)
		if err != nil {
			t.Fatal(err)
		}
		names[n] = true
		for _, a := range info.Aliases {
			names[a] = true
		}
	}
	for _, f := range repoFiles(t) {
		if strings.HasSuffix(f.path, "_test.go") || f.path == "pipeline/data/registry.go" {
			continue
		}
		seen := map[string]bool{}
		ast.Inspect(f.ast, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if s, err := strconv.Unquote(lit.Value); err == nil && names[s] {
					seen[s] = true
				}
			}
			return true
		})
		if len(seen) < 2 {
			continue
		}
		if _, ok := allowed[f.path]; ok {
			continue
		}
		t.Errorf("%s spells the dataset names %q: ask the registry (pipeline/data/registry.go) instead of keeping a table", f.path, slices.Sorted(maps.Keys(seen)))
	}
	for path := range allowed {
		if _, err := os.Stat(filepath.Join("..", "..", path)); err != nil {
			t.Errorf("allowed file %s: %v (remove it from the list)", path, err)
		}
	}
}
