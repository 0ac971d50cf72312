package pipeline

import (
	"fmt"
	"math"
	"slices"

	"budgetrain/augment"
	"budgetrain/internal/torchx"
	"budgetrain/sampler"

	"github.com/sugarme/gotch"
	ts "github.com/sugarme/gotch/ts"
)

// trainStep runs one optimizer step on b: set the LR from the schedule, forward in training
// mode, per-example cross-entropy against every mixing part, weighted mean, backward, step.
// isw holds optional loss multipliers (importance unbiasing) per loaded position, as
// Weighter.Weights(b.Index) returns them; observe says whether the per-example losses of this
// forward pass go to the sampler.
//
// The loss is Σ_j Σ_k isw_Src[j,k]·W_jk·CE(ŷ_j, y_jk) / B, where part k of image j came from
// the batch image Src[j,k] with label weight W_jk (1 part without mixing); see lossWeights.
// Every per-example quantity the sampler needs (each part's CE, p(true class), ‖∂CE/∂logits‖)
// is computed in Go from one copy of the logits.
//
// That copy comes back a step behind: the step queues its work and the copy of its logits into
// a host buffer (asynchronous on CUDA, with an event after it), then finishes the previous step
// (finishStep: waits for that step's event, computes its statistics, the sampler's Observe, the
// events file and the hooks) while the device runs this one, and leaves itself pending. Nothing
// that decides this step reads the previous step's statistics (the LR comes from the step count;
// a sampler's weights and batches are fixed when its epoch starts), so the run is the same as
// with the statistics processed at once (TestDeferredStatsChangeNothing); an epoch's end calls
// flushStep for its last step, and so must anything else that reads them (Selective Backprop's
// selection passes need not: they compute their own losses). A non-finite loss is reported when
// its step finishes, naming that step.
func (t *Trainer) trainStep(b *Batch, isw []float32, observe bool) error {
	n, parts := b.N, b.Parts
	lr := t.Sched.At(t.state.Step)

	labels, weights := lossWeights(b, isw)
	x := t.up.images(b.X, n, b.C, b.H, b.W)
	lab := put(t.up, labels, int64(n), int64(parts))
	wt := put(t.up, weights, int64(n), int64(parts))

	bf16 := t.Cfg.Train.Precision == "bf16"
	if bf16 {
		if err := torchx.AutocastBF16(true, t.Device); err != nil {
			return fmt.Errorf("step %d: train.precision bf16: %w", t.state.Step+1, err)
		}
	}
	logits := t.Model.ForwardT(x, true)
	lsm := logits.MustLogSoftmax(1, gotch.Float, false)
	picked := lsm.MustGather(1, lab, false, false)
	loss := picked.MustMul(wt, true).MustSum(gotch.Float, true).MustNeg(true)
	if eps := t.Cfg.Train.LabelSmooth; eps > 0 {
		loss = smoothLoss(loss, lsm, wt, eps)
	}
	lsm.MustDrop()
	if bf16 {
		// Autocast ends with the loss, as torch.autocast around forward and loss; backward
		// follows the graph's dtypes. The logits (bfloat16) come back as float32.
		if err := torchx.AutocastBF16(false, t.Device); err != nil {
			return fmt.Errorf("step %d: train.precision bf16: %w", t.state.Step+1, err)
		}
		logits = logits.MustTotype(gotch.Float, true)
	}
	err := t.Opt.ZeroGrad()
	if err == nil {
		loss.MustBackward()
		err = t.Opt.Step(lr)
	}
	classes := len(t.Info.Classes)
	var host *ts.Tensor
	var ev *torchx.Event
	if err == nil {
		if host, err = t.down.host(gotch.Float, []int64{int64(n), int64(classes)}); err == nil {
			if err = torchx.Copy(host, logits, true); err == nil {
				ev, err = torchx.RecordEvent(t.Device)
			}
		}
	}
	for _, v := range []*ts.Tensor{x, lab, wt, logits, loss} {
		v.MustDrop()
	}
	if err != nil {
		return fmt.Errorf("step %d: optimizer or logits copy: %w", t.state.Step+1, err)
	}

	t.state.Step++
	t.state.LR = lr
	t.state.SamplesForward += int64(n)
	t.state.SamplesBackward += int64(n)
	p := &pendingStep{step: t.state.Step, lr: lr, fwd: t.state.SamplesForward, bwd: t.state.SamplesBackward,
		logits: host, ev: ev, observe: observe, b: b.statsCopy()}
	if err := t.flushStep(); err != nil {
		ev.Wait()
		return err
	}
	t.pending = p
	if t.syncStats {
		return t.flushStep()
	}
	return nil
}

