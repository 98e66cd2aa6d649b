package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/progress"
	"github.com/pmdp/pmdp/internal/s3event"
)

const processHelp = `Usage: pmdp process [flags] s3://BUCKET/KEY... | s3://BUCKET/PREFIX/...

Does what the Lambda function does, from a terminal: summarizes access-log
objects in S3 into per-date summary objects, through the same core, so the
result is identical (and reprocessing rewrites the same objects, never
counting twice). Use it to reprocess what the function failed on, or to
backfill logs delivered before the stack existed. An argument ending in /
stands for every ALB or Classic access log under that prefix.

--events reads the objects from S3 notifications instead: an S3 event, a
Lambda on-failure record (as the failure queue holds them), or the local
pipeline's failures.jsonl, one JSON document per line or a whole file. It
also reads a backfill's FAILED_*.json, the failed batches Step Functions
lists under backfill/ in the summary bucket: their keys that lie in the
backfill's dates (the function skips the others).

AWS credentials, region and AWS_ENDPOINT_URL_S3 come from the environment
as for any AWS SDK program. The flags match the function's PMDP_*
variables; set them as your stack does (a stack that redirects HTTP to
HTTPS has PMDP_EXCLUDE=action=redirect: pass --exclude action=redirect).

Then it builds the daily rollup of every date it wrote summaries for, as
'pmdp rollup' does (the function does this at once for dates its hourly
sweep no longer covers), so a late or failed file reaches the rollups too.

It processes --parallel objects at once (default: one per CPU) and shows
its progress on stderr: objects done of those listed so far, failures,
the rate and the time left (a live line on a terminal, a line every 10 s
otherwise). The summaries are the same whatever the parallelism: each
depends on its object alone. For months of logs, 'pmdp backfill' runs the
same work on AWS Step Functions instead.

Ctrl-C stops it, abandoning the objects under way, saying how far it got;
running the same command again finishes the work (reprocessing rewrites
the same objects).

Examples:
  pmdp process s3://my-logs/logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/
  pmdp process --events failure-message.json
  pmdp process --summary-bucket my-summaries --events FAILED_0.json
  pmdp process --summary-bucket reports --group-by date,query:ev s3://my-logs/logs/AWSLogs/

Flags:
`

type processOpts struct {
	settings contract.Settings
	events   string
	parallel int
}

func (e *env) processFlags(fs *flag.FlagSet) func([]string) int {
	o := &processOpts{}
	fs.StringVar(&o.settings.SummaryBucket, "summary-bucket", "", "`bucket` for the summaries ("+contract.EnvSummaryBucket+"); default: the log's bucket")
	fs.StringVar(&o.settings.SummaryPrefix, "summary-prefix", contract.DefaultSummaryPrefix, "`prefix` of the summary keys ("+contract.EnvSummaryPrefix+")")
	fs.StringVar(&o.settings.GroupBy, "group-by", contract.DefaultGroupBy, "`dimensions` ("+contract.EnvGroupBy+")")
	fs.StringVar(&o.settings.Format, "format", contract.DefaultFormat, "summary `format`, csv or jsonl ("+contract.EnvFormat+")")
	filterFlags(fs, &o.settings, true)
	fs.StringVar(&o.settings.MaxGroups, "max-groups", contract.DefaultMaxGroups, "at most this many `groups` per summary and rollup, the rest in (other) rows ("+contract.EnvMaxGroups+")")
	fs.StringVar(&o.settings.Distinct, "distinct", "", distinctUsage+" ("+contract.EnvDistinct+")")
	fs.StringVar(&o.settings.RollupPrefix, "rollup-prefix", contract.DefaultRollupPrefix, "`prefix` of the rollup keys ("+contract.EnvRollupPrefix+")")
	fs.StringVar(&o.events, "events", "", "read the objects from the S3 notifications in `FILE` (- for stdin)")
	fs.IntVar(&o.parallel, "parallel", runtime.NumCPU(), "process this many `objects` at once (default: one per CPU)")
	// The number of CPUs differs from machine to machine; the help says
	// what it means instead.
	fs.Lookup("parallel").DefValue = "0"
	return func(targets []string) int { return e.process(o, targets) }
}

// s3Object is one object to process, or every access log under a prefix
// when key is "" or ends in "/".
type s3Object struct{ bucket, key string }

func (o s3Object) isPrefix() bool { return o.key == "" || strings.HasSuffix(o.key, "/") }

// maxFailuresNamed bounds the failed objects listed again at the end; each
// was reported when it failed.
const maxFailuresNamed = 20

