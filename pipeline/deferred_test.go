package pipeline

import "testing"

// TestDeferredStatsChangeNothing: finishing each step's per-example statistics a step behind
// (trainStep's default, so that a GPU computes the next step while the host scores the last)
// gives exactly the run that finishing them at once gives, for every setup of methodCases (every
// sampler's Observe, Selective Backprop's selection passes, the importance weights, InfoBatch's
// pruning; the batch mixers; label smoothing): the same loss at every step (the hooks see the steps in
// order), the same epochs, selections, counts, weights and test logits, bit for bit.
func TestDeferredStatsChangeNothing(t *testing.T) {
	names, cases := methodCases()
	for _, name := range names {
		t.Run(name, func(t *testing.T) {
			gpuCheckDevice(t) // locks the OS thread; the CPU runs both
			c := deviceConfig(t, "cpu")
			cases[name](&c)
			now := newTestTrainer(t, c)
			now.syncStats = true
			want := recordRun(t, now)
			d := c
			d.Out = t.TempDir()
			d.Train.LogSelection = d.Out + "/selection.jsonl"
			got := recordRun(t, newTestTrainer(t, d))
			if len(got.losses) != len(want.losses) || len(got.losses) == 0 {
				t.Fatalf("%d step losses deferred, %d at once", len(got.losses), len(want.losses))
			}
			compareRuns(t, tolerance{}, got, want)
		})
	}
}
