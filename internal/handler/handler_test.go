package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/s3event"
	"github.com/pmdp/pmdp/internal/summary"
)

// today is the handler's clock: generated logs are of 2026-11-25 and 26,
// inside the rollup sweep's window.
var today = time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)

const (
	logBucket = "logs"
	awsDir    = "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/"
	albName   = "123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"
)

// spyStore wraps the S3 store to count calls and to inject the failures
// real S3 and real Lambda produce.
type spyStore struct {
	objstore.ListStore
	gets, puts atomic.Int64
	failPut    func(n int64, key string) error // called for the nth Put (1-based)
	// stall makes reading an object body wait until the context of its Get
	// ends, as a read would that outlasts the invocation; the deadline of
	// that context goes to stalled.
	stall   bool
	stalled chan time.Time
}

func (s *spyStore) Get(ctx context.Context, bucket, key string) (*objstore.Object, error) {
	s.gets.Add(1)
	obj, err := s.ListStore.Get(ctx, bucket, key)
	if err == nil && s.stall {
		deadline, _ := ctx.Deadline()
		select {
		case s.stalled <- deadline:
		default: // only the first is looked at
		}
		obj.Body = &stalledBody{ReadCloser: obj.Body, ctx: ctx}
	}
	return obj, err
}

func (s *spyStore) Put(ctx context.Context, bucket, key string, body []byte, p objstore.PutOptions) error {
	n := s.puts.Add(1)
	if s.failPut != nil {
		if err := s.failPut(n, key); err != nil {
			return err
		}
	}
	return s.ListStore.Put(ctx, bucket, key, body, p)
}

type stalledBody struct {
	io.ReadCloser
	ctx context.Context
}

func (b *stalledBody) Read([]byte) (int, error) {
	<-b.ctx.Done()
	return 0, b.ctx.Err()
}

type testEnv struct {
	t       *testing.T
	client  *s3.Client
	store   *spyStore
	h       *Handler
	logs    localtest.Output
	metrics localtest.Output
}

// newEnv starts an in-process S3 server and a handler that talks to it
// through a real aws-sdk-go-v2 client.
func newEnv(t *testing.T, cfg process.Config) *testEnv {
	t.Helper()
	client := objstoretest.FakeS3(t, logBucket, "summaries-elsewhere")
	e := &testEnv{t: t, client: client, store: &spyStore{ListStore: objstore.S3{Client: client}}}
	e.h = &Handler{
		Processor: &process.Processor{Store: e.store, Config: cfg},
		Rollups:   cfg.Rollups(e.store, ""),
		Now:       func() time.Time { return today },
		Log:       slog.New(slog.NewJSONHandler(&e.logs, nil)),
		Metrics:   &e.metrics,
	}
	return e
}

func (e *testEnv) put(key string, data []byte) {
	e.t.Helper()
	_, err := e.client.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(logBucket), Key: &key, Body: bytes.NewReader(data)})
	if err != nil {
		e.t.Fatal(err)
	}
}

// objects returns every object under prefix in bucket, by key.
// handle has the handler take payload, and stops the test if it fails.
func (e *testEnv) handle(payload json.RawMessage) {
	e.t.Helper()
	if _, err := e.h.Handle(context.Background(), payload); err != nil {
		e.t.Fatal(err)
	}
}

// handleErr is Handle without its result.
func (e *testEnv) handleErr(ctx context.Context, payload json.RawMessage) error {
	_, err := e.h.Handle(ctx, payload)
	return err
}

