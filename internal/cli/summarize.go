package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

const summarizeHelp = `Usage: pmdp summarize [flags] PATH...

Counts the requests in ALB or Classic ELB access logs and prints one row per
group, sorted, with a header row. Each PATH is a log file (gzip or plain,
recognised by its content), a directory (searched recursively; files that
are not access logs are skipped with a note), or - for standard input.

Lines that cannot be used are counted and reported on stderr; they never
stop the run. A file that cannot be read or decompressed is reported by
name, the other files are still counted, and the exit status is 1.

--include and --exclude choose the lines to count by their dimensions'
values, as a summary grouped by that dimension shows them; a line must
match every --include and no --exclude. Those left out are counted on
stderr. With action, a value matches the whole of ALB's comma list or any
one action in it. Several clauses may share one flag, separated by ;.

At most --max-groups groups get rows of their own, so that memory stays
bounded whatever the logs hold (a scan of a million paths, say). The
requests of the others are counted in one row per date (and hour) whose
other columns read (other): totals stay exact, and so does every row of
its own. When the table is full, the groups requested least often since
they first appeared make room; a path that keeps being requested keeps its
row, however late it appears. stderr says how many requests went to (other).

--distinct visitor (or query:NAME) adds two columns after count: distinct,
the estimated number of distinct visitors (client IP and user agent) or
values of the query parameter in that row, and distinct_hll, a HyperLogLog
sketch in Athena's own format (base64). Sketches of several rows, files or
days merge into the count of their union; estimates never add up. Each
sketch takes up to 4 KiB, so at most 20000 groups get rows of their own.

Examples:
  pmdp summarize logs/
  pmdp summarize --group-by date,query:ev --format jsonl -o ev.jsonl app.log.gz
  pmdp summarize --exclude action=redirect --exclude bot=yes --group-by date,status logs/
  pmdp summarize --group-by date,path --distinct visitor logs/
  gzip -dc app.log.gz | pmdp summarize -

Flags:
`

func (e *env) summarizeFlags(fs *flag.FlagSet) func([]string) int {
	var settings contract.Settings
	var output string
	fs.StringVar(&settings.GroupBy, "group-by", contract.DefaultGroupBy,
		"comma-separated `dimensions` to group by: "+groupByUsage+"\n"+
			"(e.g. --group-by date,status or --group-by hour,query:ev)")
	fs.StringVar(&settings.Format, "format", contract.DefaultFormat, "output `format`: csv or jsonl (e.g. --format jsonl)")
	fs.StringVar(&settings.MaxGroups, "max-groups", contract.DefaultMaxGroups, "at most this many `groups` get rows of their own; the rest are counted in (other) rows")
	fs.StringVar(&settings.Distinct, "distinct", "", distinctUsage)
	fs.StringVar(&output, "o", "-", "write the summary to `FILE` instead of stdout (e.g. -o summary.csv)")
	filterFlags(fs, &settings, false)
	return func(paths []string) int { return e.summarize(settings, output, paths) }
}

// summarizing is one run of summarize: what it counts, and into what.
type summarizing struct {
	dims            []summary.Dimension
	maxGroups       int
	distinct        summary.Distinct
	filter          summary.Filter
	total           *summary.Summary // nil until an input is read
	lines, filtered int64            // of the inputs merged into total
}

