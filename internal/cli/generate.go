package cli

import (
	"encoding/csv"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pmdp/pmdp/internal/loggen"
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

func generateFlagSet(out io.Writer) (*flag.FlagSet, *generateOpts) {
	o := &generateOpts{}
	fs := flag.NewFlagSet("generate", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.IntVar(&o.cfg.Lines, "lines", 1000, "number of `lines` to write (e.g. --lines 1000000)")
	fs.Uint64Var(&o.cfg.Seed, "seed", 1, "random `seed`; the same seed gives the same file (e.g. --seed 7)")
	fs.StringVar(&o.start, "start", "2026-11-25T23:55:00Z", "RFC 3339 `time` of the first line (e.g. --start 2026-01-01T00:00:00Z)")
	fs.DurationVar(&o.cfg.Span, "span", 10*time.Minute, "`duration` from the first line to the last (e.g. --span 1h)")
	fs.StringVar(&o.output, "o", "-", "write the log to `FILE`; gzip when it ends in .gz (e.g. -o app.log.gz)")
	fs.BoolVar(&o.gzip, "gzip", false, "gzip the log even when writing to stdout")
	fs.StringVar(&o.expect, "expect", "", "also write the expected summary as CSV to `FILE` (e.g. --expect want.csv)")
	fs.StringVar(&o.groupBy, "group-by", "date,path", "`dimensions` of the expected summary; query:ev is the one query dimension it knows")
	fs.Usage = func() {
		fmt.Fprint(out, generateHelp)
		fs.PrintDefaults()
	}
	return fs, o
}

type generateOpts struct {
	cfg     loggen.Config
	start   string
	output  string
	gzip    bool
	expect  string
	groupBy string
}

func (e *env) generate(args []string) int {
	fs, o := generateFlagSet(e.stderr)
	rest, err := parseInterleaved(fs, args)
	if isHelp(err) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(rest) > 0 {
		fmt.Fprintf(e.stderr, "pmdp generate: unexpected argument %q\n", rest[0])
		return 2
	}
	if o.cfg.Lines < 1 {
		fmt.Fprintf(e.stderr, "pmdp generate: --lines must be at least 1, not %d\n", o.cfg.Lines)
		return 2
	}
	if o.cfg.Start, err = time.Parse(time.RFC3339, o.start); err != nil {
		fmt.Fprintf(e.stderr, "pmdp generate: --start: %v\n", err)
		return 2
	}
	o.cfg.Start = o.cfg.Start.UTC()
	dims := strings.Split(o.groupBy, ",")

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
	rows, err := res.Expected(dims)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp generate: --group-by: %v\n", err)
		return 2
	}
	err = e.writeOutput(o.expect, func(w io.Writer) error {
		cw := csv.NewWriter(w)
		if err := cw.Write(append(dims, "count")); err != nil {
			return err
		}
		for _, r := range rows {
			if err := cw.Write(append(r.Values, strconv.FormatInt(r.Count, 10))); err != nil {
				return err
			}
		}
		cw.Flush()
		return cw.Error()
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp generate: writing %s: %v\n", o.expect, err)
		return 1
	}
	return 0
}
