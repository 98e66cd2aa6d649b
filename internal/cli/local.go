package cli

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/rollup"
)

const localHelp = `Usage: pmdp local [flags]

Runs the whole pipeline on this machine, on 127.0.0.1 only: versitygw as S3,
this binary as the function under AWS's Lambda runtime interface emulator, a
bridge that turns bucket events into S3 notifications, and a collector that
answers like the stack's load balancer and writes each request into gzipped
ALB access logs in the bucket. Runs until interrupted (Ctrl-C), then stops
the processes it started. 'make local' installs the tools and runs this.

Example:
  pmdp local --versitygw .local/versitygw --rie .local/aws-lambda-rie --interval 5s

Flags:
`

func (e *env) localFlags(fs *flag.FlagSet) func([]string) int {
	cfg := &local.Config{}
	fs.StringVar(&cfg.VersityGW, "versitygw", "", "path of the versitygw `binary` (required)")
	fs.StringVar(&cfg.RIE, "rie", "", "path of the aws-lambda-rie `binary` (required)")
	fs.StringVar(&cfg.Bootstrap, "bootstrap", "", "the function's `binary`; default: this program")
	fs.StringVar(&cfg.DataDir, "data", filepath.Join(".local", "data"), "`directory` for the bucket's files and the failure record")
	fs.DurationVar(&cfg.Interval, "interval", 10*time.Second, "how often the collector delivers a log file, as a `duration` (ALB: 5m)")
	fs.DurationVar(&cfg.RollupInterval, "rollup-interval", 0, "how often the rollup sweep runs, as a `duration` (the stack: 1h); default: --interval")
	fs.IntVar(&cfg.Response.Status, "status", contract.DefaultResponseStatus, "fixed response `status` (2xx, 4xx or 5xx)")
	fs.StringVar(&cfg.Response.ContentType, "content-type", contract.DefaultResponseContentType, "fixed response content `type`")
	fs.StringVar(&cfg.Response.Body, "body", "", fmt.Sprintf("fixed response `body`, at most %d characters", contract.MaxResponseBody))
	fs.StringVar(&cfg.GroupBy, "group-by", contract.DefaultGroupBy, "the function's `dimensions`")
	fs.StringVar(&cfg.Format, "format", contract.DefaultFormat, "the function's summary `format`: csv or jsonl")
	fs.StringVar(&cfg.MaxGroups, "max-groups", contract.DefaultMaxGroups, "the function's cap: at most this many `groups` per summary and rollup, the rest in (other) rows")
	fs.StringVar(&cfg.Distinct, "distinct", "", "the function's distinct counts: "+distinctUsage)
	var filters contract.Settings
	filterFlags(fs, &filters, true)
	return func(args []string) int {
		cfg.Include, cfg.Exclude = filters.Include, filters.Exclude
		return e.local(cfg, args)
	}
}

func (e *env) local(cfg *local.Config, args []string) int {
	var usage []error
	if len(args) > 0 {
		usage = append(usage, fmt.Errorf("unexpected argument %q", args[0]))
	}
	if cfg.VersityGW == "" || cfg.RIE == "" {
		usage = append(usage, errors.New("--versitygw and --rie are required"))
	}
	// Checked here, not by the function when it starts, where a mistake
	// would only show as failed invocations.
	function := contract.Settings{GroupBy: cfg.GroupBy, Format: cfg.Format, Include: cfg.Include, Exclude: cfg.Exclude, MaxGroups: cfg.MaxGroups,
		Distinct: cfg.Distinct}
	if err := function.ValidateAs(contract.ByFlag); err != nil {
		usage = append(usage, err)
	}
	if len(usage) > 0 {
		return e.usageError("local", usage...)
	}
	var err error
	if cfg.Bootstrap == "" {
		if cfg.Bootstrap, err = os.Executable(); err != nil {
			fmt.Fprintf(e.stderr, "pmdp local: finding this program for --bootstrap: %v\n", err)
			return 1
		}
	}
	if cfg.DataDir, err = filepath.Abs(cfg.DataDir); err != nil {
		fmt.Fprintf(e.stderr, "pmdp local: %v\n", err)
		return 1
	}
	cfg.Log = slog.New(slog.NewTextHandler(e.stderr, nil))

	ctx, stop := e.interruptible()
	defer stop()
	p, err := local.Start(ctx, *cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp local: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.stdout, `pmdp is running locally.

  Send an event:      curl -i '%s/e?ev=signup&uid=42'
  Log files appear:   every %v, under %s/%s
  Summaries appear:   %s/%sdt=YYYY-MM-DD/
  Rollups appear:     %s/%sdt=YYYY-MM-DD/%s, swept every %v
  Failed events:      %s
  S3 endpoint:        %s (bucket %s, access key %s, secret %s)

Press Ctrl-C to stop.
`, p.CollectorURL, cfg.Interval, p.BucketDir, contract.NotificationFilter(local.LogPrefix).Prefix,
		p.BucketDir, contract.DefaultSummaryPrefix, p.BucketDir, contract.DefaultRollupPrefix, rollup.Name, cmp.Or(cfg.RollupInterval, cfg.Interval),
		p.FailureFile, p.S3Endpoint, p.Bucket, local.AccessKey, local.SecretKey)
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "\nStopping: delivering the last log file, summarizing it and rolling up…")
	p.Close()
	st := p.Bridge.Stats()
	fmt.Fprintf(e.stdout, "Stopped. %d files summarized, %d rollup sweeps, %d events failed (see %s).\n", st.Delivered, st.Scheduled, st.Failed, p.FailureFile)
	return 0
}
