// Package lint checks project rules that the compiler does not (STYLE.md rule 26).
package lint

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
		f, err := parser.ParseFile(fset, p, src, parser.ImportsOnly|parser.ParseComments)
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
// packages sampler/, augment/ and pipeline/data/.
func TestImportBoundaries(t *testing.T) {
	for _, f := range repoFiles(t) {
		for _, imp := range imports(f) {
			switch {
			case (strings.Contains(imp, "spf13/viper") || strings.Contains(imp, "progressbar")) && !under(f.path, "cmd"):
				t.Errorf("%s imports %s: only cmd/ may", f.path, imp)
			case (strings.Contains(imp, "sugarme/gotch") || imp == "C") && under(f.path, "sampler", "augment", "pipeline/data", "onnx/internal"):
				t.Errorf("%s imports %s: this package must stay pure Go", f.path, imp)
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
