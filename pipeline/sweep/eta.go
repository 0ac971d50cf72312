package sweep

import "time"

// ETA estimates the time left from the cells measured so far: wall seconds per optimizer step
// of the cells that ran in this invocation, times the planned steps still to run, spread over
// the parallel jobs (no more than there are cells left).
type ETA struct {
	Jobs      int
	seconds   float64        // wall time of measured attempts
	steps     int            // optimizer steps those attempts ran
	leftSteps int            // planned steps of the cells still to finish
	left      map[*Cell]bool // those cells
}

// NewETA starts an estimate for the cells that are still to run: not those already done or
// left alone, which a resumed sweep skips only when it reaches them, so that counting them
// would inflate the estimate until then.
func NewETA(jobs int, toRun []*Cell) *ETA {
	e := &ETA{Jobs: max(jobs, 1), left: map[*Cell]bool{}}
	for _, c := range toRun {
		if !e.left[c] {
			e.left[c] = true
			e.leftSteps += c.Steps
		}
	}
	return e
}

// Finished records a cell that ended this invocation after running steps steps in seconds; a
// cell that did not run (skipped or failed at once) passes steps 0 and only leaves the count.
// A cell NewETA was not given (one already done) changes nothing but the measurement.
func (e *ETA) Finished(c *Cell, steps int, seconds float64) {
	if e.left[c] {
		delete(e.left, c)
		e.leftSteps -= c.Steps
	}
	if steps > 0 {
		e.steps += steps
		e.seconds += seconds
	}
}

// Left returns the estimated time left, and false while no cell has been measured.
func (e *ETA) Left() (time.Duration, bool) {
	if e.steps == 0 {
		return 0, false
	}
	if len(e.left) == 0 {
		return 0, true
	}
	par := min(e.Jobs, len(e.left))
	s := float64(max(e.leftSteps, 0)) * e.seconds / float64(e.steps) / float64(par)
	return time.Duration(s * float64(time.Second)).Round(time.Second), true
}

// SecondsPerStep is the measured wall time per optimizer step of one job.
func (e *ETA) SecondsPerStep() float64 {
	if e.steps == 0 {
		return 0
	}
	return e.seconds / float64(e.steps)
}
