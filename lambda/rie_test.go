package main

// The real function binary under AWS's Lambda runtime interface emulator,
// reading from and writing to a real S3-compatible server (versitygw),
// started by the local pipeline: the linux/arm64 bootstrap that ships
// (under qemu on other machines) when PMDP_BOOTSTRAP is set, as `make
// test` sets it, else a build for this machine. Package localtest says
// which tools it needs; without them the test is skipped.

import (
	"bytes"
	"context"
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/s3event"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestUnderLambdaEmulator(t *testing.T) {
	// This test invokes the function itself, so its files stay outside the
	// notification filter, and the rollup sweep is put off past the test's
	// end: the bridge must not invoke the emulator at the same time (it
	// takes one invocation at a time).
	p, output := localtest.Start(t, ".", local.Config{RollupInterval: time.Hour})
	ctx := context.Background()
	const dirKey = "direct/my logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/"
	name := func(end, random string) string {
		return dirKey + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_20261126T" + end + "Z_10.0.1.5_" + random + ".log.gz"
	}
	emulator := bridge.Emulator{URL: p.EmulatorURL}
	invoke := func(key string) error {
		ev, _ := json.Marshal(s3event.ObjectCreated(local.Region, p.Bucket, time.Now(), s3event.Object{Key: key}))
		return emulator.Invoke(ctx, ev)
	}

	var small bytes.Buffer
	loggen.Write(&small, loggen.Config{Seed: 1, Lines: 1})
	smallKey := name("0015", "c3")
	put(t, p, smallKey, loggen.Gzip(small.Bytes()))

	// Cold start: the emulator starts the function on the first
	// invocation; from there to the answer for a one-line file.
	began := time.Now()
	if err := invoke(smallKey); err != nil {
		t.Fatalf("first invocation: %v", err)
	}
	cold := time.Since(began)
	function := localtest.Launched(t, p)

	// A realistic file: the summaries are exactly what summarize prints
	// for each date's lines.
	var plain bytes.Buffer
	if _, err := loggen.Write(&plain, loggen.Config{Seed: 9, Lines: 20000}); err != nil {
		t.Fatal(err)
	}
	key := name("0005", "a1")
	put(t, p, key, loggen.Gzip(plain.Bytes()))
	began = time.Now()
	if err := invoke(key); err != nil {
		t.Fatalf("invocation: %v", err)
	}
	realistic := time.Since(began)
	base := strings.TrimSuffix(filepath.Base(key), ".log.gz")
	all, err := objstoretest.Objects(ctx, objstore.S3{Client: p.S3}, p.Bucket, "summaries/")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for k, v := range all {
		if strings.HasSuffix(k, "/"+base+".csv") {
			got[k] = v
		}
	}
	want := map[string]string{}
	for date, lines := range loggen.SplitByDate(plain.Bytes()) {
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{"summarize", "-"}, bytes.NewReader(lines), &stdout, &stderr); code != 0 {
			t.Fatalf("summarize: %s", &stderr)
		}
		want["summaries/dt="+date+"/"+base+".csv"] = stdout.String()
	}
	if len(got) != len(want) || len(want) != 2 {
		t.Fatalf("%d summaries, want one per date (%d)", len(got), len(want))
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s differs from summarize's output for its date", k)
		}
	}

	// A corrupt file fails the invocation with an error naming it.
	badKey := name("0010", "b2")
	z := loggen.Gzip(plain.Bytes())
	put(t, p, badKey, z[:len(z)/3])
	if err := invoke(badKey); err == nil || !strings.Contains(err.Error(), "b2.log.gz") || !strings.Contains(err.Error(), "gzip") {
		t.Errorf("corrupt file: %v", err)
	}

	// Warm per-file overhead: the one-line file again, one at a time.
	const warm = 20
	warmStart := time.Now()
	for range warm {
		if err := invoke(smallKey); err != nil {
			t.Fatalf("warm invocation: %v", err)
		}
	}
	perFile := time.Since(warmStart) / warm
	t.Logf("function: %s", function)
	t.Logf("cold start (first invocation, which starts the function, for a one-line file): %v", cold.Round(time.Millisecond))
	t.Logf("warm invocation of a one-line file, mean of %d: %v", warm, perFile.Round(100*time.Microsecond))
	t.Logf("warm invocation of a 20000-line file (%d bytes gzip): %v", len(loggen.Gzip(plain.Bytes())), realistic.Round(time.Millisecond))
	if !strings.Contains(output.String(), `"msg":"summarized"`) {
		t.Errorf("the function's log has no summarized line")
	}
	if st := p.Bridge.Stats(); st.Invocations != 0 {
		t.Errorf("the bridge invoked the function %d times; the test's files must stay outside the filter", st.Invocations)
	}
}

func put(t *testing.T, p *local.Pipeline, key string, body []byte) {
	t.Helper()
	if err := p.Put(context.Background(), key, body); err != nil {
		t.Fatal(err)
	}
}