func (e *testEnv) objects(bucket, prefix string) map[string]string {
	e.t.Helper()
	out, err := objstoretest.Objects(context.Background(), objstore.S3{Client: e.client}, bucket, prefix)
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// event builds the notification S3 sends for keys created in bucket.
func event(bucket string, keys ...string) json.RawMessage {
	objects := make([]s3event.Object, len(keys))
	for i, k := range keys {
		objects[i] = s3event.Object{Key: k, Size: 1024}
	}
	b, err := json.Marshal(s3event.ObjectCreated("us-east-2", bucket, time.Date(2026, 11, 26, 0, 5, 12, 0, time.UTC), objects...))
	if err != nil {
		panic(err)
	}
	return b
}

// generated returns a log spanning midnight and, for each UTC date, what
// `pmdp summarize` prints for that date's lines alone.
func generated(t *testing.T, seed uint64, lines int, args ...string) (log []byte, perDate map[string]string) {
	t.Helper()
	var buf bytes.Buffer
	if _, err := loggen.Write(&buf, loggen.Config{Seed: seed, Lines: lines}); err != nil {
		t.Fatal(err)
	}
	byDate := loggen.SplitByDate(buf.Bytes())
	perDate = map[string]string{}
	dir := t.TempDir()
	for d, data := range byDate {
		p := filepath.Join(dir, d+".log")
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
		var out, errOut bytes.Buffer
		if code := cli.Main(append(append([]string{"summarize"}, args...), p), nil, &out, &errOut); code != 0 {
			t.Fatalf("summarize %s: %s", d, &errOut)
		}
		perDate[d] = out.String()
	}
	return buf.Bytes(), perDate
}

// handleGenerated gives a function configured by env (its environment
// variables) a generated log of seed and lines, and returns the test
// environment, the summaries the function wrote by key, and what
// summarize prints with flags for each UTC date.
func handleGenerated(t *testing.T, env map[string]string, seed uint64, lines int, flags ...string) (e *testEnv, got, perDate map[string]string) {
	t.Helper()
	cfg, err := process.ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	e = newEnv(t, cfg)
	log, perDate := generated(t, seed, lines, flags...)
	key := awsDir + albName
	e.put(key, loggen.Gzip(log))
	e.handle(event(logBucket, key))
	return e, e.objects(logBucket, "summaries/"), perDate
}

// summaryKey is the key of the summary of date that the function writes
// for albName in format.
func summaryKey(date string, format summary.Format) string {
	return "summaries/dt=" + date + "/" + strings.TrimSuffix(albName, ".log.gz") + format.Extension()
}

func TestSummarizesEachDate(t *testing.T) {
	e := newEnv(t, process.DefaultConfig())
	log, want := generated(t, 1, 5000)
	if len(want) != 2 {
		t.Fatalf("generated log covers %d dates, want 2 (it must span midnight)", len(want))
	}
	key := awsDir + albName
	e.put(key, loggen.Gzip(log))
	e.handle(event(logBucket, key))
	got := e.objects(logBucket, "summaries/")
	wantObjects := map[string]string{}
	for d, csv := range want {
		wantObjects[summaryKey(d, summary.CSV)] = csv
	}
	if !reflect.DeepEqual(keys(got), keys(wantObjects)) {
		t.Fatalf("summary keys %q, want %q", keys(got), keys(wantObjects))
	}
	for k, w := range wantObjects {
		if got[k] != w {
			t.Errorf("%s differs from what summarize prints for that date", k)
		}
	}

	// Metadata travels with each object.
	head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(logBucket), Key: aws.String(keys(got)[0])})
	if err != nil {
		t.Fatal(err)
	}
	meta := head.Metadata
	if meta["pmdp-source"] != url.PathEscape(logBucket+"/"+key) || meta["pmdp-lines"] != "5000" || meta["pmdp-rejected"] == "" || meta["pmdp-requests"] == "" {
		t.Errorf("metadata %v", meta)
	}
	if ct := aws.ToString(head.ContentType); !strings.HasPrefix(ct, "text/csv") {
		t.Errorf("content type %q", ct)
	}

	// The log line and the metric record say what happened.
	logLine := findLog(t, &e.logs, "summarized")
	for _, field := range []string{"bucket", "key", "bytes", "lines", "rejected", "filtered", "duration_ms", "lag_s"} {
		if _, ok := logLine[field]; !ok {
			t.Errorf("log line lacks %s: %v", field, logLine)
		}
	}
	var emf map[string]any
	if err := json.Unmarshal([]byte(e.metrics.String()), &emf); err != nil {
		t.Fatalf("metrics are not one JSON record: %v\n%s", err, &e.metrics)
	}
	if emf["Lines"] != 5000.0 || emf["_aws"] == nil {
		t.Errorf("EMF record %v", emf)
	}
}