func (e *env) summarize(settings contract.Settings, output string, paths []string) int {
	cfg, err := flagConfig(settings)
	var usage []error
	if err != nil {
		usage = append(usage, err)
	}
	if len(paths) == 0 {
		usage = append(usage, errors.New("no PATH given (use - for standard input)"))
	}
	if len(usage) > 0 {
		return e.usageError("summarize", usage...)
	}

	run := &summarizing{dims: cfg.Dimensions, maxGroups: cfg.MaxGroups, distinct: cfg.Distinct, filter: cfg.Filter}
	failed := 0
	for _, p := range paths {
		failed += e.summarizePath(p, run)
	}
	if run.total == nil {
		run.total = summary.NewDistinct(run.dims, run.maxGroups, run.distinct)
	}
	if !run.filter.KeepsAll() {
		fmt.Fprintf(e.stderr, "pmdp summarize: %d of %d lines left out by --include and --exclude\n", run.filtered, run.lines)
	}
	if other := run.total.OtherRequests(); other > 0 {
		fmt.Fprintf(e.stderr, "pmdp summarize: %d of %d requests counted in (other) rows: more than --max-groups %d groups\n",
			other, run.total.Requests(), run.total.MaxGroups())
	}
	err = e.writeOutput(output, func(w io.Writer) error { return run.total.Write(w, cfg.Format) })
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp summarize: writing %s: %v\n", output, err)
		return 1
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "pmdp summarize: %d input(s) failed; the summary counts the others\n", failed)
		return 1
	}
	return 0
}

// summarizePath adds one PATH argument to run and returns how many inputs
// under it failed.
func (e *env) summarizePath(p string, run *summarizing) int {
	if p == "-" {
		return e.summarizeReader("standard input", e.stdin, run, false)
	}
	info, err := os.Stat(p)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp summarize: %v\n", err)
		return 1
	}
	if !info.IsDir() {
		return e.summarizeFile(p, run, false)
	}
	failed := 0
	err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			fmt.Fprintf(e.stderr, "pmdp summarize: %v\n", err)
			failed++
			return nil
		}
		if d.IsDir() {
			if path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || strings.HasPrefix(d.Name(), ".") {
			return nil
		}
		failed += e.summarizeFile(path, run, true)
		return nil
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp summarize: %v\n", err)
		failed++
	}
	return failed
}

func (e *env) summarizeFile(path string, run *summarizing, fromDir bool) int {
	if kind := logkey.Classify(path).Kind; kind != logkey.Other && !kind.IsAccessLog() {
		fmt.Fprintf(e.stderr, "pmdp summarize: %s: skipped: not an access log (%s)\n", path, kind)
		return 0
	}
	f, err := os.Open(path)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp summarize: %v\n", err)
		return 1
	}
	defer f.Close()
	return e.summarizeReader(path, f, run, fromDir)
}

// summarizeReader counts one input into its own summary and merges it into
// total only when the whole input was read, so a corrupt file adds nothing
// rather than part of itself.
func (e *env) summarizeReader(name string, r io.Reader, run *summarizing, fromDir bool) int {
	s := summary.NewDistinct(run.dims, run.maxGroups, run.distinct)
	st, err := process.ReadFilteredLog(r, s, run.filter)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp summarize: %s: %v\n", name, err)
		return 1
	}
	if fromDir && st.Format == accesslog.FormatUnknown {
		fmt.Fprintf(e.stderr, "pmdp summarize: %s: skipped: not an access log\n", name)
		return 0
	}
	if st.Rejected > 0 {
		e.reportRejected(name, st, s.Rejected)
	}
	// The first input becomes the total rather than being merged into an
	// empty one: that would hold a second table as large.
	if run.total == nil {
		run.total = s
	} else if err := run.total.Merge(s); err != nil {
		fmt.Fprintf(e.stderr, "pmdp summarize: %s: %v\n", name, err)
		return 1
	}
	run.lines += st.Lines
	run.filtered += st.Filtered
	return 0
}

func (e *env) reportRejected(name string, st process.Stats, reasons map[string]int64) {
	keys := make([]string, 0, len(reasons))
	for k := range reasons {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%d %s", reasons[k], k)
	}
	fmt.Fprintf(e.stderr, "pmdp summarize: %s: %d of %d lines rejected (%s)\n",
		name, st.Rejected, st.Lines, strings.Join(parts, ", "))
	for _, s := range st.Samples {
		fmt.Fprintf(e.stderr, "  %s\n", s)
	}
	if st.Rejected > int64(len(st.Samples)) {
		fmt.Fprintf(e.stderr, "  … and %d more\n", st.Rejected-int64(len(st.Samples)))
	}
}
