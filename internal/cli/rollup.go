package cli

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"golang.org/x/term"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/rollup"
	"github.com/pmdp/pmdp/internal/summary"
)

const rollupHelp = `Usage: pmdp rollup [--date D | --since D [--until D]] [flags] s3://BUCKET/PREFIX/ | DIRECTORY

Builds the daily rollups from the per-file summaries, through the function's
own core: for each date, one object <rollup prefix>dt=DATE/rollup.jsonl in
the summaries' bucket that merges every summary of that date, written with
conditional writes and left alone when its inputs have not changed. So it
is safe to run at any time, also while the function builds rollups too,
and running it again changes nothing.

The location is where the summaries are: s3://BUCKET/PREFIX/ (the
function's PMDP_SUMMARY_BUCKET and PMDP_SUMMARY_PREFIX), or a local
directory laid out the same way (DIRECTORY/dt=YYYY-MM-DD/*.csv). The rollups
go beside it: under --rollup-prefix in the same bucket, or, for a directory,
in its parent directory. Do not point it at the files of a running S3
server (such as pmdp local's): use the server's s3:// URL instead, with
AWS_ENDPOINT_URL_S3.

Without --date or --since it builds every date that has summaries.
--until defaults to today (UTC). AWS credentials, region and
AWS_ENDPOINT_URL_S3 come from the environment as for any AWS SDK program.

Examples:
  pmdp rollup s3://my-logs/summaries/
  pmdp rollup --since 2026-11-01 --group-by date,query:ev s3://my-logs/summaries/
  pmdp rollup --date 2026-11-26 ./out/summaries
  pmdp rollup --distinct visitor s3://my-logs/summaries/

Flags:
`

type rollupOpts struct {
	date, since, until string
	groupBy            string
	rollupPrefix       string
	maxGroups          string
	distinct           string
}

func (e *env) rollupFlags(fs *flag.FlagSet) func([]string) int {
	o := &rollupOpts{}
	fs.StringVar(&o.date, "date", "", "build only the rollup of `YYYY-MM-DD`")
	fs.StringVar(&o.since, "since", "", "build the rollups from `YYYY-MM-DD` on")
	fs.StringVar(&o.until, "until", "", "with --since: up to `YYYY-MM-DD` included (default today, UTC)")
	fs.StringVar(&o.groupBy, "group-by", "", "`dimensions` of the rollups, as the function's "+contract.EnvGroupBy+"; summaries with more\n"+
		"columns are summed down (default: the summaries' own columns, which must then agree)")
	fs.StringVar(&o.rollupPrefix, "rollup-prefix", contract.DefaultRollupPrefix, "`prefix` of the rollup keys ("+contract.EnvRollupPrefix+")")
	fs.StringVar(&o.maxGroups, "max-groups", contract.DefaultMaxGroups, "at most this many `groups` per rollup, the rest in (other) rows ("+contract.EnvMaxGroups+")")
	fs.StringVar(&o.distinct, "distinct", "", "merge the summaries' distinct_hll sketches into the rollups' (`visitor` or query:NAME, as the\n"+
		"summaries were made with; "+contract.EnvDistinct+"); a summary without them fails its date. Without it,\n"+
		"the rollups have no distinct columns")
	return func(args []string) int { return e.rollup(o, args) }
}

// location is where summaries are: a bucket and prefix in a store.
type location struct {
	store          objstore.ListStore
	bucket, prefix string
	describe       string // for messages: s3://bucket/ or a directory
}