func keys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// findLog returns the first JSON log line whose msg is msg.
func findLog(t *testing.T, logs *localtest.Output, msg string) map[string]any {
	t.Helper()
	for _, l := range strings.Split(logs.String(), "\n") {
		var m map[string]any
		if json.Unmarshal([]byte(l), &m) == nil && m["msg"] == msg {
			return m
		}
	}
	t.Fatalf("no log line %q in:\n%s", msg, logs)
	return nil
}

// The function configured with filters writes what summarize prints with
// the same filters as flags, and reports the lines it left out apart from
// the rejected ones: in the log line, the metadata and the metrics.
func TestFiltered(t *testing.T) {
	env := map[string]string{contract.EnvExclude: "bot=yes", contract.EnvInclude: "method=GET|POST"}
	e, got, want := handleGenerated(t, env, 9, 4000, "--exclude", "bot=yes", "--include", "method=GET|POST")
	for d, csv := range want {
		if k := summaryKey(d, summary.CSV); got[k] != csv {
			t.Errorf("%s:\n%s\ndiffers from summarize with the same filters:\n%s", k, got[k], csv)
		}
	}

	logLine := findLog(t, &e.logs, "summarized")
	lines, rejected, filtered, requests := logLine["lines"].(float64), logLine["rejected"].(float64), logLine["filtered"].(float64), logLine["requests"].(float64)
	if filtered == 0 || rejected == 0 || lines != rejected+filtered+requests {
		t.Errorf("log line: %v lines, %v rejected, %v filtered, %v requests: want some of each, adding up", lines, rejected, filtered, requests)
	}
	var emf map[string]any
	if err := json.Unmarshal([]byte(e.metrics.String()), &emf); err != nil {
		t.Fatal(err)
	}
	if emf["FilteredLines"] != filtered || emf["RejectedLines"] != rejected {
		t.Errorf("EMF record %v, want FilteredLines %v", emf, filtered)
	}
	// CloudWatch makes metrics of the values its directive names, only.
	var directive struct {
		AWS struct {
			CloudWatchMetrics []struct{ Metrics []struct{ Name string } }
		} `json:"_aws"`
	}
	json.Unmarshal([]byte(e.metrics.String()), &directive)
	named := map[string]bool{}
	for _, d := range directive.AWS.CloudWatchMetrics {
		for _, m := range d.Metrics {
			named[m.Name] = true
		}
	}
	for k, v := range emf {
		if _, isNumber := v.(float64); isNumber && !named[k] {
			t.Errorf("EMF value %s is not named a metric in %v", k, named)
		}
	}
	head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(logBucket), Key: aws.String(keys(got)[0])})
	if err != nil {
		t.Fatal(err)
	}
	meta := head.Metadata
	if meta["pmdp-filtered"] != strconv.Itoa(int(filtered)) || meta["pmdp-include"] != "method=GET%7CPOST" || meta["pmdp-exclude"] != "bot=yes" {
		t.Errorf("metadata %v", meta)
	}
}

