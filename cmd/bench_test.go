package cmd

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestBenchJSONHasEveryField runs the bench command on the tiny model and checks that the JSON
// names every part, the machine and the versions, with positive throughputs.
func TestBenchJSONHasEveryField(t *testing.T) {
	out, err := execute(t, "bench", "--model", "test-tiny", "--iters", "2", "--warmup", "1", "--dataset", "fashion-mnist", "--batch", "8", "--json", "--device", "cpu")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	var r map[string]any
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("bench --json: %v\n%s", err, out)
	}
	for _, k := range []string{"height", "width", "channels", "classes", "batch", "warmup", "iters", "parameters", "threads", "loader_workers"} {
		if v, ok := r[k].(float64); !ok || v <= 0 {
			t.Errorf("%s = %v, want a positive number", k, r[k])
		}
	}
	for _, k := range []string{"model", "dataset", "precision", "device", "cpu", "libtorch", "onnxruntime", "budgetrain", "agreement"} {
		if v, ok := r[k].(string); !ok || v == "" {
			t.Errorf("%s = %v, want a non-empty string", k, r[k])
		}
	}
	for _, part := range []string{"train", "eval_torch", "eval_onnx", "input"} {
		p, ok := r[part].(map[string]any)
		if !ok {
			t.Errorf("%s missing: %v", part, r[part])
			continue
		}
		for _, k := range []string{"median", "min", "max"} {
			if v, ok := p[k].(float64); !ok || v <= 0 {
				t.Errorf("%s.%s = %v, want img/s > 0", part, k, p[k])
			}
		}
		if p["min"].(float64) > p["median"].(float64) || p["median"].(float64) > p["max"].(float64) {
			t.Errorf("%s: want min <= median <= max, got %v", part, p)
		}
	}
	if v, ok := r["max_rel_logit_diff"]; !ok || v != nil {
		t.Errorf("max_rel_logit_diff = %v (present %v), want null on the CPU", v, ok)
	}
	if r["agreement"] != "device is the CPU" || r["model"] != "test-tiny" || r["height"] != 28.0 || r["channels"] != 1.0 {
		t.Errorf("agreement %v, model %v, shape %vx%v: want device is the CPU, test-tiny, 28x1", r["agreement"], r["model"], r["height"], r["channels"])
	}
}

func TestBenchTextNamesEveryPart(t *testing.T) {
	out, err := execute(t, "bench", "--model", "test-tiny", "--iters", "1", "--warmup", "0", "--dataset", "fashion-mnist", "--batch", "4", "--device", "cpu")
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, out)
	}
	for _, want := range []string{"train step", "eval libtorch", "eval onnxruntime", "input pipeline", "libtorch 2.", "threads", "agreement: device is the CPU"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestBenchRefusesBadSettings(t *testing.T) {
	for _, c := range []struct {
		name string
		args []string
		want []string
	}{
		{"unknown model", []string{"--model", "resnet9"}, []string{`model ("resnet9") is unknown`, "resnet18"}},
		{"unknown precision", []string{"--precision", "fp8"}, []string{`precision ("fp8") is unknown`}},
		{"all at once", []string{"--model", "x", "--precision", "y", "--batch", "0", "--iters", "0"}, []string{"model (", "precision (", "batch (0)", "iters (0)"}},
		{"image folder", []string{"--dataset", "imagefolder"}, []string{"no fixed shape"}},
		{"run configuration", []string{"--set", "train.lr=1"}, []string{"bench takes no run configuration"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := execute(t, append([]string{"bench", "--iters", "1", "--warmup", "0"}, c.args...)...)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}