// pendingStep is an optimizer step whose logits are on their way to the host.
type pendingStep struct {
	step     int        // t.state.Step after it
	lr       float64    // its learning rate
	fwd, bwd int64      // t.state.SamplesForward and SamplesBackward after it
	logits   *ts.Tensor // host tensor [N, classes] its logits are copied into (owned by t.down)
	ev       *torchx.Event
	observe  bool
	b        Batch // what perExample and obs read of its batch (statsCopy)
}

// statsCopy returns the fields of b that a step's statistics read (sizes, labels, mixing parts,
// dataset indices), copied: the loader reuses a released batch, and Selective Backprop's queue
// moves its slices, before a deferred step is finished.
func (b *Batch) statsCopy() Batch {
	return Batch{
		Batch: augment.Batch{N: b.N, C: b.C, H: b.H, W: b.W, Parts: b.Parts, Label: slices.Clone(b.Label[:b.N]),
			Src: slices.Clone(b.Src[:b.N*b.Parts]), Weight: slices.Clone(b.Weight[:b.N*b.Parts])},
		Index: slices.Clone(b.Index[:b.N]),
	}
}

// flushStep finishes the pending step, if any: waits for its logits, computes its per-example
// statistics into the epoch's sums, hands them to the sampler (when observed), writes its loss
// and LR to the events file and calls the hooks.
func (t *Trainer) flushStep() error {
	p := t.pending
	if p == nil {
		return nil
	}
	t.pending = nil
	if err := p.ev.Wait(); err != nil {
		return fmt.Errorf("step %d: wait for the logits: %w", p.step, err)
	}
	n, classes := p.b.N, len(t.Info.Classes)
	out := t.logitsBuf(n * classes)
	p.logits.MustCopyData(out, uint(n*classes))
	stats := perExample(out, classes, &p.b)
	if !finite(stats.loss) {
		return &DivergedError{Step: p.step, Loss: stats.loss, LR: p.lr, Reason: "the training loss is not finite", Kept: t.state.Epoch}
	}
	t.state.EpochLoss += stats.loss * float64(n)
	t.state.EpochCorrect += stats.correct
	t.state.EpochSeen += n
	if p.observe {
		if err := t.Sampler.Observe(stats.obs(&p.b, t.Cfg.Train.Credit, t.needGradNorm())); err != nil {
			return fmt.Errorf("step %d: %w", p.step, err)
		}
	}
	if err := t.events.step(p.step, stats.loss, p.lr); err != nil {
		return err
	}
	// The hooks see the state as it was right after this step (Progress().Step is its number),
	// not the next step's, which may already be queued.
	now := t.state
	t.state.Step, t.state.LR, t.state.SamplesForward, t.state.SamplesBackward = p.step, p.lr, p.fwd, p.bwd
	for _, h := range t.Hooks {
		h.Step(t, stats.loss)
	}
	t.state.Step, t.state.LR, t.state.SamplesForward, t.state.SamplesBackward = now.Step, now.LR, now.SamplesForward, now.SamplesBackward
	return nil
}

// lossWeights returns the label and the loss weight of every part of b (B·Parts each, B = b.N,
// row-major by image): part k of image j is scored against the label of its source image
// s = Src[j,k] with weight W_jk·isw[s]/B. isw[p] is the multiplier of dataset index b.Index[p]
// (nil means 1 for all). The multiplier follows the source, not the image position: under a
// mixer, image j holds the pixels and label terms of several samples, and the 1/(N·pᵢ) of
// loss-is and upper-bound-is or the 1/(1−r) of infobatch that unbiases sample i must scale the
// terms of sample i wherever its parts went. Each loaded position is the source of parts whose
// weights sum to 1 (mixup: λ in image p and 1−λ in image perm⁻¹(p); RICAP: one patch per
// permutation), so with K examples loaded per epoch, drawn with probabilities pᵢ,
// E[Σ weight·1{term of sample i}] = K·pᵢ·(1/(N·pᵢ))/B = K/(N·B), the value of uniform sampling
// without multipliers. It panics if isw is neither nil nor of length B.
func lossWeights(b *Batch, isw []float32) (labels []int64, weights []float32) {
	n, parts := b.N, b.Parts
	if isw != nil && len(isw) != n {
		panic(fmt.Sprintf("pipeline: %d loss multipliers for a batch of %d", len(isw), n))
	}
	labels = make([]int64, n*parts)
	weights = make([]float32, n*parts)
	for jk, src := range b.Src[:n*parts] {
		s := float32(1)
		if isw != nil {
			s = isw[src]
		}
		labels[jk] = int64(b.Label[src])
		weights[jk] = b.Weight[jk] * s / float32(n)
	}
	return labels, weights
}