// The function with a cardinality cap writes what summarize prints with
// the same cap, and reports the requests counted in (other) rows: in the
// log line, the metadata and the metrics.
func TestCapped(t *testing.T) {
	env := map[string]string{contract.EnvMaxGroups: "50"}
	e, got, want := handleGenerated(t, env, 4, 4000, "--max-groups", "50")
	var metaOther int64
	for d, csv := range want {
		k := summaryKey(d, summary.CSV)
		if got[k] != csv {
			t.Errorf("%s:\n%s\ndiffers from summarize with the same cap:\n%s", k, got[k], csv)
		}
		if !strings.Contains(csv, d+",(other),") {
			t.Errorf("%s has no (other) row; the test needs the cap to fold", k)
		}
		head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(logBucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		n, err := strconv.ParseInt(head.Metadata["pmdp-other"], 10, 64)
		if err != nil || n <= 0 {
			t.Errorf("%s: metadata %v, want pmdp-other", k, head.Metadata)
		}
		metaOther += n
	}
	logLine := findLog(t, &e.logs, "summarized")
	if logLine["other"] != float64(metaOther) {
		t.Errorf("log line says %v in (other), the summaries' metadata %d", logLine["other"], metaOther)
	}
	var emf map[string]any
	if err := json.Unmarshal([]byte(e.metrics.String()), &emf); err != nil {
		t.Fatal(err)
	}
	if emf["OtherLines"] != float64(metaOther) {
		t.Errorf("EMF record %v, want OtherLines %d", emf, metaOther)
	}
}

// The function with distinct counts writes what summarize prints with the
// same --distinct, and says what it counts in the metadata.
func TestDistinct(t *testing.T) {
	env := map[string]string{contract.EnvDistinct: "visitor", contract.EnvGroupBy: "date,status"}
	e, got, want := handleGenerated(t, env, 5, 3000, "--distinct", "visitor", "--group-by", "date,status")
	for d, csv := range want {
		k := summaryKey(d, summary.CSV)
		if !strings.HasPrefix(csv, "date,status,count,distinct,distinct_hll\n") {
			t.Fatalf("summarize --distinct wrote %.100q", csv)
		}
		if got[k] != csv {
			t.Errorf("%s:\n%s\ndiffers from summarize with the same --distinct:\n%s", k, got[k], csv)
		}
		head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(logBucket), Key: aws.String(k)})
		if err != nil {
			t.Fatal(err)
		}
		if head.Metadata["pmdp-distinct"] != "visitor" {
			t.Errorf("%s: metadata %v, want pmdp-distinct", k, head.Metadata)
		}
	}
}

func TestIdempotent(t *testing.T) {
	log, _ := generated(t, 2, 3000)
	key := awsDir + albName

	// withLog is a new environment holding the log, not yet processed.
	withLog := func(t *testing.T) *testEnv {
		e := newEnv(t, process.DefaultConfig())
		e.put(key, loggen.Gzip(log))
		return e
	}
	reference := withLog(t)
	reference.handle(event(logBucket, key))
	want := reference.objects(logBucket, "summaries/")
	checkSame := func(e *testEnv, after string) {
		e.t.Helper()
		if got := e.objects(logBucket, "summaries/"); !reflect.DeepEqual(got, want) {
			e.t.Errorf("after %s: %q, want %q", after, keys(got), keys(want))
		}
	}

	t.Run("delivered twice", func(t *testing.T) {
		e := withLog(t)
		for range 2 {
			e.handle(event(logBucket, key))
		}
		checkSame(e, "a duplicate delivery")
	})
	t.Run("concurrent invocations", func(t *testing.T) {
		e := withLog(t)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			wg.Go(func() { errs[i] = e.handleErr(context.Background(), event(logBucket, key)) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		checkSame(e, "concurrent invocations")
	})
	t.Run("retry after a crash between two dates", func(t *testing.T) {
		e := withLog(t)
		e.store.failPut = func(n int64, key string) error {
			if n == 2 {
				return errors.New("connection reset by peer")
			}
			return nil
		}
		_, err := e.h.Handle(context.Background(), event(logBucket, key))
		if err == nil || !strings.Contains(err.Error(), logBucket+"/"+key) || !strings.Contains(err.Error(), "connection reset") {
			t.Fatalf("first attempt: %v, want an error naming the object and the cause", err)
		}
		if n := len(e.objects(logBucket, "summaries/")); n != 1 {
			t.Fatalf("%d summaries after the crash, want the first date's only", n)
		}
		e.handle(event(logBucket, key))
		checkSame(e, "the retry")
	})
}

func TestKeys(t *testing.T) {
	log, _ := generated(t, 3, 200)
	tests := []struct{ name, prefix string }{
		{"spaces", "my logs/"},
		{"plus", "a+b/"},
		{"non-ASCII", "jöurnal/日本/"},
		{"percent", "100%/"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, process.DefaultConfig())
			key := tt.prefix + awsDir + albName
			e.put(key, loggen.Gzip(log))
			e.handle(event(logBucket, key))
			if e.store.gets.Load() != 1 {
				t.Fatalf("%d gets", e.store.gets.Load())
			}
			if n := len(e.objects(logBucket, "summaries/")); n != 2 {
				t.Errorf("%d summaries, want 2", n)
			}
		})
	}
}

