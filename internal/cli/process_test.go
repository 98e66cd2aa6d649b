package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

const processDir = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/"

func processName(random string) string {
	return processDir + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_" + random + ".log.gz"
}

// fakeS3 starts an in-process S3 server with a bucket "logs" and points
// the AWS SDK's standard variables at it.
func fakeS3(t *testing.T) *s3.Client {
	t.Helper()
	return fakeS3Watched(t, nil)
}

// fakeS3Watched is fakeS3 with the handler watch returns standing in front
// of the server.
func fakeS3Watched(t *testing.T, watch func(s3 http.Handler) http.Handler) *s3.Client {
	t.Helper()
	client := objstoretest.FakeS3Behind(t, watch, "logs")
	t.Setenv("AWS_ENDPOINT_URL_S3", aws.ToString(client.Options().BaseEndpoint))
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIDTEST")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_REGION", "us-east-1")
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return client
}

func putObject(t *testing.T, c *s3.Client, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("logs"), Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func summaryObjects(t *testing.T, c *s3.Client) map[string]string {
	t.Helper()
	out, err := objstoretest.Objects(context.Background(), objstore.S3{Client: c}, "logs", "summaries/")
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func TestProcessObjectsAndPrefixes(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 4, Lines: 3000})
	putObject(t, client, processName("a1"), loggen.Gzip(plain.Bytes()))
	putObject(t, client, processName("b2"), loggen.Gzip(plain.Bytes()))
	putObject(t, client, processDir+"conn_log_"+strings.TrimPrefix(processName("c3"), processDir), loggen.Gzip([]byte("not an access log\n")))

	// One object: the summaries equal summarize's output for each date.
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"process", "s3://logs/" + processName("a1")}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), "3000 lines") {
		t.Errorf("stdout %q", &stdout)
	}
	got := summaryObjects(t, client)
	for date, lines := range loggen.SplitByDate(plain.Bytes()) {
		var want, errOut bytes.Buffer
		Main([]string{"summarize", "-"}, bytes.NewReader(lines), &want, &errOut)
		k := "summaries/dt=" + date + "/" + strings.TrimSuffix(filepath.Base(processName("a1")), ".log.gz") + ".csv"
		if got[k] != want.String() {
			t.Errorf("%s differs from summarize's output", k)
		}
	}

	// A prefix: every access log under it, the connection log skipped, and
	// a.log.gz rewritten identically.
	stdout.Reset()
	stderr.Reset()
	if code := Main([]string{"process", "s3://logs/" + processDir}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	after := summaryObjects(t, client)
	keys := make([]string, 0, len(after))
	for k := range after {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	if len(after) != 4 {
		t.Errorf("summaries %q, want two dates of two files", keys)
	}
	for k, v := range got {
		if after[k] != v {
			t.Errorf("%s changed on reprocessing", k)
		}
	}
}

func TestProcessEvents(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 5, Lines: 500})
	putObject(t, client, processName("a1"), loggen.Gzip(plain.Bytes()))

	// The failure queue's record of a failed invocation.
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"process", "--events", "../s3event/testdata/lambda-failure.json"}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if n := len(summaryObjects(t, client)); n != 2 {
		t.Errorf("%d summaries, want 2", n)
	}

	// The local pipeline's failure record, one JSON document per line, on
	// stdin, with JSON Lines output under another prefix.
	stdout.Reset()
	stderr.Reset()
	line := `{"time":"2026-11-26T06:12:07Z","event":{"Records":[{"eventName":"ObjectCreated:Put","s3":{"bucket":{"name":"logs"},"object":{"key":"` + processName("a1") + `"}}}]},"error":"x","attempts":3}`
	in := strings.NewReader(line + "\n" + line + "\n")
	if code := Main([]string{"process", "--events", "-", "--format", "jsonl", "--summary-prefix", "again/"}, in, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if strings.Count(stdout.String(), "500 lines") != 2 {
		t.Errorf("stdout %q", &stdout)
	}
	list, _ := client.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String("logs"), Prefix: aws.String("again/")})
	if len(list.Contents) != 2 || !strings.HasSuffix(*list.Contents[0].Key, ".jsonl") {
		t.Errorf("again/ holds %d objects", len(list.Contents))
	}
}