// smoothLoss returns PyTorch's label-smoothed loss (1−ε)·ce + ε·Σ_j (Σ_k w_jk)·mean_c(−log p_jc)
// from the weighted cross-entropy ce (dropped), the log-probabilities lsm and the part weights
// wt (both kept). The uniform term depends only on the image, so each image counts with the sum
// of its parts' weights, exactly as smoothing every part's target would.
func smoothLoss(ce, lsm, wt *ts.Tensor, eps float64) *ts.Tensor {
	mean := lsm.MustMeanDim([]int64{1}, false, gotch.Float, false)
	wsum := wt.MustSumDimIntlist([]int64{1}, false, gotch.Float, false)
	uni := mean.MustMul(wsum, true).MustSum(gotch.Float, true).MustNeg(true)
	wsum.MustDrop()
	a, b := ts.FloatScalar(1-eps), ts.FloatScalar(eps)
	defer a.MustDrop()
	defer b.MustDrop()
	ub := uni.MustMulScalar(b, true)
	out := ce.MustMulScalar(a, true).MustAdd(ub, true)
	ub.MustDrop()
	return out
}

func (t *Trainer) logitsBuf(n int) []float32 {
	if cap(t.buf) < n {
		t.buf = make([]float32, n)
	}
	return t.buf[:n]
}

func (t *Trainer) needGradNorm() bool {
	g, ok := t.Sampler.(sampler.GradNormUser)
	return ok && g.NeedsGradNorm()
}

// exampleStats are the per-example quantities of one forward pass, computed in Go.
type exampleStats struct {
	loss    float64   // mean over images of Σ_k W_jk·CE_jk (no importance weights)
	correct float64   // images whose argmax is the label of their largest part
	ce      []float32 // N·Parts: CE of image j against the label of part k
	own     []float32 // N: CE of image j against the label of the image loaded at position j
	gnorm   []float32 // N·Parts: ‖softmax_j − onehot(y_jk)‖₂
	gown    []float32 // N: ‖softmax_j − onehot(label loaded at j)‖₂
}

func perExample(logits []float32, classes int, b *Batch) exampleStats {
	n, parts := b.N, b.Parts
	s := exampleStats{ce: make([]float32, n*parts), own: make([]float32, n), gnorm: make([]float32, n*parts), gown: make([]float32, n)}
	for j := 0; j < n; j++ {
		row := logits[j*classes : (j+1)*classes]
		mx, arg := math.Inf(-1), 0
		for c, v := range row {
			if float64(v) > mx {
				mx, arg = float64(v), c
			}
		}
		var z, sq float64
		for _, v := range row {
			e := math.Exp(float64(v) - mx)
			z += e
			sq += e * e
		}
		lse := mx + math.Log(z)
		sq /= z * z // Σ softmax²
		best, bestW := 0, float32(-1)
		var lj float64
		for k := 0; k < parts; k++ {
			y := b.Label[b.Src[j*parts+k]]
			ce := lse - float64(row[y])
			s.ce[j*parts+k] = float32(ce)
			p := math.Exp(-ce)
			s.gnorm[j*parts+k] = float32(math.Sqrt(math.Max(0, sq-2*p+1)))
			w := b.Weight[j*parts+k]
			lj += float64(w) * ce
			if w > bestW {
				best, bestW = y, w
			}
		}
		own := lse - float64(row[b.Label[j]])
		s.own[j] = float32(own)
		s.gown[j] = float32(math.Sqrt(math.Max(0, sq-2*math.Exp(-own)+1)))
		s.loss += lj
		if arg == best {
			s.correct++
		}
	}
	s.loss /= float64(n)
	return s
}

// obs credits the per-example losses to dataset indices. "share": every source image of a
// mixed image gets the CE against its own label with its mixing weight (parts of zero area are
// skipped). "released": the official code's rule (spec §2.5 quirk a): image j is scored
// against the label loaded at position j and credited to that sample with weight 1.
func (s exampleStats) obs(b *Batch, credit string, gradNorm bool) sampler.Obs {
	n, parts := b.N, b.Parts
	var o sampler.Obs
	if parts == 1 || credit == "released" {
		o.Idx = b.Index[:n]
		o.Loss = s.own // with one part, the loaded label is the only label
		if gradNorm {
			o.GradNorm = s.gown
		}
		return o
	}
	for j := 0; j < n; j++ {
		for k := 0; k < parts; k++ {
			w := b.Weight[j*parts+k]
			if w <= 0 {
				continue
			}
			o.Idx = append(o.Idx, b.Index[b.Src[j*parts+k]])
			o.Loss = append(o.Loss, s.ce[j*parts+k])
			o.Weight = append(o.Weight, w)
			if gradNorm {
				o.GradNorm = append(o.GradNorm, s.gnorm[j*parts+k])
			}
		}
	}
	return o
}