func TestFixtureEvent(t *testing.T) {
	payload, err := os.ReadFile("testdata/put-event.json")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, process.DefaultConfig())
	log, _ := generated(t, 4, 100)
	e.put("my logs/"+awsDir+albName, loggen.Gzip(log)) // the fixture's key, URL-decoded
	e.handle(payload)
	if n := len(e.objects(logBucket, "summaries/")); n == 0 {
		t.Error("no summary written for the fixture event")
	}
}

func TestEventsThatDoNothing(t *testing.T) {
	testEvent, err := os.ReadFile("testdata/test-event.json")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		payload json.RawMessage
		log     string // a log line that must appear
	}{
		{"S3 test event", testEvent, "S3 test event: notifications reach the function"},
		{"connection log", event(logBucket, awsDir+"conn_log_"+albName), "skipped: not an access log"},
		{"health-check log", event(logBucket, awsDir+"health_check_log_"+albName), "skipped: not an access log"},
		{"NLB log", event(logBucket, awsDir+"123456789012_elasticloadbalancing_us-east-2_net.n.1_20261126T0005Z_abc.log.gz"), "skipped: not an access log"},
		{"logging test file", event(logBucket, "AWSLogs/123456789012/ELBAccessLogTestFile"), "skipped: not an access log"},
		{"anything else", event(logBucket, "notes/todo.txt"), "skipped: not an access log"},
		{"object already gone", event(logBucket, awsDir+albName), "object is gone; nothing to do"},
		{"summary key: recursion guard", event(logBucket, "summaries/dt=2026-11-26/"+strings.TrimSuffix(albName, ".log.gz")+".log.gz"), "refused: the key is under the summary or rollup prefix; check the notification filter"},
		{"rollup key: recursion guard", event(logBucket, "rollups/dt=2026-11-26/x.log.gz"), "refused: the key is under the summary or rollup prefix; check the notification filter"},
		{"no records", json.RawMessage(`{"Records":[]}`), "S3 notification without records"},
		{"deletion", json.RawMessage(strings.Replace(string(event(logBucket, awsDir+albName)), "ObjectCreated:Put", "ObjectRemoved:Delete", 1)), "not an object creation; ignored"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, process.DefaultConfig())
			if _, err := e.h.Handle(context.Background(), tt.payload); err != nil {
				t.Fatalf("Handle: %v", err)
			}
			findLog(t, &e.logs, tt.log)
			if n := e.store.puts.Load(); n != 0 {
				t.Errorf("%d objects written", n)
			}
			if strings.Contains(tt.name, "recursion") && e.store.gets.Load() != 0 {
				t.Error("a summary key was read")
			}
		})
	}
}

func TestRecursionGuardOnlyInTheSummaryBucket(t *testing.T) {
	cfg := process.DefaultConfig()
	cfg.SummaryBucket = "summaries-elsewhere"
	e := newEnv(t, cfg)
	log, _ := generated(t, 5, 100)
	key := "summaries/" + awsDir + albName // a log prefix that happens to look like the summary prefix
	e.put(key, loggen.Gzip(log))
	e.handle(event(logBucket, key))
	if n := len(e.objects("summaries-elsewhere", "summaries/")); n != 2 {
		t.Errorf("%d summaries in the summary bucket, want 2", n)
	}
}

