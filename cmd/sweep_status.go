// Sweep tables: the `sweep status` command, the dry run's plan and a local run's closing results.

package cmd

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"budgetrain/pipeline/sweep"

	"github.com/spf13/cobra"

	"budgetrain/pipeline/runfolder"
)

func newSweepStatusCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "status DIR",
		Short: "Show which cells of the sweep in DIR are done, running, failed, interrupted or pending",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			rec, err := readRecord(args[0])
			if err != nil {
				return err
			}
			if rec == nil {
				return fmt.Errorf("sweep status: %s has no %s", args[0], runfolder.RecordFile)
			}
			printStatus(cmd.OutOrStdout(), args[0], rec.Cells)
			return nil
		},
	}
}

// printResults is the closing table: every cell, what this run did, and why a cell failed.
func printResults(w io.Writer, results []sweep.Result) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tTHIS RUN\tSTATUS\tTEST ACC\tTIME\tWHY")
	count := map[runfolder.Status]int{}
	for _, r := range results {
		acc, t := "-", "-"
		if r.Summary != nil && r.Summary.Completed {
			acc = fmt.Sprintf("%.4f", r.Summary.FinalTestAcc)
		}
		if r.Seconds > 0 {
			t = seconds(r.Seconds)
		}
		why := r.Err
		if r.Status == runfolder.Done {
			why = ""
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", r.Cell.Name, r.Action, r.Status, acc, t, oneLine(why))
		count[r.Status]++
	}
	tw.Flush()
	fmt.Fprintf(w, "%d cells: %s\n", len(results), countLine(count))
}

func countLine(count map[runfolder.Status]int) string {
	var parts []string
	for _, s := range []runfolder.Status{runfolder.Done, runfolder.Running, runfolder.Failed, runfolder.Interrupted, runfolder.Pending} {
		parts = append(parts, fmt.Sprintf("%d %s", count[s], s))
	}
	return strings.Join(parts, ", ")
}

func oneLine(s string) string {
	s = strings.ReplaceAll(s, "\n", " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}

// printPlan is the dry run: every cell with its steps and current status.
func printPlan(w io.Writer, dir string, all, selected []*sweep.Cell, shard sweep.Shard) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "#\tCELL\tSTEPS\tSTATUS")
	for _, c := range selected {
		steps := "?"
		if c.Steps > 0 {
			steps = strconv.Itoa(c.Steps)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\n", c.Index, c.Name, steps, runfolder.ReadState(filepath.Join(dir, c.Name)).Status)
	}
	tw.Flush()
	of := ""
	if shard != sweep.All {
		of = fmt.Sprintf(" (shard %s of %d cells)", shard, len(all))
	}
	unknown := 0
	for _, c := range selected {
		if c.Steps == 0 {
			unknown++
		}
	}
	fmt.Fprintf(w, "%d cells%s, %s optimizer steps in total", len(selected), of, groupDigits(sweep.TotalSteps(selected)))
	if unknown > 0 {
		fmt.Fprintf(w, " (%d cells of unknown dataset size not counted)", unknown)
	}
	fmt.Fprintln(w)
}

// groupDigits writes n with thousands separators: 5171400 → 5,171,400.
func groupDigits(n int) string {
	s := strconv.Itoa(n)
	var b strings.Builder
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(ch)
	}
	return b.String()
}

// printStatus is `sweep status`: every recorded cell's state.
func printStatus(w io.Writer, dir string, cells []sweep.CellRef) {
	tw := tabwriter.NewWriter(w, 2, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CELL\tSTATUS\tSTEPS\tTEST ACC\tNOTE")
	var states []runfolder.State
	for _, c := range cells {
		st := runfolder.ReadState(filepath.Join(dir, c.Name))
		states = append(states, st)
		steps, acc, note := fmt.Sprintf("%d/%d", st.Step, c.Steps), "-", ""
		if st.Summary != nil {
			steps = fmt.Sprintf("%d/%d", st.Summary.Iterations, st.Summary.PlannedSteps)
			if st.Summary.Completed {
				acc = fmt.Sprintf("%.4f", st.Summary.FinalTestAcc)
			}
		}
		switch {
		case st.Status == runfolder.Running && st.Runner != nil:
			note = fmt.Sprintf("pid %d on %s since %s", st.Runner.PID, st.Runner.Host, st.Runner.Started.Local().Format(time.DateTime))
			if st.Runner.SlurmJob != "" {
				note += fmt.Sprintf(", slurm job %s_%s", st.Runner.SlurmJob, st.Runner.SlurmTask)
			}
		case st.Status == runfolder.Failed:
			note = fmt.Sprintf("attempt %d: %s", st.Failure.Attempt, oneLine(st.Failure.Error))
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", c.Name, st.Status, steps, acc, note)
	}
	tw.Flush()
	fmt.Fprintf(w, "%d cells: %s\n", len(cells), countLine(runfolder.Counts(states)))
}
