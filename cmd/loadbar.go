package cmd

import (
	"fmt"
	"io"
	"os"
	"time"

	"budgetrain/pipeline"

	"github.com/schollz/progressbar/v3"
	"golang.org/x/term"
)

// loadBarMin is the number of images above which decoding an image folder split draws a bar:
// a smaller folder decodes in about a second (a variable for tests).
var loadBarMin = 1000

// isTerminal reports whether w is a terminal, where a bar redraws in place; in a log file or a
// pipe it would leave a line per redraw (a variable for tests).
var isTerminal = terminal

func terminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// barOut is where a progress bar draws: w on a terminal, nowhere otherwise (a bar's carriage
// returns would fill a log file or a pipe with one line per redraw). Line-oriented progress
// (train's epoch lines, sweep's start and end lines) goes to the output as usual.
func barOut(w io.Writer) io.Writer {
	if isTerminal(w) {
		return w
	}
	return io.Discard
}

// loadBars returns a pipeline.LoadProgress drawing one bar per decoded image-folder split of
// more than loadBarMin images on w, and a function ending the last bar (call it once loading
// is over, also after an error). Where w is not a terminal it returns nil: no bar.
func loadBars(w io.Writer) (pipeline.LoadProgress, func()) {
	if !isTerminal(w) {
		return nil, func() {}
	}
	var bar *progressbar.ProgressBar
	var split string
	finish := func() {
		if bar != nil && !bar.IsFinished() {
			bar.Exit() // ends the line through OptionOnCompletion
		}
		bar = nil
	}
	return func(s string, done, total int) {
		if total <= loadBarMin {
			return
		}
		if bar == nil || s != split {
			finish()
			split = s
			bar = progressbar.NewOptions(total,
				progressbar.OptionSetWriter(w),
				progressbar.OptionSetDescription("decode "+s),
				progressbar.OptionShowCount(),
				progressbar.OptionSetItsString("images"),
				progressbar.OptionShowIts(),
				progressbar.OptionThrottle(200*time.Millisecond),
				progressbar.OptionSetPredictTime(true),
				progressbar.OptionOnCompletion(func() { fmt.Fprintln(w) }),
			)
		}
		bar.Set(done)
	}, finish
}
