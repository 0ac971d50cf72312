package data

import (
	"math"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// realFashionMNIST returns the installed Fashion-MNIST directory, skipping
// the test if it is absent, except under CI where a missing install is a
// failure (STYLE rule 24).
func realFashionMNIST(tb testing.TB) string {
	tb.Helper()
	dir := DefaultDir("fashion-mnist")
	if _, err := os.Stat(filepath.Join(dir, "train-images-idx3-ubyte.gz")); err != nil {
		if os.Getenv("CI") != "" {
			tb.Fatalf("CI is set but Fashion-MNIST is not installed: %v", err)
		}
		tb.Skipf("Fashion-MNIST not installed: %v", err)
	}
	return dir
}

func TestLoadRealFashionMNIST(t *testing.T) {
	dir := realFashionMNIST(t)
	for _, tc := range []struct {
		name     string
		train    bool
		n, perCl int
	}{{"Train", true, 60000, 6000}, {"Test", false, 10000, 1000}} {
		t.Run(tc.name, func(t *testing.T) {
			start := time.Now()
			d, err := Load("fashion-mnist", dir, tc.train)
			if err != nil {
				t.Fatal(err)
			}
			t.Logf("read %d images in %v", d.N, time.Since(start))
			if d.N != tc.n || d.H != 28 || d.W != 28 || d.C != 1 {
				t.Fatalf("N=%d H=%d W=%d C=%d, want %d 28 28 1", d.N, d.H, d.W, d.C, tc.n)
			}
			for k, c := range d.ClassCounts() {
				if c != tc.perCl {
					t.Errorf("class %d (%s) has %d images, want %d", k, d.Classes[k], c, tc.perCl)
				}
			}
			if !tc.train {
				return
			}
			// Lookup's constants are the training set's statistics.
			info, _ := Lookup("fashion-mnist")
			mean, std := d.MeanStd()
			if math.Abs(float64(mean[0]-info.Mean[0])) > 5e-4 || math.Abs(float64(std[0]-info.Std[0])) > 5e-4 {
				t.Errorf("train mean %.4f std %.4f, want %.4f %.4f", mean[0], std[0], info.Mean[0], info.Std[0])
			}
		})
	}
}