// A backfill's FAILED_0.json, as Step Functions' ResultWriter writes it,
// is reprocessed as it is: the keys of its batches in their dates.
func TestProcessEventsFromBackfillFailures(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 5, Lines: 500})
	putObject(t, client, processName("a1"), loggen.Gzip(plain.Bytes()))
	putObject(t, client, processName("b2"), loggen.Gzip(plain.Bytes()))

	child := func(keys ...string) map[string]any {
		b := contract.BackfillBatch{BatchInput: contract.BackfillBatchInput{Op: contract.BackfillOp, Bucket: "logs", From: "2026-11-26", To: "2026-11-26"}}
		for _, k := range keys {
			b.Items = append(b.Items, contract.BackfillItem{Key: k})
		}
		input, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		return map[string]any{"ExecutionArn": "arn:aws:states:us-east-1:123456789012:express:PmdpBackfill/Process:m:c", "Input": string(input),
			"InputDetails": map[string]any{"Included": true}, "Status": "FAILED", "Error": "wrapError"}
	}
	// The day before's key is outside the batch's dates: not read.
	before := strings.Replace(processName("z9"), "/2026/11/26/", "/2026/11/25/", 1)
	failed, err := json.MarshalIndent([]any{child(processName("a1"), before), child(processName("b2"))}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "FAILED_0.json")
	if err := os.WriteFile(file, failed, 0o644); err != nil {
		t.Fatal(err)
	}
	var stdout, stderr bytes.Buffer
	if code := Main([]string{"process", "--events", file}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if strings.Count(stdout.String(), "500 lines") != 2 || strings.Contains(stdout.String()+stderr.String(), "z9") {
		t.Errorf("stdout:\n%s\nstderr:\n%s\nwant a1 and b2 processed, and not the key outside the dates", &stdout, &stderr)
	}
	if n := len(summaryObjects(t, client)); n != 4 {
		t.Errorf("%d summaries, want two dates of two files", n)
	}
}

func TestProcessFailures(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 6, Lines: 2000})
	z := loggen.Gzip(plain.Bytes())
	putObject(t, client, processName("bad"), z[:len(z)/2])
	putObject(t, client, processName("ok"), z)
	tests := []struct {
		name   string
		args   []string
		code   int
		stderr []string
	}{
		{"corrupt and good", []string{"process", "s3://logs/" + processName("bad"), "s3://logs/" + processName("ok")}, 1,
			[]string{"logs/" + processName("bad"), "gzip", "1 object(s) failed"}},
		{"gone", []string{"process", "s3://logs/" + processName("gone")}, 0, []string{"the object is gone"}},
		{"not a log", []string{"process", "s3://logs/notes.txt"}, 0, []string{"not an access log"}},
		{"empty prefix", []string{"process", "s3://logs/nothing/here/"}, 0, []string{"no access logs under this prefix"}},
		{"summary key", []string{"process", "s3://logs/summaries/dt=2026-11-26/x.log.gz"}, 1, []string{"summary or rollup prefix"}},
		{"usage", []string{"process", "http://logs/x", "--format", "xml", "--summary-prefix", "s"}, 2,
			[]string{`"http://logs/x" is not an s3://BUCKET/KEY URL`, "--format", "--summary-prefix"}},
		{"nothing to do", []string{"process"}, 2, []string{"no s3:// URL and no --events file given"}},
		{"bad events file", []string{"process", "--events", "testdata/rejects.log"}, 1, []string{"--events testdata/rejects.log", "line 1: invalid character"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			code := Main(tt.args, nil, &stdout, &stderr)
			if code != tt.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tt.code, &stderr)
			}
			for _, w := range tt.stderr {
				if !strings.Contains(stderr.String(), w) {
					t.Errorf("stderr lacks %q:\n%s", w, &stderr)
				}
			}
		})
	}
	if n := len(summaryObjects(t, client)); n != 2 {
		t.Errorf("%d summaries, want the good file's 2", n)
	}
}

// A rollup that fails is reported as a rollup, not as an object: every
// object was summarized.
func TestProcessFailedRollup(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 9, Lines: 500})
	putObject(t, client, processName("ok"), loggen.Gzip(plain.Bytes()))
	// A summary of the log's date that no rollup can read.
	putObject(t, client, "summaries/dt=2026-11-26/broken.csv", []byte("date,path,count\n2026-11-26,/,many\n"))

	var stdout, stderr bytes.Buffer
	code := Main([]string{"process", "s3://logs/" + processName("ok")}, nil, &stdout, &stderr)
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	if !strings.Contains(stderr.String(), `broken.csv: line 2: count "many"`) ||
		!strings.Contains(stderr.String(), "pmdp process: 1 rollup(s) failed in s3://logs/; 'pmdp rollup' builds them again") {
		t.Errorf("stderr does not name the failed rollup:\n%s", &stderr)
	}
	if strings.Contains(stderr.String(), "object(s) failed") {
		t.Errorf("stderr counts the failed rollup as an object:\n%s", &stderr)
	}
}

