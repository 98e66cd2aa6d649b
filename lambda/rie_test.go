package main

// The real function binary under AWS's Lambda runtime interface emulator,
// reading from and writing to a real S3-compatible server (versitygw).
// `make test` installs both, pinned, and points these variables at them:
//
//	PMDP_RIE        path of aws-lambda-rie
//	PMDP_VERSITYGW  path of versitygw
//
// Without them the test is skipped, so that `go test ./...` works anywhere.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/s3event"
)

const (
	rieAccessKey = "pmdp-test"
	rieSecretKey = "pmdp-test-secret"
	rieBucket    = "logs"
)

func TestUnderLambdaEmulator(t *testing.T) {
	rie, gw := os.Getenv("PMDP_RIE"), os.Getenv("PMDP_VERSITYGW")
	if rie == "" || gw == "" {
		t.Skip("PMDP_RIE and PMDP_VERSITYGW are not set; `make test` sets them")
	}
	dir := t.TempDir()

	bootstrap := filepath.Join(dir, "bootstrap")
	build := exec.Command("go", "build", "-tags", "lambda.norpc", "-trimpath", "-o", bootstrap, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the function: %v\n%s", err, out)
	}

	// The S3 stand-in.
	s3Port := freePort(t)
	data := filepath.Join(dir, "s3")
	os.MkdirAll(data, 0o755)
	start(t, exec.Command(gw, "--port", "127.0.0.1:"+s3Port, "--access", rieAccessKey, "--secret", rieSecretKey, "posix", data), nil)
	endpoint := "http://127.0.0.1:" + s3Port
	waitListening(t, "127.0.0.1:"+s3Port)
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Region: "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider(rieAccessKey, rieSecretKey, ""),
	})
	ctx := context.Background()
	if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(rieBucket)}); err != nil {
		t.Fatal(err)
	}

	// A realistic log at the key layout ALB uses, with a space to encode.
	var plain bytes.Buffer
	if _, err := loggen.Write(&plain, loggen.Config{Seed: 9, Lines: 20000}); err != nil {
		t.Fatal(err)
	}
	const awsDir = "my logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/"
	key := awsDir + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"
	putObject(t, client, key, loggen.Gzip(plain.Bytes()))

	smallKey := awsDir + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T0015Z_10.0.1.5_c3.log.gz"
	var small bytes.Buffer
	loggen.Write(&small, loggen.Config{Seed: 1, Lines: 1})
	putObject(t, client, smallKey, loggen.Gzip(small.Bytes()))

	// The emulator running our bootstrap.
	apiPort, rtPort := freePort(t), freePort(t)
	env := append(os.Environ(),
		"AWS_REGION=us-east-1",
		"AWS_ACCESS_KEY_ID="+rieAccessKey,
		"AWS_SECRET_ACCESS_KEY="+rieSecretKey,
		"AWS_ENDPOINT_URL_S3="+endpoint,
		"PMDP_SUMMARY_PREFIX=summaries/",
	)
	began := time.Now()
	var functionLog syncBuffer
	start(t, exec.Command(rie,
		"--runtime-interface-emulator-address", "127.0.0.1:"+apiPort,
		"--runtime-api-address", "127.0.0.1:"+rtPort,
		bootstrap), env, &functionLog)
	invokeURL := "http://127.0.0.1:" + apiPort + "/2015-03-31/functions/function/invocations"
	waitListening(t, "127.0.0.1:"+apiPort)

	// Cold start: from starting the emulator (which starts the function)
	// to the answer for a one-line file.
	if resp := invoke(t, invokeURL, s3Event(smallKey)); resp != "null" {
		t.Fatalf("first invocation answered %s\nfunction log:\n%s", resp, &functionLog)
	}
	cold := time.Since(began)
	if resp := invoke(t, invokeURL, s3Event(key)); resp != "null" {
		t.Fatalf("invocation answered %s\nfunction log:\n%s", resp, &functionLog)
	}

	// The summaries are exactly what summarize prints for each date.
	base := strings.TrimSuffix(filepath.Base(key), ".log.gz")
	got := map[string]string{}
	for k, v := range listSummaries(t, client, "summaries/") {
		if strings.HasSuffix(k, "/"+base+".csv") {
			got[k] = v
		}
	}
	want := summarizeByDate(t, plain.Bytes())
	if len(got) != len(want) {
		t.Fatalf("summaries %v, want one per date %v", keysOf(got), keysOf(want))
	}
	for date, csv := range want {
		if k := "summaries/dt=" + date + "/" + base + ".csv"; got[k] != csv {
			t.Errorf("%s differs from summarize's output for %s", k, date)
		}
	}

	// A corrupt file fails the invocation with an error naming it.
	badKey := awsDir + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T0010Z_10.0.1.5_b2.log.gz"
	z := loggen.Gzip(plain.Bytes())
	putObject(t, client, badKey, z[:len(z)/3])
	if resp := invoke(t, invokeURL, s3Event(badKey)); !strings.Contains(resp, "errorMessage") || !strings.Contains(resp, "b2.log.gz") {
		t.Errorf("corrupt file answered %s", resp)
	}

	// Warm per-file overhead: the one-line file again, invoked one at a
	// time (the emulator takes one invocation at a time).
	const warm = 20
	warmStart := time.Now()
	for range warm {
		if resp := invoke(t, invokeURL, s3Event(smallKey)); resp != "null" {
			t.Fatalf("warm invocation answered %s", resp)
		}
	}
	perFile := time.Since(warmStart) / warm
	t.Logf("cold start (emulator start to the answer for a one-line file): %v", cold.Round(time.Millisecond))
	t.Logf("warm invocation of a one-line file, mean of %d: %v", warm, perFile.Round(100*time.Microsecond))
	if !strings.Contains(functionLog.String(), `"msg":"summarized"`) {
		t.Errorf("the function's log has no summarized line:\n%s", &functionLog)
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return fmt.Sprint(l.Addr().(*net.TCPAddr).Port)
}