func TestFailures(t *testing.T) {
	log, _ := generated(t, 6, 2000)
	good := loggen.Gzip(log)
	corruptKey := awsDir + strings.Replace(albName, "_a1.", "_bad.", 1)
	goodKey := awsDir + albName
	goneKey := awsDir + strings.Replace(albName, "_a1.", "_gone.", 1)

	e := newEnv(t, process.DefaultConfig())
	e.put(corruptKey, good[:len(good)/2])
	e.put(goodKey, good)
	_, err := e.h.Handle(context.Background(), event(logBucket, corruptKey, goneKey, goodKey, "wrong-bucket-key"))
	if err == nil {
		t.Fatal("a corrupt file did not fail the invocation")
	}
	msg := err.Error()
	if !strings.Contains(msg, logBucket+"/"+corruptKey) || !strings.Contains(msg, "gzip") || !strings.Contains(msg, "1 of 4 objects failed") {
		t.Errorf("error %q does not name the corrupt object, its cause, and the count", msg)
	}
	if strings.Contains(msg, goneKey) || strings.Contains(msg, goodKey+":") {
		t.Errorf("error %q names objects that did not fail", msg)
	}
	// The good object in the same event was still processed, and the
	// corrupt one wrote nothing.
	got := e.objects(logBucket, "summaries/")
	if len(got) != 2 {
		t.Errorf("summaries %q, want the good file's two", keys(got))
	}
	for k := range got {
		if strings.Contains(k, "_bad") {
			t.Errorf("corrupt file wrote %s", k)
		}
	}

	t.Run("missing bucket", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		_, err := e.h.Handle(context.Background(), event("no-such-bucket", goodKey))
		if err == nil || !strings.Contains(err.Error(), "no-such-bucket/"+goodKey) {
			t.Errorf("error %v, want one naming the bucket and key", err)
		}
	})
	t.Run("write refused", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(goodKey, good)
		e.store.failPut = func(int64, string) error { return errors.New("AccessDenied: not allowed") }
		_, err := e.h.Handle(context.Background(), event(logBucket, goodKey))
		if err == nil || !strings.Contains(err.Error(), "AccessDenied") || !strings.Contains(err.Error(), goodKey) {
			t.Errorf("error %v", err)
		}
	})
}

// A file that cannot be finished in time fails the invocation with an
// error that says so, before Lambda's deadline, and writes nothing. The
// store's read waits for the context to end, so nothing races a clock.
func TestStopsBeforeTheDeadline(t *testing.T) {
	e := newEnv(t, process.DefaultConfig())
	log, _ := generated(t, 7, 100)
	key := awsDir + albName
	e.put(key, loggen.Gzip(log))
	e.store.stall = true
	e.store.stalled = make(chan time.Time, 1)
	e.h.StopMargin = time.Hour // so a tenth of the time left is the margin

	deadline := time.Now().Add(500 * time.Millisecond)
	ctx, cancel := context.WithDeadline(context.Background(), deadline)
	defer cancel()
	_, err := e.h.Handle(ctx, event(logBucket, key))
	if err == nil || !strings.Contains(err.Error(), "stopped before the invocation deadline") || !strings.Contains(err.Error(), key) {
		t.Fatalf("error %v, want a deadline error naming the key", err)
	}
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("error %v does not wrap context.DeadlineExceeded", err)
	}
	// The read had until a tenth of the time left (at most 50 ms) before
	// the invocation's deadline.
	select {
	case stop := <-e.store.stalled:
		if !stop.Before(deadline) || stop.Before(deadline.Add(-50*time.Millisecond)) {
			t.Errorf("work was to stop %v before the deadline, want a tenth of the time left, at most 50 ms", deadline.Sub(stop))
		}
	default:
		t.Error("the object was never opened")
	}
	if n := e.store.puts.Load(); n != 0 {
		t.Errorf("%d summaries written from a file that was not finished", n)
	}
}

func TestStopAt(t *testing.T) {
	deadline := time.Date(2026, 11, 26, 0, 15, 0, 0, time.UTC)
	tests := []struct {
		name   string
		margin time.Duration // Handler.StopMargin
		left   time.Duration // until the deadline
		want   time.Duration // before the deadline
	}{
		{"default margin", 0, 15 * time.Minute, DefaultStopMargin},
		{"default margin, a tenth is shorter", 0, 10 * time.Second, time.Second},
		{"default margin, exactly a tenth", 0, 30 * time.Second, DefaultStopMargin},
		{"own margin", 500 * time.Millisecond, time.Minute, 500 * time.Millisecond},
		{"own margin, a tenth is shorter", time.Minute, time.Minute, 6 * time.Second},
		{"deadline now", 0, 0, 0},
		{"deadline passed", 0, -time.Second, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := &Handler{StopMargin: tt.margin}
			if got := deadline.Sub(h.stopAt(deadline, deadline.Add(-tt.left))); got != tt.want {
				t.Errorf("stops %v before the deadline, want %v", got, tt.want)
			}
		})
	}
}

