package cli

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"syscall"
	"time"

	"github.com/pmdp/pmdp/internal/collector"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/summary"
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

func localFlagSet(out io.Writer) (*flag.FlagSet, *local.Config) {
	cfg := &local.Config{}
	fs := flag.NewFlagSet("local", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&cfg.VersityGW, "versitygw", "", "path of the versitygw `binary` (required)")
	fs.StringVar(&cfg.RIE, "rie", "", "path of the aws-lambda-rie `binary` (required)")
	fs.StringVar(&cfg.Bootstrap, "bootstrap", "", "the function's `binary`; default: this program")
	fs.StringVar(&cfg.DataDir, "data", filepath.Join(".local", "data"), "`directory` for the bucket's files and the failure record")
	fs.DurationVar(&cfg.Interval, "interval", 10*time.Second, "how often the collector delivers a log `file` (ALB: 5m)")
	fs.IntVar(&cfg.Response.Status, "status", collector.DefaultStatus, "fixed response `status` (2xx, 4xx or 5xx)")
	fs.StringVar(&cfg.Response.ContentType, "content-type", collector.DefaultContentType, "fixed response content `type`")
	fs.StringVar(&cfg.Response.Body, "body", "", "fixed response `body`, at most 1024 characters")
	fs.StringVar(&cfg.GroupBy, "group-by", summary.DefaultGroupBy, "the function's `dimensions`")
	fs.StringVar(&cfg.Format, "format", string(summary.CSV), "the function's summary `format`: csv or jsonl")
	fs.Usage = func() {
		fmt.Fprint(out, localHelp)
		fs.PrintDefaults()
	}
	return fs, cfg
}

func (e *env) local(args []string) int {
	fs, cfg := localFlagSet(e.stderr)
	rest, err := parseInterleaved(fs, args)
	if isHelp(err) {
		return 0
	}
	if err != nil {
		return 2
	}
	if len(rest) > 0 || cfg.VersityGW == "" || cfg.RIE == "" {
		fmt.Fprintln(e.stderr, "pmdp local: --versitygw and --rie are required, and no arguments are taken")
		return 2
	}
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

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	p, err := local.Start(ctx, *cfg)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp local: %v\n", err)
		return 1
	}
	fmt.Fprintf(e.stdout, `pmdp is running locally.

  Send an event:      curl -i '%s/e?ev=signup&uid=42'
  Log files appear:   every %v, under %s/logs/AWSLogs/
  Summaries appear:   %s/summaries/dt=YYYY-MM-DD/
  Failed events:      %s
  S3 endpoint:        %s (bucket %s, access key %s, secret %s)

Press Ctrl-C to stop.
`, p.CollectorURL, cfg.Interval, p.BucketDir, p.BucketDir, p.FailureFile, p.S3Endpoint, p.Bucket, local.AccessKey, local.SecretKey)
	<-ctx.Done()
	fmt.Fprintln(e.stdout, "\nStopping: delivering the last log file and summarizing it…")
	p.Close()
	st := p.Bridge.Stats()
	fmt.Fprintf(e.stdout, "Stopped. %d files summarized, %d failed (see %s).\n", st.Delivered, st.Failed, p.FailureFile)
	return 0
}