// start runs cmd in its own process group and kills the whole group when
// the test ends, so that the emulator's child goes too.
func start(t *testing.T, cmd *exec.Cmd, env []string, output ...io.Writer) {
	t.Helper()
	cmd.Env = env
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	var log syncBuffer
	w := io.Writer(&log)
	if len(output) > 0 {
		w = io.MultiWriter(&log, output[0])
	}
	cmd.Stdout, cmd.Stderr = w, w
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
		cmd.Wait()
		if t.Failed() {
			t.Logf("%s output:\n%s", filepath.Base(cmd.Path), &log)
		}
	})
}

// syncBuffer is a bytes.Buffer that a process's output goroutine and the
// test can use at once.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func waitListening(t *testing.T, addr string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		time.Sleep(10 * time.Millisecond)
	}
	t.Fatalf("nothing listens on %s after 30 s", addr)
}

func invoke(t *testing.T, url string, payload []byte) string {
	t.Helper()
	resp, err := http.Post(url, "application/json", bytes.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return strings.TrimSpace(string(b))
}

func s3Event(key string) []byte {
	b, _ := json.Marshal(s3event.ObjectCreated("us-east-1", rieBucket, time.Now(), s3event.Object{Key: key, Size: 1}))
	return b
}

func putObject(t *testing.T, c *s3.Client, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String(rieBucket), Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

func listSummaries(t *testing.T, c *s3.Client, prefix string) map[string]string {
	t.Helper()
	out := map[string]string{}
	list, err := c.ListObjectsV2(context.Background(), &s3.ListObjectsV2Input{Bucket: aws.String(rieBucket), Prefix: &prefix})
	if err != nil {
		t.Fatal(err)
	}
	for _, o := range list.Contents {
		obj, err := c.GetObject(context.Background(), &s3.GetObjectInput{Bucket: aws.String(rieBucket), Key: o.Key})
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		out[*o.Key] = string(b)
	}
	return out
}

// summarizeByDate runs the local command on each date's lines of log.
func summarizeByDate(t *testing.T, log []byte) map[string]string {
	t.Helper()
	byDate := loggen.SplitByDate(log)
	out := map[string]string{}
	for d, lines := range byDate {
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{"summarize", "-"}, bytes.NewReader(lines), &stdout, &stderr); code != 0 {
			t.Fatalf("summarize: %s", &stderr)
		}
		out[d] = stdout.String()
	}
	return out
}

func keysOf(m map[string]string) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}
