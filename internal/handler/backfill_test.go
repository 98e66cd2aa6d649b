package handler

import (
	"context"
	"encoding/json"
	"path"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/process"
)

// backfillEvent is the batch the state machine's Distributed Map gives
// the function for keys, listed in bucket, of the dates from to to.
func backfillEvent(bucket, from, to string, keys ...string) json.RawMessage {
	b := contract.BackfillBatch{BatchInput: contract.BackfillBatchInput{Op: contract.BackfillOp, Bucket: bucket, From: from, To: to}}
	for _, k := range keys {
		b.Items = append(b.Items, contract.BackfillItem{Key: k})
	}
	raw, err := json.Marshal(b)
	if err != nil {
		panic(err)
	}
	return raw
}

// inFolder is the key of a log file named name in the load balancer's
// folder of date, yyyy/mm/dd.
func inFolder(date, name string) string {
	return "AWSLogs/123456789012/elasticloadbalancing/us-east-2/" + strings.ReplaceAll(date, "-", "/") + "/" +
		"123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20200229T0005Z_10.0.1.5_" + name + ".log.gz"
}

// A batch summarizes each covered key as a notification would, with the
// key as listed (not URL-decoded), and skips the others. The rollups of
// its dates are left to the state machine's last step; a date outside
// the range that no sweep reaches (the day before From) is rolled up at
// once, as for a notification.
func TestBackfillBatch(t *testing.T) {
	// Folder 2020/02/29 holds lines of the 28th and the 29th: both are
	// older than the sweep's window.
	log, want := logOf(t, 11, 2000, time.Date(2020, 2, 28, 23, 50, 0, 0, time.UTC))
	other, _ := logOf(t, 12, 500, time.Date(2020, 3, 1, 10, 0, 0, 0, time.UTC))
	plus := inFolder("2020-02-29", "a+b c%20d") // would be another key, URL-decoded
	plain := inFolder("2020-02-29", "plain")
	march := inFolder("2020-03-01", "march")
	connLog := strings.Replace(inFolder("2020-02-29", "conn"), "app.pmdp", "conn_log_app.pmdp", 1)

	e := newEnv(t, process.DefaultConfig())
	for _, k := range []string{plus, plain} {
		e.put(k, log)
	}
	e.put(march, other)
	e.put(connLog, log)
	res, err := e.h.Handle(context.Background(), backfillEvent(logBucket, "2020-02-29", "2020-02-29",
		plus, plain, connLog, inFolder("2020-02-29", "gone"), march, "AWSLogs/123456789012/ELBAccessLogTestFile"))
	if err != nil {
		t.Fatal(err)
	}
	if got := (BackfillResult{Items: 6, Summarized: 2, Skipped: 2, Uncovered: 2}); res == nil || *res != got {
		t.Errorf("result %+v, want %+v", res, got)
	}
	if b, _ := json.Marshal(res); string(b) != `{"items":6,"summarized":2,"skipped":2,"uncovered":2}` {
		t.Errorf("result as JSON: %s", b)
	}

	summaries := e.objects(logBucket, "summaries/")
	for _, name := range []string{"a+b c%20d", "plain"} {
		for _, date := range []string{"2020-02-28", "2020-02-29"} {
			k := "summaries/dt=" + date + "/" + strings.TrimSuffix(path.Base(inFolder("2020-02-29", name)), ".log.gz") + ".csv"
			if _, ok := summaries[k]; !ok {
				t.Errorf("no summary %s (have %q)", k, keys(summaries))
			}
		}
	}
	if len(summaries) != 4 {
		t.Errorf("summaries %q, want the two files' two dates", keys(summaries))
	}
	// The 28th is outside the range and the sweeps' window; the 29th is
	// the state machine's to roll up.
	e.wantRollups(map[string]counts{"2020-02-28": want.add(want).onDate("2020-02-28")})

	line := findLog(t, &e.logs, "backfill batch")
	for field, v := range map[string]any{"items": 6.0, "summarized": 2.0, "skipped": 2.0, "uncovered": 2.0, "failed": 0.0, "from": "2020-02-29"} {
		if line[field] != v {
			t.Errorf("log line %v: %s is %v, want %v", line, field, line[field], v)
		}
	}
	findLog(t, &e.logs, "backfill: outside the batch's dates; skipped")
}

