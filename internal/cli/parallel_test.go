package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

// versityGW starts versitygw with buckets and points the AWS SDK's
// standard variables at it, as a user's shell would. Skipped without
// PMDP_VERSITYGW.
func versityGW(t testing.TB, buckets ...string) *s3.Client {
	t.Helper()
	client := localtest.VersityGW(t, buckets...)
	t.Setenv("AWS_ENDPOINT_URL_S3", aws.ToString(client.Options().BaseEndpoint))
	t.Setenv("AWS_ACCESS_KEY_ID", local.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", local.SecretKey)
	t.Setenv("AWS_REGION", local.Region)
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	return client
}

// logsPrefix is where generatedLogs puts its logs in the bucket "logs".
const logsPrefix = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/"

// generatedLogs puts n generated access logs of lines lines each into the
// bucket "logs", one every three hours from 2026-11-20, so that they fall
// on many dates (and some across midnight), and returns their keys.
func generatedLogs(t testing.TB, client *s3.Client, n, lines int) []string {
	t.Helper()
	start := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	keys := make([]string, n)
	for i := range keys {
		end := start.Add(time.Duration(i) * 3 * time.Hour)
		var log bytes.Buffer
		if _, err := loggen.Write(&log, loggen.Config{Seed: uint64(i), Lines: lines, Start: end.Add(-5 * time.Minute), Span: 5 * time.Minute}); err != nil {
			t.Fatal(err)
		}
		keys[i] = logsPrefix + end.Format("2006/01/02/") + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_" +
			end.Format("20060102T1504Z") + fmt.Sprintf("_10.0.1.5_%04d.log.gz", i)
		putObjectIn(t, client, "logs", keys[i], loggen.Gzip(log.Bytes()))
	}
	return keys
}

func putObjectIn(t testing.TB, c *s3.Client, bucket, key string, body []byte) {
	t.Helper()
	if _, err := c.PutObject(context.Background(), &s3.PutObjectInput{Bucket: &bucket, Key: &key, Body: bytes.NewReader(body)}); err != nil {
		t.Fatal(err)
	}
}

// Processing in parallel writes exactly the objects, byte for byte, that
// processing one object after another writes, rollups included; an object
// that cannot be read is reported by its key and the others still finish.
func TestProcessParallelIsExact(t *testing.T) {
	client := versityGW(t, "logs", "one", "four")
	keys := generatedLogs(t, client, 40, 300)
	// A truncated gzip member halfway through the listing.
	bad := keys[20][:len(keys[20])-len(".log.gz")] + "-bad.log.gz"
	var log bytes.Buffer
	loggen.Write(&log, loggen.Config{Seed: 99, Lines: 300})
	z := loggen.Gzip(log.Bytes())
	putObjectIn(t, client, "logs", bad, z[:len(z)/2])

	runs := map[string]string{"one": "1", "four": "4"}
	written := map[string]map[string]string{}
	for _, bucket := range slices.Sorted(maps.Keys(runs)) {
		var stdout, stderr bytes.Buffer
		code := Main([]string{"process", "--parallel", runs[bucket], "--summary-bucket", bucket, "s3://logs/" + logsPrefix}, nil, &stdout, &stderr)
		if code != 1 {
			t.Errorf("--parallel %s: exit %d, want 1 for the bad object; stderr:\n%s", runs[bucket], code, &stderr)
		}
		// The bad object's error and the list of failures at the end name it.
		if n := strings.Count(stderr.String(), bad); n != 2 {
			t.Errorf("--parallel %s: stderr names the bad object %d times, want 2:\n%s", runs[bucket], n, &stderr)
		}
		if !strings.Contains(stderr.String(), "pmdp process: 41 objects done, 1 failed, in ") {
			t.Errorf("--parallel %s: no progress summary of 41 objects, 1 failed:\n%s", runs[bucket], &stderr)
		}
		if n := strings.Count(stdout.String(), " lines, "); n != len(keys) {
			t.Errorf("--parallel %s: %d objects summarized, want %d", runs[bucket], n, len(keys))
		}
		objects, err := objstoretest.Objects(context.Background(), objstore.S3{Client: client}, bucket, "")
		if err != nil {
			t.Fatal(err)
		}
		written[bucket] = objects
	}

	one, four := written["one"], written["four"]
	var summaries, rollups int
	for k := range one {
		switch {
		case strings.HasPrefix(k, "summaries/"):
			summaries++
		case strings.HasPrefix(k, "rollups/"):
			rollups++
		}
	}
	// 40 logs of the 5 minutes before every third hour from 2026-11-20T00:00:
	// six dates, 2026-11-19 to 24, the five logs ending at midnight on both.
	if summaries != 45 || rollups != 6 {
		t.Errorf("one at a time wrote %d summaries and %d rollups, want 45 and 6", summaries, rollups)
	}
	if !maps.Equal(one, four) {
		for _, k := range slices.Sorted(maps.Keys(one)) {
			if four[k] != one[k] {
				t.Errorf("%s differs between --parallel 1 and 4", k)
			}
		}
		for k := range four {
			if _, ok := one[k]; !ok {
				t.Errorf("--parallel 4 wrote %s, --parallel 1 did not", k)
			}
		}
	}
}

func TestProcessParallelUsage(t *testing.T) {
	for _, n := range []string{"0", "-3"} {
		t.Run(n, func(t *testing.T) {
			var stdout, stderr bytes.Buffer
			if code := Main([]string{"process", "--parallel", n, "s3://logs/x.log.gz"}, nil, &stdout, &stderr); code != 2 {
				t.Errorf("exit %d, want 2", code)
			}
			if want := "pmdp process: --parallel " + n + ": want at least 1 object at a time"; !strings.Contains(stderr.String(), want) {
				t.Errorf("stderr lacks %q:\n%s", want, &stderr)
			}
		})
	}
}

// BenchmarkProcessParallel processes 200 generated logs of 1000 lines on
// versitygw one at a time and 2 and 4 at once, into a new summary bucket
// each run (rollups included), and reports files per second. versitygw
// runs on the same machine and takes its share of the CPUs. Skipped
// without PMDP_VERSITYGW:
//
//	PMDP_VERSITYGW=$PWD/.local/versitygw-v1.8.0/versitygw go test -run '^$' -bench ProcessParallel -benchtime 3x ./internal/cli
func BenchmarkProcessParallel(b *testing.B) {
	const files = 200
	client := versityGW(b, "logs")
	generatedLogs(b, client, files, 1000)
	run := 0
	for _, parallel := range []int{1, 2, 4} {
		b.Run(fmt.Sprintf("parallel=%d", parallel), func(b *testing.B) {
			for b.Loop() {
				b.StopTimer()
				run++
				bucket := fmt.Sprintf("summaries-%d", run)
				if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: &bucket}); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
				args := []string{"process", "--parallel", fmt.Sprint(parallel), "--summary-bucket", bucket, "s3://logs/" + logsPrefix}
				if code := Main(args, nil, io.Discard, io.Discard); code != 0 {
					b.Fatalf("exit %d", code)
				}
			}
			b.ReportMetric(float64(files*b.N)/b.Elapsed().Seconds(), "files/s")
		})
	}
}
