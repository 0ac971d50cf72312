package pipeline

import (
	"context"

	"budgetrain/sampler"

	ts "github.com/sugarme/gotch/ts"
)

// sbEpoch runs one epoch of Selective Backprop (Jiang et al. 2019; spec §2.7): every loader
// batch gets a selection forward pass in evaluation mode without gradients (so BatchNorm's
// running statistics do not move), the selector keeps each example with probability
// percentile^β, and kept examples queue up until exactly B of them are back-propagated in one
// training step on the same augmented images. Deviation: a partial queue at the end of the
// epoch carries over to the next epoch instead of being trained as a smaller batch, so every
// step has exactly B examples.
func (t *Trainer) sbEpoch(ctx context.Context) error {
	sel := t.Sampler.(sampler.Selector)
	q := t.sbQueue()
	per := q.C * q.H * q.W
	return t.forEachBatch(ctx, func(b *Batch) error {
		loss := t.selectionLosses(b)
		for _, j := range sel.Select(loss) {
			q.X = append(q.X, b.X[j*per:(j+1)*per]...)
			q.Label = append(q.Label, b.Label[j])
			q.Index = append(q.Index, b.Index[j])
		}
		for len(q.Index) >= t.Cfg.Train.BatchSize && t.state.Step < t.TotalSteps {
			if err := t.trainQueued(q); err != nil {
				return err
			}
		}
		return nil
	})
}

// sbQueue returns the carried-over queue of selected examples.
func (t *Trainer) sbQueue() *Batch {
	if t.queue == nil {
		t.queue = &Batch{}
		t.queue.C, t.queue.H, t.queue.W = t.Train.C, t.Train.H, t.Train.W
	}
	return t.queue
}

// trainQueued trains on the first B queued examples and removes them from the queue.
func (t *Trainer) trainQueued(q *Batch) error {
	bs := t.Cfg.Train.BatchSize
	per := q.C * q.H * q.W
	b := &Batch{Index: q.Index[:bs]}
	b.N, b.C, b.H, b.W, b.Parts = bs, q.C, q.H, q.W, 1
	b.X = q.X[:bs*per]
	b.Label = q.Label[:bs]
	b.Src = make([]int, bs)
	b.Weight = make([]float32, bs)
	for i := range b.Src {
		b.Src[i], b.Weight[i] = i, 1
	}
	if err := t.trainStep(b, nil, true); err != nil { // Observe sees the back-propagated examples
		return err
	}
	q.X = append(q.X[:0], q.X[bs*per:]...)
	q.Label = append(q.Label[:0], q.Label[bs:]...)
	q.Index = append(q.Index[:0], q.Index[bs:]...)
	return nil
}

// selectionLosses forwards b in evaluation mode without gradients and returns the
// per-example cross-entropy.
func (t *Trainer) selectionLosses(b *Batch) []float32 {
	classes := len(t.Info.Classes)
	out := t.logitsBuf(b.N * classes)
	ts.NoGrad(func() {
		x := t.up.images(b.X, b.N, b.C, b.H, b.W)
		logits := t.Model.ForwardT(x, false)
		logits.MustCopyData(out, uint(len(out)))
		x.MustDrop()
		logits.MustDrop()
	})
	t.state.SamplesForward += int64(b.N)
	s := perExample(out, classes, b)
	return s.ce
}