// The handler's clock decides the rollup window; a date far from the real
// one tells the clock from time.Now.
func TestClock(t *testing.T) {
	fixed := time.Date(2031, 5, 6, 7, 8, 9, 0, time.UTC)
	if got := (&Handler{Now: func() time.Time { return fixed }}).now(); !got.Equal(fixed) {
		t.Errorf("now() = %v with Now set, want %v", got, fixed)
	}
	before := time.Now()
	got := (&Handler{}).now()
	if got.Before(before) || got.After(time.Now()) {
		t.Errorf("now() = %v without Now, want the time of day (%v)", got, before)
	}
}

func TestWorkContext(t *testing.T) {
	h := &Handler{}
	t.Run("no deadline: none added, cancel still works", func(t *testing.T) {
		ctx, cancel := h.workContext(context.Background())
		if d, ok := ctx.Deadline(); ok {
			t.Errorf("deadline %v, want none", d)
		}
		cancel()
		if ctx.Err() != context.Canceled {
			t.Errorf("after cancel: %v", ctx.Err())
		}
	})
	t.Run("deadline: the stop margin before it", func(t *testing.T) {
		deadline := time.Now().Add(time.Hour) // a tenth is far longer than the margin
		parent, cancelParent := context.WithDeadline(context.Background(), deadline)
		defer cancelParent()
		ctx, cancel := h.workContext(parent)
		defer cancel()
		if d, ok := ctx.Deadline(); !ok || !d.Equal(deadline.Add(-DefaultStopMargin)) {
			t.Errorf("deadline %v, %v; want %v", d, ok, deadline.Add(-DefaultStopMargin))
		}
		cancelParent()
		if ctx.Err() != context.Canceled {
			t.Errorf("the parent's cancellation did not reach the work context: %v", ctx.Err())
		}
	})
}

func TestJSONLines(t *testing.T) {
	cfg := process.DefaultConfig()
	cfg.Format = summary.JSONL
	cfg.Dimensions = summary.MustParseDimensions("hour,query:ev")
	e := newEnv(t, cfg)
	log, want := generated(t, 8, 2000, "--format", "jsonl", "--group-by", "hour,query:ev")
	key := awsDir + albName
	e.put(key, loggen.Gzip(log))
	e.handle(event(logBucket, key))
	if len(want) != 2 {
		t.Fatalf("generated log covers %d dates, want 2 (it must span midnight)", len(want))
	}
	wantObjects := map[string]string{}
	for d, w := range want {
		// What summarize printed is the expectation: it must be JSON lines.
		lines := strings.Split(strings.TrimSuffix(w, "\n"), "\n")
		for i, l := range lines {
			var row map[string]any
			if err := json.Unmarshal([]byte(l), &row); err != nil || row["count"] == nil || row["hour"] == nil {
				t.Fatalf("summarize --format jsonl for %s, line %d: %q is not a row with hour and count (%v)", d, i+1, l, err)
			}
		}
		wantObjects[summaryKey(d, summary.JSONL)] = w
	}
	got := e.objects(logBucket, "summaries/")
	if !reflect.DeepEqual(keys(got), keys(wantObjects)) {
		t.Fatalf("summary keys %q, want %q", keys(got), keys(wantObjects))
	}
	for k, w := range wantObjects {
		if got[k] != w {
			t.Errorf("%s:\n%s\nwant\n%s", k, got[k], w)
		}
	}
}

func TestNotANotification(t *testing.T) {
	e := newEnv(t, process.DefaultConfig())
	if _, err := e.h.Handle(context.Background(), json.RawMessage(`[1,2]`)); err == nil {
		t.Error("a payload that is not an S3 notification was accepted")
	}
}
