package cli

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/pmdp/pmdp/internal/report"
)

const reportHelp = `Usage: pmdp report [--since D] [--until D] [-o FILE] [flags] SOURCE...

Writes one HTML file that shows the summaries or the daily rollups of
SOURCE: requests per day as a chart with its numbers, the top values of
every column they group by (paths, pages, events, status codes, hosts),
distinct visitors where the summaries count them, and a date range to pick
inside the page. The file needs nothing else: no server, no network, no
other file; open it in a browser, mail it, or put it next to the data.

A SOURCE is where the function writes, s3://BUCKET/PREFIX/ (the rollups,
rollups/ by default, or the summaries, summaries/), or a local directory
laid out the same way (SOURCE/dt=YYYY-MM-DD/*.csv or *.jsonl). The rollups
are one object a date and make the quickest report; the summaries give the
same numbers. Several sources are added up, so give the rollups or the
summaries of a bucket, not both. AWS credentials, region and
AWS_ENDPOINT_URL_S3 come from the environment as for any AWS SDK program.

Everything in the page that came from a request is shown as text: the
values strangers send cannot run in it.

Examples:
  pmdp report -o report.html s3://my-logs/rollups/
  pmdp report --since 2026-11-01 -o november.html ./out/summaries

Flags:
`

type reportOpts struct {
	since, until string
	output       string
	title        string
}

func (e *env) reportFlags(fs *flag.FlagSet) func([]string) int {
	o := &reportOpts{}
	fs.StringVar(&o.since, "since", "", "leave out the dates before `YYYY-MM-DD`")
	fs.StringVar(&o.until, "until", "", "leave out the dates after `YYYY-MM-DD`")
	fs.StringVar(&o.output, "o", "", "write the page to `FILE` (default: standard output)")
	fs.StringVar(&o.title, "title", "", "the page's `title` (default: pmdp report and the busiest host)")
	return func(args []string) int { return e.report(o, args) }
}

func (e *env) report(o *reportOpts, args []string) int {
	var usage []error
	for _, d := range []struct{ flag, value string }{{"since", o.since}, {"until", o.until}} {
		if _, err := time.Parse(time.DateOnly, d.value); d.value != "" && err != nil {
			usage = append(usage, fmt.Errorf("--%s %q: want a date, YYYY-MM-DD", d.flag, d.value))
		}
	}
	if len(usage) == 0 && o.since != "" && o.until != "" && o.until < o.since {
		usage = append(usage, fmt.Errorf("--until %s is before --since %s", o.until, o.since))
	}
	if len(args) == 0 {
		usage = append(usage, errors.New("no source given: s3://BUCKET/PREFIX/ or a directory"))
	}
	if len(usage) > 0 {
		return e.usageError("report", usage...)
	}
	ctx, stop := e.interruptible()
	defer stop()
	b := &report.Builder{Since: o.since, Until: o.until, Title: o.title, NewSketch: report.NewHLLSketch}
	for _, arg := range args {
		loc, err := openLocation(ctx, arg)
		if err != nil {
			fmt.Fprintf(e.stderr, "pmdp report: %v\n", err)
			return 1
		}
		n, err := b.ReadLocation(ctx, loc.store, loc.bucket, loc.prefix)
		if err != nil {
			fmt.Fprintf(e.stderr, "pmdp report: %v\n", err)
			return 1
		}
		if n == 0 {
			fmt.Fprintf(e.stderr, "pmdp report: %s%s: no summaries or rollups under dt=YYYY-MM-DD/%s\n", loc.describe, loc.prefix, o.inRange())
			return 1
		}
		b.Sources = append(b.Sources, arg)
	}
	d := b.Data()
	if len(d.Dates) == 0 {
		fmt.Fprintf(e.stderr, "pmdp report: no requests%s\n", o.inRange())
		return 1
	}
	var written int64
	err := e.writeOutput(o.output, func(w io.Writer) error {
		cw := &countingWriter{w: w}
		err := b.WriteHTML(cw)
		written = cw.n
		return err
	})
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp report: %v\n", err)
		return 1
	}
	if o.output != "" && o.output != "-" {
		var requests int64
		for _, n := range d.Requests {
			requests += n
		}
		fmt.Fprintf(e.stderr, "pmdp report: %s to %s, %d requests -> %s (%d bytes)\n", d.Dates[0], d.Dates[len(d.Dates)-1], requests, o.output, written)
	}
	return 0
}

// inRange words the date flags for a message.
func (o *reportOpts) inRange() string {
	switch {
	case o.since != "" && o.until != "":
		return " from " + o.since + " to " + o.until
	case o.since != "":
		return " from " + o.since
	case o.until != "":
		return " up to " + o.until
	}
	return ""
}

type countingWriter struct {
	w io.Writer
	n int64
}

func (c *countingWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}
