package cli

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
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
variables; set them as your stack does.

Examples:
  pmdp process s3://my-logs/logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/
  pmdp process --events failure-message.json
  pmdp process --summary-bucket reports --group-by date,query:ev s3://my-logs/logs/AWSLogs/

Flags:
`

type processOpts struct {
	cfg     process.Config
	groupBy string
	format  string
	events  string
}

func processFlagSet(out io.Writer) (*flag.FlagSet, *processOpts) {
	o := &processOpts{}
	fs := flag.NewFlagSet("process", flag.ContinueOnError)
	fs.SetOutput(out)
	fs.StringVar(&o.cfg.SummaryBucket, "summary-bucket", "", "`bucket` for the summaries (PMDP_SUMMARY_BUCKET); default: the log's bucket")
	fs.StringVar(&o.cfg.SummaryPrefix, "summary-prefix", process.DefaultSummaryPrefix, "`prefix` of the summary keys (PMDP_SUMMARY_PREFIX)")
	fs.StringVar(&o.groupBy, "group-by", summary.DefaultGroupBy, "`dimensions` (PMDP_GROUP_BY)")
	fs.StringVar(&o.format, "format", string(summary.CSV), "summary `format`, csv or jsonl (PMDP_FORMAT)")
	fs.StringVar(&o.events, "events", "", "read the objects from the S3 notifications in `FILE` (- for stdin)")
	fs.Usage = func() {
		fmt.Fprint(out, processHelp)
		fs.PrintDefaults()
	}
	return fs, o
}

// s3Object is one object to process.
type s3Object struct{ bucket, key string }

func (e *env) process(args []string) int {
	fs, o := processFlagSet(e.stderr)
	targets, err := parseInterleaved(fs, args)
	if isHelp(err) {
		return 0
	}
	if err != nil {
		return 2
	}
	var usage []error
	if o.cfg.Dimensions, err = summary.ParseDimensions(o.groupBy); err != nil {
		usage = append(usage, fmt.Errorf("--group-by: %w", err))
	}
	if o.cfg.Format, err = summary.ParseFormat(o.format); err != nil {
		usage = append(usage, fmt.Errorf("--format: %w", err))
	}
	if err := process.ValidatePrefix(o.cfg.SummaryPrefix); err != nil {
		usage = append(usage, fmt.Errorf("--summary-prefix: %w", err))
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
		fmt.Fprintf(e.stderr, "pmdp process: %s\nRun 'pmdp help process' for usage.\n", indentErr(errors.Join(usage...)))
		return 2
	}

	ctx := context.Background()
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
	p := &process.Processor{Store: store, Config: o.cfg}

	failed := 0
	for _, obj := range objects {
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
			if !e.processOne(ctx, p, obj.bucket, key) {
				failed++
			}
		}
	}
	if failed > 0 {
		fmt.Fprintf(e.stderr, "pmdp process: %d object(s) failed\n", failed)
		return 1
	}
	return 0
}

func (e *env) processOne(ctx context.Context, p *process.Processor, bucket, key string) bool {
	rep, err := p.Process(ctx, bucket, key)
	url := "s3://" + bucket + "/" + key
	switch {
	case err != nil:
		fmt.Fprintf(e.stderr, "pmdp process: %v\n", err)
		return false
	case rep.Outcome == process.Skipped:
		fmt.Fprintf(e.stderr, "pmdp process: %s: skipped: not an access log (%s)\n", url, rep.Kind)
	case rep.Outcome == process.Gone:
		fmt.Fprintf(e.stderr, "pmdp process: %s: skipped: the object is gone\n", url)
	default:
		fmt.Fprintf(e.stdout, "%s: %d lines, %d rejected, %d requests -> %s\n",
			url, rep.Stats.Lines, rep.Stats.Rejected, rep.Requests, strings.Join(rep.Outputs, ", "))
	}
	return true
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

// readEvents finds the objects in S3 notifications: whole-file JSON, or
// one document per line; each an S3 event, a Lambda destination record
// ({"requestPayload": <event>, ...}) or a local failure ({"event": ...}).
func (e *env) readEvents(name string) ([]s3Object, error) {
	var data []byte
	var err error
	if name == "-" {
		data, err = io.ReadAll(e.stdin)
	} else {
		data, err = os.ReadFile(name)
	}
	if err != nil {
		return nil, err
	}
	docs := [][]byte{data}
	if !json.Valid(bytes.TrimSpace(data)) {
		docs = nil
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 16<<20)
		for sc.Scan() {
			if line := bytes.TrimSpace(sc.Bytes()); len(line) > 0 {
				docs = append(docs, append([]byte(nil), line...))
			}
		}
		if err := sc.Err(); err != nil {
			return nil, err
		}
	}
	var objects []s3Object
	for i, doc := range docs {
		var wrapper struct {
			RequestPayload json.RawMessage `json:"requestPayload"`
			Event          json.RawMessage `json:"event"`
			events.S3Event
		}
		if err := json.Unmarshal(doc, &wrapper); err != nil {
			return nil, fmt.Errorf("document %d: %w", i+1, err)
		}
		ev := wrapper.S3Event
		for _, inner := range []json.RawMessage{wrapper.RequestPayload, wrapper.Event} {
			if len(inner) > 0 {
				if err := json.Unmarshal(inner, &ev); err != nil {
					return nil, fmt.Errorf("document %d: %w", i+1, err)
				}
			}
		}
		if len(ev.Records) == 0 {
			return nil, fmt.Errorf("document %d holds no S3 event records", i+1)
		}
		for _, r := range ev.Records {
			objects = append(objects, s3Object{bucket: r.S3.Bucket.Name, key: r.S3.Object.URLDecodedKey})
		}
	}
	return objects, nil
}