func (e *env) process(o *processOpts, targets []string) int {
	var usage []error
	cfg, err := flagConfig(o.settings)
	if err != nil {
		usage = append(usage, err)
	}
	var objects []s3Object
	for _, t := range targets {
		obj, err := parseS3URL(t)
		if err != nil {
			usage = append(usage, err)
		}
		objects = append(objects, obj)
	}
	if len(targets) == 0 && o.events == "" {
		usage = append(usage, errors.New("no s3:// URL and no --events file given"))
	}
	if o.parallel < 1 {
		usage = append(usage, fmt.Errorf("--parallel %d: want at least 1 object at a time", o.parallel))
	}
	if len(usage) > 0 {
		return e.usageError("process", usage...)
	}

	ctx, stop := e.interruptible()
	defer stop()
	if o.events != "" {
		fromEvents, err := e.readEvents(o.events)
		if err != nil {
			fmt.Fprintf(e.stderr, "pmdp process: --events %s: %v\n", o.events, err)
			return 1
		}
		objects = append(objects, fromEvents...)
	}
	store, err := objstore.NewS3FromEnv(ctx)
	if err != nil {
		fmt.Fprintf(e.stderr, "pmdp process: %v\n", err)
		return 1
	}
	run := &processRun{
		store:   store,
		p:       &process.Processor{Store: store, Config: cfg},
		display: e.progress(progress.Options{Label: "pmdp process", Unit: "objects"}),
		touched: map[string][]string{},
	}
	run.stdout, run.stderr = run.display.Above(e.stdout), run.display.Above(e.stderr)
	run.all(ctx, objects, o.parallel)
	run.display.Finish(run.counts)

	if ctx.Err() != nil {
		fmt.Fprintf(e.stderr, "pmdp process: interrupted after %d object(s); the same command again finishes the work\n", run.counts.Done-run.counts.Failed)
		return 1
	}
	failed, failedRollups := run.counts.Failed, 0
	for _, bucket := range slices.Sorted(maps.Keys(run.touched)) {
		dates := slices.Sorted(slices.Values(run.touched[bucket]))
		if n := e.buildRollups(ctx, cfg.Rollups(store, bucket), "s3://"+bucket+"/", dates); n > 0 {
			fmt.Fprintf(e.stderr, "pmdp process: %d rollup(s) failed in s3://%s/; 'pmdp rollup' builds them again\n", n, bucket)
			failedRollups += n
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "pmdp process: interrupted while building rollups; 'pmdp rollup' finishes them")
		return 1
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "pmdp process: %d object(s) failed", failed)
		if len(run.failures) > 0 {
			fmt.Fprint(e.stderr, "; the same command again retries them:")
		}
		fmt.Fprintln(e.stderr)
		for i, f := range run.failures {
			if i == maxFailuresNamed {
				fmt.Fprintf(e.stderr, "  and %d more, named above\n", len(run.failures)-i)
				break
			}
			fmt.Fprintf(e.stderr, "  %s\n", f)
		}
	}
	if failed > 0 || failedRollups > 0 {
		return 1
	}
	return 0
}

// progress returns a display of a run's progress on standard error: a
// live line when it is a terminal, plain lines otherwise. It sets opts'
// Out, Terminal and Width.
func (e *env) progress(opts progress.Options) *progress.Display {
	opts.Out, opts.Terminal = e.stderr, e.terminal
	if e.terminal {
		opts.Width, _ = progress.Terminal(e.stderr)
	}
	return progress.New(opts)
}

// processRun is one run of 'pmdp process': its objects, processed by
// several workers at once, and what they have done.
type processRun struct {
	store          objstore.S3
	p              *process.Processor
	display        *progress.Display
	stdout, stderr io.Writer // above the display

	mu       sync.Mutex
	counts   progress.Counts
	failures []string            // s3:// URLs of the objects and prefixes that failed, sorted at the end
	touched  map[string][]string // summary bucket -> dates written
}

// all processes objects, listing each prefix, with parallel workers. The
// order of the work does not matter: each object's summaries depend on it
// alone, and the rollups are built after all of them.
func (r *processRun) all(ctx context.Context, objects []s3Object, parallel int) {
	r.counts = progress.Counts{Listing: true}
	r.display.Update(r.counts)
	keys := make(chan s3Object)
	var workers sync.WaitGroup
	for range parallel {
		workers.Go(func() {
			for obj := range keys {
				if ctx.Err() == nil {
					r.one(ctx, obj)
				}
			}
		})
	}
	stopTicking := r.tick()
	for _, obj := range objects {
		if ctx.Err() != nil {
			break
		}
		if !obj.isPrefix() {
			r.found(1)
			keys <- obj
			continue
		}
		found, err := listAccessLogs(ctx, r.store, obj.bucket, obj.key)
		if err != nil {
			fmt.Fprintf(r.stderr, "pmdp process: %v\n", err)
			r.found(1) // the prefix stands for what it holds
			r.finished("s3://"+obj.bucket+"/"+obj.key, false)
			continue
		}
		if len(found) == 0 {
			fmt.Fprintf(r.stderr, "pmdp process: s3://%s/%s: no access logs under this prefix\n", obj.bucket, obj.key)
		}
		r.found(len(found))
		for _, k := range found {
			if ctx.Err() != nil {
				break
			}
			keys <- s3Object{obj.bucket, k}
		}
	}
	close(keys)
	r.mu.Lock()
	r.counts.Listing = false
	r.display.Update(r.counts)
	r.mu.Unlock()
	workers.Wait()
	stopTicking()
	slices.Sort(r.failures)
}