// Interrupted (Ctrl-C in a terminal), process stops before the next
// object, writes nothing more and says so.
func TestProcessStopsWhenInterrupted(t *testing.T) {
	ctx, interrupt := context.WithCancel(context.Background())
	defer interrupt()
	var mu sync.Mutex
	var downloads []string
	client := fakeS3Watched(t, func(s3 http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method == http.MethodGet && strings.HasSuffix(r.URL.Path, ".log.gz") {
				mu.Lock()
				downloads = append(downloads, path.Base(r.URL.Path))
				mu.Unlock()
				interrupt() // while the first log downloads
			}
			s3.ServeHTTP(w, r)
		})
	})
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 7, Lines: 500})
	putObject(t, client, processName("a1"), loggen.Gzip(plain.Bytes()))
	putObject(t, client, processName("b2"), loggen.Gzip(plain.Bytes()))

	var stdout, stderr bytes.Buffer
	e := &env{ctx: ctx, stdout: &stdout, stderr: &stderr}
	// The prefix lists a1, then b2; it is given twice.
	code := e.main([]string{"process", "--parallel", "1", "s3://logs/" + processDir, "s3://logs/" + processDir})
	if code != 1 {
		t.Errorf("exit %d, want 1", code)
	}
	// One line for the object that was interrupted, the progress summary,
	// one for the whole run: nothing after the interruption was tried.
	lines := strings.Split(strings.TrimSuffix(stderr.String(), "\n"), "\n")
	if len(lines) != 3 || !strings.Contains(lines[0], path.Base(processName("a1"))) ||
		!strings.HasPrefix(lines[1], "pmdp process: 0 of 2 objects done, 0 failed") ||
		!strings.HasPrefix(lines[2], "pmdp process: interrupted after 0 object(s)") {
		t.Errorf("stderr, want the interrupted object and the interruption:\n%s", &stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if want := []string{path.Base(processName("a1"))}; !slices.Equal(downloads, want) {
		t.Errorf("downloaded %q, want only %q", downloads, want)
	}
	if n := len(summaryObjects(t, client)); n != 0 {
		t.Errorf("%d summaries written after the interruption", n)
	}
}

// The function's filters as flags: process counts what summarize counts
// with the same flags, and says how many lines it left out.
func TestProcessFiltered(t *testing.T) {
	client := fakeS3(t)
	var plain bytes.Buffer
	loggen.Write(&plain, loggen.Config{Seed: 8, Lines: 2000})
	redirects := read(t, redirects)
	putObject(t, client, processName("a1"), loggen.Gzip(plain.Bytes()))
	putObject(t, client, processName("b2"), loggen.Gzip(redirects))

	filters := []string{"--exclude", "action=redirect", "--include", "bot=no"}
	var stdout, stderr bytes.Buffer
	if code := Main(append([]string{"process", "s3://logs/" + processDir}, filters...), nil, &stdout, &stderr); code != 0 {
		t.Fatalf("exit %d: %s", code, &stderr)
	}
	if !strings.Contains(stdout.String(), "6 lines, 0 rejected, 4 filtered out, 2 requests") {
		t.Errorf("stdout %q does not count the redirect log's lines left out", &stdout)
	}
	got := summaryObjects(t, client)
	for name, log := range map[string][]byte{"a1": plain.Bytes(), "b2": redirects} {
		for date, lines := range loggen.SplitByDate(log) {
			var want, errOut bytes.Buffer
			Main(append([]string{"summarize", "-"}, filters...), bytes.NewReader(lines), &want, &errOut)
			k := "summaries/dt=" + date + "/" + strings.TrimSuffix(filepath.Base(processName(name)), ".log.gz") + ".csv"
			if got[k] != want.String() {
				t.Errorf("%s:\n%s\ndiffers from summarize's output with the same filters:\n%s", k, got[k], &want)
			}
		}
	}
}
