package cli

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"maps"
	"os"
	"slices"
	"strings"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
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
pipeline's failures.jsonl, one JSON document per line or a whole file.

AWS credentials, region and AWS_ENDPOINT_URL_S3 come from the environment
as for any AWS SDK program. The flags match the function's PMDP_*
variables; set them as your stack does (a stack that redirects HTTP to
HTTPS has PMDP_EXCLUDE=action=redirect: pass --exclude action=redirect).

Then it builds the daily rollup of every date it wrote summaries for, as
'pmdp rollup' does (the function does this at once for dates its hourly
sweep no longer covers), so a late or failed file reaches the rollups too.

Ctrl-C stops it between objects, saying how far it got; running the same
command again finishes the work (reprocessing rewrites the same objects).

Examples:
  pmdp process s3://my-logs/logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/
  pmdp process --events failure-message.json
  pmdp process --summary-bucket reports --group-by date,query:ev s3://my-logs/logs/AWSLogs/

Flags:
`

type processOpts struct {
	settings contract.Settings
	events   string
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
	return func(targets []string) int { return e.process(o, targets) }
}

// s3Object is one object to process, or every access log under a prefix
// when key is "" or ends in "/".
type s3Object struct{ bucket, key string }

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
	p := &process.Processor{Store: store, Config: cfg}

	done, failed := 0, 0
	touched := map[string][]string{} // summary bucket -> dates written
	for _, obj := range objects {
		if ctx.Err() != nil {
			break
		}
		keys := []string{obj.key}
		if obj.key == "" || strings.HasSuffix(obj.key, "/") {
			if keys, err = listAccessLogs(ctx, store, obj.bucket, obj.key); err != nil {
				fmt.Fprintf(e.stderr, "pmdp process: %v\n", err)
				failed++
				continue
			}
			if len(keys) == 0 {
				fmt.Fprintf(e.stderr, "pmdp process: s3://%s/%s: no access logs under this prefix\n", obj.bucket, obj.key)
			}
		}
		for _, key := range keys {
			if ctx.Err() != nil {
				break
			}
			rep, ok := e.processOne(ctx, p, obj.bucket, key)
			if !ok {
				failed++
				continue
			}
			done++
			out := cmp.Or(cfg.SummaryBucket, obj.bucket)
			for _, d := range rep.Dates {
				if !slices.Contains(touched[out], d) {
					touched[out] = append(touched[out], d)
				}
			}
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintf(e.stderr, "pmdp process: interrupted after %d object(s); the same command again finishes the work\n", done)
		return 1
	}
	for _, bucket := range slices.Sorted(maps.Keys(touched)) {
		dates := slices.Sorted(slices.Values(touched[bucket]))
		if n := e.buildRollups(ctx, cfg.Rollups(store, bucket), "s3://"+bucket+"/", dates); n > 0 {
			fmt.Fprintf(e.stderr, "pmdp process: %d rollup(s) failed; 'pmdp rollup' builds them again\n", n)
			failed += n
		}
	}
	if ctx.Err() != nil {
		fmt.Fprintln(e.stderr, "pmdp process: interrupted while building rollups; 'pmdp rollup' finishes them")
		return 1
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "pmdp process: %d object(s) failed\n", failed)
		return 1
	}
	return 0
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

func (e *env) processOne(ctx context.Context, p *process.Processor, bucket, key string) (process.Report, bool) {
	rep, err := p.Process(ctx, bucket, key)
	url := "s3://" + bucket + "/" + key
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "pmdp process: %v\n", err)
		return rep, false
	case rep.Outcome == process.Skipped:
		fmt.Fprintf(e.stderr, "pmdp process: %s: skipped: not an access log (%s)\n", url, rep.Kind)
	case rep.Outcome == process.Gone:
		fmt.Fprintf(e.stderr, "pmdp process: %s: skipped: the object is gone\n", url)
	case p.Config.Filter.KeepsAll():
		fmt.Fprintf(e.stdout, "%s: %d lines, %d rejected, %d requests -> %s\n",
			url, rep.Stats.Lines, rep.Stats.Rejected, rep.Requests, strings.Join(rep.Outputs, ", "))
	default:
		fmt.Fprintf(e.stdout, "%s: %d lines, %d rejected, %d filtered out, %d requests -> %s\n",
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
