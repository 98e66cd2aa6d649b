package main

// The backfill state machine's events on the real function binary under
// the Lambda runtime interface emulator, against versitygw: a batch of
// listed keys, then the sweep of the range's dates that follows the last
// batch.

import (
	"bytes"
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

func TestBackfillUnderLambdaEmulator(t *testing.T) {
	// As in TestUnderLambdaEmulator: keys outside the notification
	// filter, and no sweep of the bridge's while the test invokes.
	p, output := localtest.Start(t, ".", local.Config{RollupInterval: time.Hour})
	ctx := context.Background()
	emulator := bridge.Emulator{URL: p.EmulatorURL}
	folder := func(date string) string {
		return "direct/backfill/AWSLogs/123456789012/elasticloadbalancing/us-east-1/" + strings.ReplaceAll(date, "-", "/") + "/"
	}
	name := func(date, random string) string {
		return folder(date) + "123456789012_elasticloadbalancing_us-east-1_app.pmdp.50dc6c495c0c9188_" +
			strings.ReplaceAll(date, "-", "") + "T0005Z_10.0.1.5_" + random + ".log.gz"
	}

	// Lines from the 28th into the 29th, delivered in the 29th's folder;
	// a key with characters that URL-decoding would change.
	var plain bytes.Buffer
	if _, err := loggen.Write(&plain, loggen.Config{Seed: 21, Lines: 5000, Start: time.Date(2020, 2, 28, 23, 50, 0, 0, time.UTC)}); err != nil {
		t.Fatal(err)
	}
	good := name("2020-02-29", "a+b%20c")
	put(t, p, good, loggen.Gzip(plain.Bytes()))
	outside := name("2020-03-01", "d4")
	put(t, p, outside, loggen.Gzip(plain.Bytes()))

	res, err := emulator.Call(ctx, batch(p.Bucket, "2020-02-29", "2020-02-29", good, outside))
	if err != nil {
		t.Fatalf("batch: %v", err)
	}
	if want := `{"items":2,"summarized":1,"skipped":0,"uncovered":1}`; string(res) != want {
		t.Errorf("batch result %s, want %s", res, want)
	}
	all, err := objstoretest.Objects(ctx, objstore.S3{Client: p.S3}, p.Bucket, "")
	if err != nil {
		t.Fatal(err)
	}
	base := strings.TrimSuffix(path.Base(good), ".log.gz")
	for date, lines := range loggen.SplitByDate(plain.Bytes()) {
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{"summarize", "-"}, bytes.NewReader(lines), &stdout, &stderr); code != 0 {
			t.Fatalf("summarize: %s", &stderr)
		}
		if k := "summaries/dt=" + date + "/" + base + ".csv"; all[k] != stdout.String() {
			t.Errorf("%s differs from summarize's output for its date", k)
		}
	}
	for k := range all {
		if strings.Contains(k, "d4") && strings.HasPrefix(k, "summaries/") {
			t.Errorf("%s: a key outside the range was summarized", k)
		}
	}
	// The day before the range is rolled up at once; the range is the
	// state machine's, after the last batch.
	rollups := func() []string {
		var dates []string
		objs, err := objstoretest.Objects(ctx, objstore.S3{Client: p.S3}, p.Bucket, "rollups/")
		if err != nil {
			t.Fatal(err)
		}
		for k := range objs {
			dates = append(dates, strings.TrimSuffix(strings.TrimPrefix(k, "rollups/dt="), "/rollup.jsonl"))
		}
		return dates
	}
	if got := rollups(); len(got) != 1 || got[0] != "2020-02-28" {
		t.Errorf("rollups after the batch: %v, want the 28th only", got)
	}
	if _, err := emulator.Call(ctx, []byte(`{"pmdp":"rollup","dates":["2020-02-29"]}`)); err != nil {
		t.Fatalf("the range's sweep: %v", err)
	}
	if got := rollups(); len(got) != 2 {
		t.Errorf("rollups after the sweep: %v, want the 28th and 29th", got)
	}

	// A corrupt file fails its batch, with an error naming it.
	bad := name("2020-02-29", "e5")
	z := loggen.Gzip(plain.Bytes())
	put(t, p, bad, z[:len(z)/3])
	_, err = emulator.Call(ctx, batch(p.Bucket, "2020-02-29", "2020-02-29", good, bad))
	if err == nil || !strings.Contains(err.Error(), "1 of 2 objects failed") || !strings.Contains(err.Error(), p.Bucket+"/"+bad) {
		t.Errorf("corrupt file: %v", err)
	}
	if !strings.Contains(output.String(), `"msg":"backfill batch"`) {
		t.Errorf("the function's log has no backfill batch line")
	}
	if st := p.Bridge.Stats(); st.Invocations != 0 {
		t.Errorf("the bridge invoked the function %d times; the test's files must stay outside the filter", st.Invocations)
	}
}

// batch is the event the Distributed Map gives the function.
func batch(bucket, from, to string, keys ...string) []byte {
	b := contract.BackfillBatch{BatchInput: contract.BackfillBatchInput{Op: contract.BackfillOp, Bucket: bucket, From: from, To: to}}
	for _, k := range keys {
		b.Items = append(b.Items, contract.BackfillItem{Key: k})
	}
	raw, _ := json.Marshal(b)
	return raw
}
