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

Examples:
  pmdp generate --lines 1000000 -o big.log.gz
  pmdp generate --seed 7 -o day.log.gz --expect day.csv --group-by date,query:ev

Flags:
`

type generateOpts struct {
	cfg     loggen.Config
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
	compress := o.gzip || strings.HasSuffix(o.output, ".gz")
	err = e.writeOutput(o.output, func(w io.Writer) error {
		if !compress {
			res, err = loggen.Write(w, o.cfg)
			return err
		}
		zw := gzip.NewWriter(w)
		if res, err = loggen.Write(zw, o.cfg); err != nil {
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
		expected, err := res.Expected(names)
		if err != nil {
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