func (e *env) rollup(o *rollupOpts, args []string) int {
	var usage []error
	var dims []summary.Dimension
	if o.groupBy != "" {
		var err error
		if dims, err = summary.ParseDimensions(o.groupBy); err != nil {
			usage = append(usage, fmt.Errorf("--group-by: %w", err))
		}
	}
	if err := contract.ValidateRollupPrefix(o.rollupPrefix); err != nil {
		usage = append(usage, fmt.Errorf("--rollup-prefix: %w", err))
	}
	maxGroups, err := contract.ParseMaxGroups(o.maxGroups)
	if err != nil {
		usage = append(usage, fmt.Errorf("--max-groups: %w", err))
	}
	distinct, err := summary.ParseDistinct(o.distinct)
	if err != nil {
		usage = append(usage, fmt.Errorf("--distinct: %w", err))
	}
	dates, err := o.dateRange(time.Now())
	if err != nil {
		usage = append(usage, err)
	}
	switch {
	case len(args) == 0:
		usage = append(usage, errors.New("no location given: s3://BUCKET/PREFIX/ or a directory"))
	case len(args) > 1:
		usage = append(usage, fmt.Errorf("one location at a time, not %d", len(args)))
	}
	if len(usage) > 0 {
		return e.usageError("rollup", usage...)
	}
	ctx, stop := e.interruptible()
	defer stop()
	loc, err := openLocation(ctx, args[0])
	if err == nil {
		err = contract.ValidatePrefixesApart(loc.prefix, o.rollupPrefix)
	}
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp rollup: %v\n", err)
		return 1
	}
	if dates == nil {
		if dates, err = datesUnder(ctx, loc); err != nil {
			fmt.Fprintf(e.stderr, "pmdp rollup: %v\n", err)
			return 1
		}
		if len(dates) == 0 {
			fmt.Fprintf(e.stderr, "pmdp rollup: %s%s: no summaries under dt=YYYY-MM-DD/\n", loc.describe, loc.prefix)
			return 1
		}
	}
	b := &rollup.Builder{Store: loc.store, Bucket: loc.bucket, SummaryPrefix: loc.prefix, RollupPrefix: o.rollupPrefix, Dimensions: dims,
		MaxGroups: maxGroups, Distinct: distinct}
	failed := e.buildRollups(ctx, b, loc.describe, dates)
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(e.stderr, "pmdp rollup: interrupted; the same command again finishes the work")
		return 1
	case failed > 0:
		fmt.Fprintf(e.stderr, "pmdp rollup: %d of %d dates failed\n", failed, len(dates))
		return 1
	}
	return 0
}

// buildRollups builds the rollups of dates with b, one line each on
// stdout, and a progress line on stderr when it is a terminal. It returns
// how many dates failed.
func (e *env) buildRollups(ctx context.Context, b *rollup.Builder, describe string, dates []string) (failed int) {
	p := &rollupProgress{out: e.stderr, on: e.terminal, total: len(dates)}
	b.Progress = p.input
	_, _ = b.BuildAll(ctx, dates, func(r rollup.Result, err error) {
		p.clear()
		p.done++
		switch {
		case err != nil:
			failed++
			fmt.Fprintf(e.stderr, "pmdp rollup: %v\n", err)
		case r.Outcome == rollup.Written:
			other := ""
			if r.Other > 0 {
				other = fmt.Sprintf(" (%d in (other) rows)", r.Other)
			}
			fmt.Fprintf(e.stdout, "%s: written: %d inputs, %d rows, %d requests%s -> %s%s\n", r.Date, r.Inputs, r.Rows, r.Requests, other, describe, r.Key)
		case r.Outcome == rollup.Unchanged:
			fmt.Fprintf(e.stdout, "%s: unchanged: %d inputs\n", r.Date, r.Inputs)
		default:
			fmt.Fprintf(e.stdout, "%s: no summaries\n", r.Date)
		}
	})
	p.clear()
	return failed
}

// rollupProgress draws one line on a terminal, rewritten in place: how many
// dates are done, and the inputs read of the date being built.
type rollupProgress struct {
	out         io.Writer
	on          bool
	total, done int
	drawn       bool
	last        time.Time
}

func (p *rollupProgress) input(date string, read, total int) {
	if !p.on || (read < total && time.Since(p.last) < 100*time.Millisecond) {
		return
	}
	p.last = time.Now()
	fmt.Fprintf(p.out, "\r\x1b[Krollup: %d/%d dates done; %s: %d/%d inputs read", p.done, p.total, date, read, total)
	p.drawn = true
}