// tick refreshes the display every second, so that the rate and the time
// left move while a large object takes long; the function it returns
// stops it.
func (r *processRun) tick() (stop func()) {
	done := make(chan struct{})
	ticker := time.NewTicker(time.Second)
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-ticker.C:
				r.display.Refresh()
			case <-done:
				return
			}
		}
	})
	return func() {
		ticker.Stop()
		close(done)
		wg.Wait()
	}
}

// found adds n objects to the total.
func (r *processRun) found(n int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.counts.Total += n
	r.display.Update(r.counts)
}

// finished counts one object, or a prefix that could not be listed, done.
func (r *processRun) finished(url string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if !ok {
		r.counts.Failed++
		r.failures = append(r.failures, url)
	}
	r.counts.Done++
	r.display.Update(r.counts)
}

func (r *processRun) one(ctx context.Context, obj s3Object) {
	rep, ok := r.processOne(ctx, obj.bucket, obj.key)
	if ok {
		out := cmp.Or(r.p.Config.SummaryBucket, obj.bucket)
		r.mu.Lock()
		for _, d := range rep.Dates {
			if !slices.Contains(r.touched[out], d) {
				r.touched[out] = append(r.touched[out], d)
			}
		}
		r.mu.Unlock()
	}
	if !ok && ctx.Err() != nil {
		return // interrupted, not failed: the same command again does it
	}
	r.finished("s3://"+obj.bucket+"/"+obj.key, ok)
}

// readEvents returns the objects named in the S3 notifications in the
// file name, or on standard input for "-".
func (e *env) readEvents(name string) ([]s3Object, error) {
	r := e.stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return nil, err
		}
		defer f.Close()
		r = f
	}
	records, err := s3event.Read(r)
	if err != nil {
		return nil, err
	}
	objects := make([]s3Object, len(records))
	for i, rec := range records {
		objects[i] = s3Object{bucket: rec.S3.Bucket.Name, key: rec.S3.Object.URLDecodedKey}
	}
	return objects, nil
}

func (r *processRun) processOne(ctx context.Context, bucket, key string) (process.Report, bool) {
	rep, err := r.p.Process(ctx, bucket, key)
	url := "s3://" + bucket + "/" + key
	switch {
	case err != nil:
		fmt.Fprintf(r.stderr, "pmdp process: %v\n", err)
		return rep, false
	case rep.Outcome == process.Skipped:
		fmt.Fprintf(r.stderr, "pmdp process: %s: skipped: not an access log (%s)\n", url, rep.Kind)
	case rep.Outcome == process.Gone:
		fmt.Fprintf(r.stderr, "pmdp process: %s: skipped: the object is gone\n", url)
	case r.p.Config.Filter.KeepsAll():
		fmt.Fprintf(r.stdout, "%s: %d lines, %d rejected, %d requests -> %s\n",
			url, rep.Stats.Lines, rep.Stats.Rejected, rep.Requests, strings.Join(rep.Outputs, ", "))
	default:
		fmt.Fprintf(r.stdout, "%s: %d lines, %d rejected, %d filtered out, %d requests -> %s\n",
			url, rep.Stats.Lines, rep.Stats.Rejected, rep.Stats.Filtered, rep.Requests, strings.Join(rep.Outputs, ", "))
	}
	return rep, true
}

func parseS3URL(u string) (s3Object, error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	bucket, key, _ := strings.Cut(rest, "/")
	if !ok || bucket == "" {
		return s3Object{}, fmt.Errorf("%q is not an s3://BUCKET/KEY URL", u)
	}
	return s3Object{bucket: bucket, key: key}, nil
}

// listAccessLogs returns the keys of the access logs under prefix.
func listAccessLogs(ctx context.Context, store objstore.S3, bucket, prefix string) ([]string, error) {
	all, err := store.Keys(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, k := range all {
		if logkey.Classify(k).Kind.IsAccessLog() {
			keys = append(keys, k)
		}
	}
	return keys, nil
}
