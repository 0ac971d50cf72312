package pipeline

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"

	"budgetrain/pipeline/data"
	"budgetrain/sampler"
)

// selectionLog writes one JSON line per epoch, {"epoch": e, "indices": [...], "importance":
// [...]} (importance -1 = never observed), for offline analysis of what a sampler chose.
type selectionLog struct {
	f *os.File
	w *bufio.Writer
}

func newSelectionLog(path string) (*selectionLog, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("train.log_selection: %w", err)
	}
	return &selectionLog{f: f, w: bufio.NewWriterSize(f, 1<<20)}, nil
}

func (l *selectionLog) Close() error {
	l.w.Flush()
	return l.f.Close()
}

func (t *Trainer) logSelection(idx []int) {
	if t.selLog == nil {
		return
	}
	rec := struct {
		Epoch      int       `json:"epoch"`
		Indices    []int     `json:"indices"`
		Importance []float32 `json:"importance,omitempty"` // the sampler's importance of each index, when it keeps one
	}{Epoch: t.state.Epoch + 1, Indices: idx}
	if imp, ok := t.Sampler.(sampler.Importancer); ok {
		rec.Importance = imp.Importance(idx)
		for k, v := range rec.Importance {
			if v != v { // NaN (never observed) is not valid JSON
				rec.Importance[k] = -1
			}
		}
	}
	b, _ := json.Marshal(rec)
	t.selLog.w.Write(append(b, '\n'))
}

// features returns a small per-sample feature vector for core-set selection: the normalised
// image average-pooled to at most 8×8 per channel.
func features(d *data.Dataset, info data.Info) ([]float32, int) {
	ph, pw := min(8, d.H), min(8, d.W)
	dim := ph * pw * d.C
	f := make([]float32, d.N*dim)
	for i := 0; i < d.N; i++ {
		img := d.Image(i)
		row := f[i*dim : (i+1)*dim]
		for y := 0; y < d.H; y++ {
			for x := 0; x < d.W; x++ {
				cy, cx := y*ph/d.H, x*pw/d.W
				for c := 0; c < d.C; c++ {
					v := (float32(img[(y*d.W+x)*d.C+c])/255 - info.Mean[c]) / info.Std[c]
					row[(cy*pw+cx)*d.C+c] += v
				}
			}
		}
		area := float32(d.H*d.W) / float32(ph*pw)
		for k := range row {
			row[k] /= area
		}
	}
	return f, dim
}