func (p *rollupProgress) clear() {
	if p.drawn {
		fmt.Fprint(p.out, "\r\x1b[K")
		p.drawn = false
	}
}

// isTerminal reports whether w is a terminal, for progress lines.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}

// dateRange is the dates the flags name, nil when they name none.
func (o *rollupOpts) dateRange(now time.Time) ([]string, error) {
	parse := func(flag, v string) (time.Time, error) {
		t, err := time.Parse(time.DateOnly, v)
		if err != nil {
			return t, fmt.Errorf("--%s %q: want a date, YYYY-MM-DD", flag, v)
		}
		return t, nil
	}
	switch {
	case o.date != "" && (o.since != "" || o.until != ""):
		return nil, errors.New("--date cannot go with --since or --until")
	case o.date != "":
		if _, err := parse("date", o.date); err != nil {
			return nil, err
		}
		return []string{o.date}, nil
	case o.until != "" && o.since == "":
		return nil, errors.New("--until needs --since")
	case o.since == "":
		return nil, nil
	}
	since, err := parse("since", o.since)
	if err != nil {
		return nil, err
	}
	until := now.UTC().Truncate(24 * time.Hour)
	if o.until != "" {
		if until, err = parse("until", o.until); err != nil {
			return nil, err
		}
	}
	if until.Before(since) {
		return nil, fmt.Errorf("--until %s is before --since %s", until.Format(time.DateOnly), o.since)
	}
	var dates []string
	for d := since; !d.After(until); d = d.AddDate(0, 0, 1) {
		dates = append(dates, d.Format(time.DateOnly))
	}
	return dates, nil
}

// openLocation opens s3://bucket/prefix/ or a directory laid out like
// one: the directory is the prefix, its parent the bucket.
func openLocation(ctx context.Context, arg string) (location, error) {
	if rest, ok := strings.CutPrefix(arg, "s3://"); ok {
		bucket, prefix, _ := strings.Cut(rest, "/")
		if bucket == "" {
			return location{}, fmt.Errorf("%q is not an s3://BUCKET/PREFIX/ URL", arg)
		}
		if prefix != "" && !strings.HasSuffix(prefix, "/") {
			prefix += "/"
		}
		if err := contract.ValidateSummaryPrefix(prefix); err != nil {
			return location{}, fmt.Errorf("%s: %w", arg, err)
		}
		store, err := objstore.NewS3FromEnv(ctx)
		if err != nil {
			return location{}, err
		}
		return location{store: store, bucket: bucket, prefix: prefix, describe: "s3://" + bucket + "/"}, nil
	}
	abs, err := filepath.Abs(arg)
	if err != nil {
		return location{}, err
	}
	info, err := os.Stat(abs)
	if err != nil {
		return location{}, err
	}
	if !info.IsDir() {
		return location{}, fmt.Errorf("%s is not a directory", arg)
	}
	bucketDir := filepath.Dir(abs)
	if bucketDir == abs || filepath.Dir(bucketDir) == bucketDir {
		return location{}, fmt.Errorf("%s: the rollups go beside the summaries, in its parent directory, which must not be the root", arg)
	}
	return location{
		store:    objstore.Dir{Root: filepath.Dir(bucketDir)},
		bucket:   filepath.Base(bucketDir),
		prefix:   filepath.Base(abs) + "/",
		describe: bucketDir + string(filepath.Separator),
	}, nil
}

// datesUnder lists the dates that have summaries at loc.
func datesUnder(ctx context.Context, loc location) ([]string, error) {
	objects, err := loc.store.List(ctx, loc.bucket, loc.prefix)
	if err != nil {
		return nil, err
	}
	var dates []string
	for _, o := range objects {
		folder, _, ok := strings.Cut(strings.TrimPrefix(o.Key, loc.prefix), "/")
		date, isDate := strings.CutPrefix(folder, "dt=")
		if _, err := time.Parse(time.DateOnly, date); ok && isDate && err == nil && !slices.Contains(dates, date) {
			dates = append(dates, date)
		}
	}
	slices.Sort(dates)
	return dates, nil
}
