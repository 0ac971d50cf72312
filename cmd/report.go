package cmd

import (
	"fmt"
	"path/filepath"

	"budgetrain/pipeline/report"
	"budgetrain/pipeline/runfolder"

	"github.com/spf13/cobra"
)

func newReportCommand(o *options) *cobra.Command {
	var metric string
	c := &cobra.Command{
		Use:   "report DIR...",
		Short: "Summarise the run folders under DIR... as results.csv, report.md and PNG plots",
		Long: `Find every run folder under each DIR (recursively), and write into --out:

  results.csv   one row per run: folder, status, every config key that varies, seed, accuracies,
                steps, images forwarded/back-propagated, train seconds, img/s, visit entropy
  report.md     per (dataset, augmentation, budget, method) cell: mean ± std, 95% t-interval
                and n over seeds; the difference to unif-sgd paired by seed; the full-budget
                reference; the paper's numbers for runs of its recipe; missing or failed cells
  *.png         accuracy vs budget, difference to unif-sgd vs budget, accuracy vs training
                time, and test accuracy over steps per budget

Only complete runs are averaged; incomplete and failed ones are listed. --out defaults to
DIR/report for one DIR and to ./report for several.

  budgetrain report runs/sweep1
  budgetrain report runs/a runs/b --out reports/ab --metric best`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, dirs []string) error {
			if err := noConfig(cmd, true, "it reads finished run folders (--out names the report folder)"); err != nil {
				return err
			}
			out := o.out
			if out == "" {
				out = "report"
				if len(dirs) == 1 {
					out = filepath.Join(dirs[0], "report")
				}
			}
			rep, plots, err := report.Write(out, dirs, report.Metric(metric))
			if err != nil {
				return err
			}
			n := rep.Counts()
			cells := 0
			for _, g := range rep.Groups {
				cells += len(g.Cells)
			}
			w := cmd.OutOrStdout()
			fmt.Fprintf(w, "%d run folders: %d complete, %d incomplete, %d failed; %d cells in %d groups\n",
				len(rep.Runs)-n[report.StatusMissing], n[report.StatusOK], n[report.StatusIncomplete], n[report.StatusFailed], cells, len(rep.Groups))
			if m := n[report.StatusMissing]; m > 0 {
				fmt.Fprintf(w, "%d cells listed in %s have no folder yet\n", m, runfolder.RecordFile)
			}
			fmt.Fprintf(w, "wrote %s, %s and %d plots to %s\n", report.CSVFile, report.MarkdownFile, len(plots), out)
			if len(rep.Stale) > 0 {
				fmt.Fprintf(w, "removed %d plots of an earlier report that this one no longer has (e.g. %s)\n", len(rep.Stale), rep.Stale[0])
			}
			return nil
		},
	}
	c.Flags().StringVar(&metric, "metric", string(report.MetricFinal), "accuracy to summarise: final (after the last epoch) or best (over the evaluated epochs)")
	return c
}
