package cli

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/summary"
)

const generateHelp = `Usage: pmdp generate [flags]

Writes a realistic ALB access log (fixed-response shape, Zipf-distributed
paths, IPv6 clients, escaped quotes, malformed requests, lines across
midnight, a few unusable lines) from a seed, so the same flags always give
the same file. With --expect it also writes the counts a correct summarize
must print for the file, as CSV.

With --flood N it writes a cardinality flood instead, as a scanner sends
it: N requests each for a path of its own, among --frequent paths requested
--per-path times each (the last quarter of them only from halfway on).
--expect then writes the rows of the frequent paths, by date and path: a
summary capped by --max-groups must still hold each of them exactly.

Examples:
  pmdp generate --lines 1000000 -o big.log.gz
  pmdp generate --seed 7 -o day.log.gz --expect day.csv --group-by date,query:ev
  pmdp generate --flood 5000000 -o flood.log.gz --expect frequent.csv

Flags:
`

type generateOpts struct {
	cfg     loggen.Config
	flood   loggen.FloodConfig // used when OneOff > 0
	start   string
	output  string
	gzip    bool
	expect  string
	groupBy string
}

func (e *env) generateFlags(fs *flag.FlagSet) func([]string) int {
	o := &generateOpts{}
	fs.IntVar(&o.cfg.Lines, "lines", 1000, "number of `lines` to write (e.g. --lines 1000000)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 1, "random `seed`; the same seed gives the same file (e.g. --seed 7)")
	fs.StringVar(&o.start, "start", "2026-11-25T23:55:00Z", "RFC 3339 `time` of the first line (e.g. --start 2026-01-01T00:00:00Z)")
	fs.DurationVar(&o.cfg.Span, "span", 10*time.Minute, "`duration` from the first line to the last (e.g. --span 1h)")
	fs.StringVar(&o.output, "o", "-", "write the log to `FILE`; gzip when it ends in .gz (e.g. -o app.log.gz)")
	fs.BoolVar(&o.gzip, "gzip", false, "gzip the log even when writing to stdout")
	fs.StringVar(&o.expect, "expect", "", "also write the expected summary as CSV to `FILE` (e.g. --expect want.csv)")
	fs.StringVar(&o.groupBy, "group-by", contract.DefaultGroupBy, "`dimensions` of the expected summary, as for summarize; query:ev is the one query dimension it knows")
	fs.IntVar(&o.flood.OneOff, "flood", 0, "write a flood of this many one-off `paths` instead (e.g. --flood 5000000)")
	fs.IntVar(&o.flood.Frequent, "frequent", 1000, "with --flood: how many `paths` are requested again and again")
	fs.IntVar(&o.flood.PerPath, "per-path", 1000, "with --flood: how many `requests` each frequent path gets")
	return func(args []string) int { return e.generate(o, args) }
}

func (e *env) generate(o *generateOpts, args []string) int {
	// Every flag is checked before anything is written: a mistake must
	// not leave a log behind without its expected counts.
	var usage []error
	if len(args) > 0 {
		usage = append(usage, fmt.Errorf("unexpected argument %q", args[0]))
	}
	if o.cfg.Lines < 1 {
		usage = append(usage, fmt.Errorf("--lines must be at least 1, not %d", o.cfg.Lines))
	}
	start, err := time.Parse(time.RFC3339, o.start)
	if err != nil {
		usage = append(usage, fmt.Errorf("--start: %w", err))
	}
	o.cfg.Start = start.UTC()
	flood := o.flood.OneOff != 0
	if flood {
		o.flood.Seed, o.flood.Start, o.flood.Span = o.cfg.Seed, o.cfg.Start, o.cfg.Span
		if o.flood.OneOff < 0 || o.flood.Frequent < 1 || o.flood.PerPath < 1 {
			usage = append(usage, fmt.Errorf("--flood, --frequent and --per-path must be at least 1, not %d, %d and %d", o.flood.OneOff, o.flood.Frequent, o.flood.PerPath))
		}
		if o.expect != "" && strings.ReplaceAll(o.groupBy, " ", "") != "date,path" {
			usage = append(usage, fmt.Errorf("--group-by %q: with --flood the expected rows are by date,path", o.groupBy))
		}
	}
	cfg, err := flagConfig(contract.Settings{GroupBy: o.groupBy})
	if err != nil {
		usage = append(usage, err)
	}
	names := make([]string, len(cfg.Dimensions))
	for i, d := range cfg.Dimensions {
		names[i] = d.Name()
		if _, err := (loggen.Truth{}).Value(d.Name()); err != nil {
			usage = append(usage, fmt.Errorf("--group-by: %w", err))
		}
	}
	if len(usage) > 0 {
		return e.usageError("generate", usage...)
	}

	var res *loggen.Result
	var floodRes *loggen.FloodResult
	write := func(w io.Writer) (err error) {
		if flood {
			floodRes, err = loggen.WriteFlood(w, o.flood)
			return err
		}
		res, err = loggen.Write(w, o.cfg)
		return err
	}
	compress := o.gzip || strings.HasSuffix(o.output, ".gz")
	err = e.writeOutput(o.output, func(w io.Writer) error {
		if !compress {
			return write(w)
		}
		zw := gzip.NewWriter(w)
		if err := write(zw); err != nil {
			return err
		}
		return zw.Close()
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp generate: writing %s: %v\n", o.output, err)
		return 1
	}
	if o.expect == "" {
		return 0
	}
	err = e.writeOutput(o.expect, func(w io.Writer) error {
		var expected []loggen.ExpectedRow
		if flood {
			expected = floodRes.Frequent()
		} else if expected, err = res.Expected(names); err != nil {
			return err
		}
		rows := make([]summary.Row, len(expected))
		for i, r := range expected {
			rows[i] = summary.Row{Values: r.Values, Count: r.Count}
		}
		return summary.New(cfg.Dimensions).Encode(w, summary.CSV, rows)
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp generate: writing %s: %v\n", o.expect, err)
		return 1
	}
	return 0
}
