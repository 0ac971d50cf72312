package cmd

import (
	"bytes"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"budgetrain/pipeline"
)

// mixedFolder writes an image folder with train/ and test/ splits of two classes whose PNG and
// JPEG images all have different sizes and aspect ratios; class a is dark, class b bright.
func mixedFolder(t *testing.T, perClass int) string {
	t.Helper()
	dir := t.TempDir()
	for _, split := range []string{"train", "test"} {
		for c, class := range []string{"a", "b"} {
			for i := range perClass {
				w, h := 12+i%5*7, 30-i%4*5
				m := image.NewNRGBA(image.Rect(0, 0, w, h))
				for j := 0; j < len(m.Pix); j += 4 {
					v := uint8(40 + 150*c + (j/4)%20)
					copy(m.Pix[j:], []byte{v, v / 2, 255 - v, 255})
				}
				var buf bytes.Buffer
				ext := []string{".png", ".jpg"}[i%2]
				var err error
				if ext == ".png" {
					err = png.Encode(&buf, m)
				} else {
					err = jpeg.Encode(&buf, m, nil)
				}
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join(dir, split, class, fmt.Sprintf("%02d%s", i, ext))
				if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
		}
	}
	return dir
}

// TestTrainOnMixedSizeImageFolder trains the tiny model one epoch on a folder of mixed-size
// PNG and JPEG images with dataset.image_size 16, through export and onnxruntime evaluation;
// without image_size the same folder is refused with the hint to set it.
func TestTrainOnMixedSizeImageFolder(t *testing.T) {
	if testing.Short() {
		t.Skip("trains a model")
	}
	dir := mixedFolder(t, 8)
	args := func(out string, extra ...string) []string {
		return append([]string{"train", "--out", out, "--model", "test-tiny", "--epochs", "1", "--budget", "1",
			"--device", "cpu", "--dataset", "imagefolder", "--set", "dataset.dir=" + dir, "--set", "train.batch_size=4",
			"--set", "threads=1", "--set", "train.eval_backend=both"}, extra...)
	}
	out := t.TempDir()
	res, err := execute(t, args(out, "--set", "dataset.image_size=16")...)
	if err != nil {
		t.Fatalf("train: %v\n%s", err, res)
	}
	sum, err := os.ReadFile(filepath.Join(out, "summary.json"))
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"completed": true`, `"iterations": 4`} {
		if !strings.Contains(string(sum), want) {
			t.Errorf("summary.json lacks %s:\n%s", want, sum)
		}
	}
	cfg, _ := os.ReadFile(filepath.Join(out, "config.yaml"))
	if !strings.Contains(string(cfg), "image_size: 16") {
		t.Errorf("config.yaml lacks image_size: 16:\n%s", cfg)
	}
	// eval --run reads the test split at the run's image size.
	if res, err := execute(t, "eval", "--run", out, "--data-dir", dir); err != nil || !strings.Contains(res, "accuracy") {
		t.Errorf("eval --run: %v\n%s", err, res)
	}
	_, err = execute(t, args(t.TempDir())...)
	if err == nil || !strings.Contains(err.Error(), "mixed image sizes") || !strings.Contains(err.Error(), "dataset.image_size") {
		t.Errorf("without image_size: %v, want the mixed-size error with the hint", err)
	}
}

// TestLoadBarOnlyOnTerminalsForLargeFolders: decoding an image folder draws a bar per split
// on a terminal when the split has more than loadBarMin images, and nothing otherwise.
func TestLoadBarOnlyOnTerminalsForLargeFolders(t *testing.T) {
	dir := mixedFolder(t, 4) // 8 images per split
	oldMin, oldTerm := loadBarMin, isTerminal
	t.Cleanup(func() { loadBarMin, isTerminal = oldMin, oldTerm })
	for _, tc := range []struct {
		name     string
		terminal bool
		min      int
		bar      bool
	}{
		{"terminal, large", true, 7, true},
		{"terminal, small", true, 8, false},
		{"not a terminal", false, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loadBarMin = tc.min
			isTerminal = func(io.Writer) bool { return tc.terminal }
			var w bytes.Buffer
			progress, end := loadBars(&w)
			if (progress == nil) == tc.terminal {
				t.Fatalf("progress callback %v on terminal=%v", progress != nil, tc.terminal)
			}
			_, train, _, err := pipeline.LoadDataWith(pipeline.DatasetConfig{Name: "imagefolder", Dir: dir, ImageSize: 8}, progress)
			end()
			if err != nil || train.H != 8 {
				t.Fatalf("load: %v", err)
			}
			got := w.String()
			if !tc.bar {
				if got != "" {
					t.Errorf("wrote %q, want nothing", got)
				}
				return
			}
			for _, want := range []string{"decode train", "decode test", "8/8"} {
				if !strings.Contains(got, want) {
					t.Errorf("bar output lacks %q:\n%q", want, got)
				}
			}
		})
	}
}