// Every item is tried; the batch then fails with one error naming each
// object that failed, so that the state machine retries it and, after its
// retries, records the batch as failed.
func TestBackfillBatchFailures(t *testing.T) {
	log, _ := logOf(t, 13, 1000, time.Date(2020, 2, 29, 10, 0, 0, 0, time.UTC))
	good, bad, worse := inFolder("2020-02-29", "good"), inFolder("2020-02-29", "bad"), inFolder("2020-02-29", "worse")
	e := newEnv(t, process.DefaultConfig())
	e.put(bad, log[:len(log)/2])
	e.put(good, log)
	e.put(worse, log[:len(log)/3])
	res, err := e.h.Handle(context.Background(), backfillEvent(logBucket, "2020-02-29", "2020-02-29", bad, good, worse))
	if err == nil {
		t.Fatalf("corrupt files did not fail the batch (result %+v)", res)
	}
	msg := err.Error()
	for _, want := range []string{"backfill batch: 2 of 3 objects failed", logBucket + "/" + bad, logBucket + "/" + worse, "gzip"} {
		if !strings.Contains(msg, want) {
			t.Errorf("error %q does not contain %q", msg, want)
		}
	}
	if strings.Contains(msg, good) {
		t.Errorf("error %q names the good file", msg)
	}
	if n := len(e.objects(logBucket, "summaries/")); n != 1 {
		t.Errorf("%d summaries, want the good file's", n)
	}
	if line := findLog(t, &e.logs, "backfill batch"); line["failed"] != 2.0 || line["summarized"] != 1.0 {
		t.Errorf("log line %v", line)
	}
}

// A batch whose BatchInput the function cannot use fails before reading
// anything.
func TestBackfillBatchInvalid(t *testing.T) {
	key := inFolder("2020-02-29", "a")
	tests := []struct {
		name    string
		payload string
		wantErr string
	}{
		{"another op", `{"Items":[{"Key":"` + key + `"}],"BatchInput":{"pmdp":"rollup","bucket":"logs","from":"2020-02-29","to":"2020-02-29"}}`, `pmdp "rollup", want "backfill"`},
		{"no op", `{"Items":[{"Key":"` + key + `"}],"BatchInput":{"bucket":"logs","from":"2020-02-29","to":"2020-02-29"}}`, `pmdp "", want "backfill"`},
		{"no bucket", string(backfillEvent("", "2020-02-29", "2020-02-29", key)), "names no bucket"},
		{"no dates", string(backfillEvent(logBucket, "", "", key)), `from date ""`},
		{"a bad date", string(backfillEvent(logBucket, "2020-02-30", "2020-03-01", key)), `"2020-02-30" is not YYYY-MM-DD`},
		{"backwards", string(backfillEvent(logBucket, "2020-03-01", "2020-02-29", key)), "ends before it starts"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, process.DefaultConfig())
			_, err := e.h.Handle(context.Background(), json.RawMessage(tt.payload))
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if n := e.store.gets.Load(); n != 0 {
				t.Errorf("%d objects read", n)
			}
			findLog(t, &e.logs, "invalid backfill batch")
		})
	}
}

// A sweep naming its dates, as the backfill state machine sends one per
// week of its range, rebuilds them but does not publish the report: the
// state machine's final sweep of the window publishes it once.
func TestOnlySweepsOfTheWindowPublish(t *testing.T) {
	recent, _ := logOf(t, 14, 500, time.Date(2026, 11, 25, 23, 55, 0, 0, time.UTC))
	const key = "report/index.html"
	cfg := process.DefaultConfig()
	cfg.SummaryBucket = logBucket
	e := newEnv(t, cfg)
	e.h.Report = key
	e.put(logKey("recent"), recent)
	e.handle(event(logBucket, logKey("recent")))

	e.handle(json.RawMessage(`{"pmdp":"rollup","dates":["2026-11-25","2026-11-26"]}`))
	if len(e.rollups(logBucket)) != 2 {
		t.Fatalf("rollups %v, want the two dates named", keys(e.rollups(logBucket)))
	}
	if got := e.objects(logBucket, "report/"); len(got) != 0 {
		t.Errorf("a sweep naming its dates published %q", keys(got))
	}
	e.handle(sweepEvent)
	if _, ok := e.objects(logBucket, "report/")[key]; !ok {
		t.Errorf("the sweep of the window published no %s", key)
	}
}
