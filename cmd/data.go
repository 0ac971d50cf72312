package cmd

import (
	"fmt"
	"io"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	"budgetrain/pipeline/data"

	"github.com/schollz/progressbar/v3"
	"github.com/spf13/cobra"
)

// downloadArchives is the test hook for the archive table: it returns the
// files to fetch for a dataset, or nil for the table's own
// (data.DownloadOptions.Archives).
var downloadArchives = func(name string) []data.Archive { return nil }

func newDataCommand(_ *options) *cobra.Command {
	c := &cobra.Command{
		Use:   "data",
		Short: "List the datasets and download those with public archives",
		Args:  cobra.NoArgs,
	}
	c.AddCommand(newDataListCommand(), newDataDownloadCommand())
	return c
}

func newDataListCommand() *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "Print every dataset with its archive files, their sizes and its default directory",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 2, 2, ' ', 0)
			fmt.Fprintln(tw, "dataset\tfile\tsize\tchecksum\tdefault dir")
			for _, name := range data.Names() {
				info, err := data.Lookup(name)
				if err != nil {
					return err
				}
				dir := info.DefaultDir
				if dir == "" {
					dir = "- (give a directory)"
				}
				files := info.Archives
				if len(files) == 0 {
					fmt.Fprintf(tw, "%s\t(no public archive)\t\t\t%s\n", name, dir)
					continue
				}
				for i, a := range files {
					sum := "md5"
					if a.SHA256 != "" {
						sum = "sha256"
					}
					if i == 0 {
						fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", name, a.File, humanBytes(a.Size), sum, dir)
					} else {
						fmt.Fprintf(tw, "\t%s\t%s\t%s\t\n", a.File, humanBytes(a.Size), sum)
					}
				}
			}
			return tw.Flush()
		},
	}
}

type downloadOptions struct {
	dir, mirror string
	timeout     time.Duration
}

func newDataDownloadCommand() *cobra.Command {
	d := &downloadOptions{}
	c := &cobra.Command{
		Use:   "download NAME --dir DIR",
		Short: "Download, verify and unpack a dataset's public archives into a directory",
		Long: `Download the official archives of a dataset into --dir (created if missing), check each
file against the checksum published by the dataset's authors, and unpack tar.gz archives, so that
--data-dir DIR (eval) or --set dataset.dir=DIR (train) reads them.

A download goes to FILE.part first and is renamed only once its checksum matches; an interrupted
download resumes from the .part file when run again. Files already present and verified are kept.
The whole download stops after --timeout (the bytes received are kept for the next run), and a
server that announces or sends more than a file's known size (plus 10 % and 64 KiB) is refused.

  budgetrain data download cifar10 --dir data/cifar10
  budgetrain data download mnist --dir data/mnist --mirror http://127.0.0.1:8000/mnist

Datasets: ` + strings.Join(data.DownloadNames(), ", "),
		Args:      cobra.ExactArgs(1),
		ValidArgs: data.DownloadNames(),
		RunE: func(cmd *cobra.Command, args []string) error {
			if d.timeout <= 0 {
				return fmt.Errorf("data download: --timeout must be > 0, got %v", d.timeout)
			}
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			name := args[0]
			bars := newDownloadBars(cmd.ErrOrStderr())
			res, err := data.Download(ctx, name, d.dir, data.DownloadOptions{
				Mirror:   d.mirror,
				Archives: downloadArchives(name),
				Progress: bars.update,
				Timeout:  d.timeout,
			})
			bars.finish()
			w := cmd.OutOrStdout()
			for _, r := range res {
				fmt.Fprintf(w, "%s: %s\n", r.Path, describeResult(r))
			}
			if err != nil {
				return err
			}
			fmt.Fprintf(w, "%s is ready in %s: use --set dataset.name=%s --set dataset.dir=%s (train) or --dataset %s --data-dir %s (eval)\n",
				name, d.dir, name, d.dir, name, d.dir)
			return nil
		},
	}
	f := c.Flags()
	f.StringVar(&d.dir, "dir", "", "directory to download into (created if missing)")
	f.StringVar(&d.mirror, "mirror", "", "base URL to fetch the files from instead of the publishers' (same file names)")
	f.DurationVar(&d.timeout, "timeout", data.DefaultTimeout, "give up on the whole download after this long (e.g. 30m, 2h); what was received is kept to resume")
	c.MarkFlagRequired("dir")
	return c
}

// describeResult says in a few words what happened to one file.
func describeResult(r data.FileResult) string {
	var s string
	switch {
	case r.Present:
		s = "already present, checksum ok"
	case r.Restarted:
		s = "downloaded from the start (the server ignored the resume request), checksum ok"
	case r.ResumedFrom > 0:
		s = fmt.Sprintf("resumed after %s, checksum ok", humanBytes(r.ResumedFrom))
	default:
		s = "downloaded, checksum ok"
	}
	if len(r.Unpacked) > 0 {
		s += fmt.Sprintf("; unpacked %d files", len(r.Unpacked))
	}
	return s
}

// downloadBars draws one progress bar per file on w.
type downloadBars struct {
	w    io.Writer
	file string
	bar  *progressbar.ProgressBar
}

func newDownloadBars(w io.Writer) *downloadBars { return &downloadBars{w: w} }

func (b *downloadBars) update(file string, done, total int64) {
	if b.bar == nil || file != b.file {
		b.finish()
		b.file = file
		out := barOut(b.w)
		b.bar = progressbar.NewOptions64(total,
			progressbar.OptionSetWriter(out),
			progressbar.OptionSetDescription(file),
			progressbar.OptionShowBytes(true),
			progressbar.OptionShowTotalBytes(true),
			progressbar.OptionThrottle(200*time.Millisecond),
			progressbar.OptionSetPredictTime(true),
			progressbar.OptionOnCompletion(func() { fmt.Fprintln(out) }),
		)
	}
	b.bar.Set64(done)
}

// finish closes the current bar, if any, ending its line.
func (b *downloadBars) finish() {
	if b.bar == nil {
		return
	}
	if !b.bar.IsFinished() {
		b.bar.Exit() // ends the line through OptionOnCompletion
	}
	b.bar = nil
}

// humanBytes formats a size in decimal units, or "?" when unknown (≤ 0).
func humanBytes(n int64) string {
	switch {
	case n <= 0:
		return "?"
	case n < 1000:
		return fmt.Sprintf("%d B", n)
	case n < 1000_000:
		return fmt.Sprintf("%.1f kB", float64(n)/1e3)
	case n < 1000_000_000:
		return fmt.Sprintf("%.1f MB", float64(n)/1e6)
	}
	return fmt.Sprintf("%.2f GB", float64(n)/1e9)
}
