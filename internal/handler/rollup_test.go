package handler

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/report"
	"github.com/pmdp/pmdp/internal/rollup"
	"github.com/pmdp/pmdp/internal/summary"
)

// counts is a rollup or an expectation as "date|path" -> count.
type counts map[string]int64

// logOf generates a log starting at start and returns it gzipped, with
// the counts it must add to the rollups, by date and path.
func logOf(t *testing.T, seed uint64, lines int, start time.Time) ([]byte, counts) {
	t.Helper()
	var buf bytes.Buffer
	res, err := loggen.Write(&buf, loggen.Config{Seed: seed, Lines: lines, Start: start})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := res.Expected([]string{"date", "path"})
	if err != nil {
		t.Fatal(err)
	}
	want := counts{}
	for _, r := range rows {
		want[r.Values[0]+"|"+jsonText(r.Values[1])] += r.Count
	}
	return loggen.Gzip(buf.Bytes()), want
}

// jsonText is s as a JSON string holds it.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}

func (c counts) add(o counts) counts {
	sum := counts{}
	for _, m := range []counts{c, o} {
		for k, n := range m {
			sum[k] += n
		}
	}
	return sum
}

// onDate keeps the counts of one date.
func (c counts) onDate(date string) counts {
	out := counts{}
	for k, n := range c {
		if strings.HasPrefix(k, date+"|") {
			out[k] = n
		}
	}
	return out
}

// rollups reads every rollup in the bucket, by date; rows of a rollup
// that is missing are absent.
func (e *testEnv) rollups(bucket string) map[string]counts {
	e.t.Helper()
	out := map[string]counts{}
	for key, body := range e.objects(bucket, "rollups/") {
		date := strings.TrimSuffix(strings.TrimPrefix(key, "rollups/dt="), "/rollup.jsonl")
		r := summary.NewReader(strings.NewReader(body), summary.JSONL)
		out[date] = counts{}
		for {
			values, n, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				e.t.Fatalf("%s: %v", key, err)
			}
			out[date][strings.Join(values, "|")] += n
		}
	}
	return out
}

func (e *testEnv) wantRollups(want map[string]counts) {
	e.t.Helper()
	e.wantRollupsIn(logBucket, want)
}

func (e *testEnv) wantRollupsIn(bucket string, want map[string]counts) {
	e.t.Helper()
	got := e.rollups(bucket)
	if !reflect.DeepEqual(keys(got), keys(want)) {
		e.t.Fatalf("rollups of %q, want %q", keys(got), keys(want))
	}
	for d, w := range want {
		if !reflect.DeepEqual(got[d], w) {
			e.t.Errorf("rollup of %s differs from the expected counts (%d groups, want %d)", d, len(got[d]), len(w))
		}
	}
}

func logKey(name string) string {
	return awsDir + strings.Replace(albName, "_a1.", "_"+name+".", 1)
}

// sweepEvent is what the stack's schedule sends.
var sweepEvent = json.RawMessage(contract.ScheduledSweep)

// The schedule's sweep rolls up the window's dates; a log's date older
// than the window is rolled up at once, in the invocation that wrote its
// summary; a date inside it is left to the sweep.
func TestRollupsSweepAndLateDates(t *testing.T) {
	cfg := process.DefaultConfig()
	cfg.SummaryBucket = logBucket
	e := newEnv(t, cfg)
	recent, wantRecent := logOf(t, 1, 3000, time.Date(2026, 11, 25, 23, 55, 0, 0, time.UTC)) // 25th and 26th
	edge, wantEdge := logOf(t, 2, 2000, time.Date(2026, 11, 24, 23, 55, 0, 0, time.UTC))     // 24th and 25th
	old, wantOld := logOf(t, 3, 1000, time.Date(2020, 2, 29, 10, 0, 0, 0, time.UTC))

	e.put(logKey("recent"), recent)
	e.handle(event(logBucket, logKey("recent")))
	e.wantRollups(map[string]counts{}) // the 25th and 26th: left to the sweep

	// The 24th is still in today's sweep, but not in tomorrow's.
	e.put(logKey("edge"), edge)
	e.handle(event(logBucket, logKey("edge")))
	e.wantRollups(map[string]counts{"2026-11-24": wantEdge.onDate("2026-11-24")})
	line := findLog(t, &e.logs, "rolled up")
	if line["date"] != "2026-11-24" || line["why"] != "a date outside the sweep's window" || line["outcome"] != "written" {
		t.Errorf("log line %v", line)
	}

	e.put(logKey("old"), old)
	e.handle(event(logBucket, logKey("old")))
	all := wantRecent.add(wantEdge).add(wantOld)
	e.wantRollups(map[string]counts{"2026-11-24": all.onDate("2026-11-24"), "2020-02-29": all.onDate("2020-02-29")})

	e.handle(sweepEvent)
	want := map[string]counts{}
	for _, d := range []string{"2020-02-29", "2026-11-24", "2026-11-25", "2026-11-26"} {
		want[d] = all.onDate(d)
	}
	e.wantRollups(want)
	sweep := findLog(t, &e.logs, "rollup sweep")
	if sweep["written"] != 2.0 || sweep["unchanged"] != 1.0 || sweep["failed"] != 0.0 {
		t.Errorf("sweep log line %v", sweep)
	}
}

// Every way a late file's notification can arrive: the rollup of its date
// counts it once.
func TestLateDateDeliveries(t *testing.T) {
	start := time.Date(2026, 10, 1, 12, 0, 0, 0, time.UTC)
	a, wantA := logOf(t, 4, 2000, start)
	b, wantB := logOf(t, 5, 1500, start.Add(time.Hour))
	const date = "2026-10-01"
	rollupKey := rollup.Key("rollups/", date)

	t.Run("delivered twice", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(logKey("a"), a)
		for range 2 {
			e.handle(event(logBucket, logKey("a")))
		}
		e.wantRollups(map[string]counts{date: wantA})
		if !strings.Contains(e.logs.String(), `"outcome":"unchanged"`) {
			t.Error("the second delivery wrote the rollup again")
		}
	})
	t.Run("a second file later", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(logKey("a"), a)
		e.handle(event(logBucket, logKey("a")))
		e.put(logKey("b"), b)
		e.handle(event(logBucket, logKey("b")))
		e.wantRollups(map[string]counts{date: wantA.add(wantB)})
	})
	t.Run("two files at once", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(logKey("a"), a)
		e.put(logKey("b"), b)
		var wg sync.WaitGroup
		errs := make([]error, 4)
		for i := range errs {
			key := logKey([]string{"a", "b"}[i%2])
			wg.Go(func() { errs[i] = e.handleErr(context.Background(), event(logBucket, key)) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		e.wantRollups(map[string]counts{date: wantA.add(wantB)})
	})
	t.Run("a crash between the summary and the rollup, then Lambda's retry", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(logKey("a"), a)
		e.store.failPut = func(_ int64, key string) error {
			if key == rollupKey {
				return errors.New("connection reset by peer")
			}
			return nil
		}
		_, err := e.h.Handle(context.Background(), event(logBucket, logKey("a")))
		if err == nil || !strings.Contains(err.Error(), "rollup of "+date) || !strings.Contains(err.Error(), "connection reset") {
			t.Fatalf("first attempt: %v, want an error naming the date and the cause", err)
		}
		if n := len(e.objects(logBucket, "summaries/")); n != 1 {
			t.Fatalf("%d summaries, want the one written before the crash", n)
		}
		e.wantRollups(map[string]counts{})
		e.store.failPut = nil
		e.handle(event(logBucket, logKey("a")))
		e.wantRollups(map[string]counts{date: wantA})
	})
	t.Run("a conflict (409) on the rollup's write", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(logKey("a"), a)
		e.store.failPut = func(_ int64, key string) error {
			if key == rollupKey {
				e.store.failPut = nil
				return fmt.Errorf("s3://%s/%s: put: %w", logBucket, key, objstore.ErrConflict)
			}
			return nil
		}
		e.h.Rollups.Wait = func(context.Context, time.Duration) error { return nil }
		e.handle(event(logBucket, logKey("a")))
		e.wantRollups(map[string]counts{date: wantA})
		if line := findLog(t, &e.logs, "rolled up"); line["attempts"] != 2.0 || line["conflicts"] != 1.0 {
			t.Errorf("log line %v, want 2 attempts after a conflict", line)
		}
	})
}

func TestSweepEvents(t *testing.T) {
	recent, want := logOf(t, 6, 1000, time.Date(2026, 11, 25, 23, 55, 0, 0, time.UTC))
	tests := []struct {
		name    string
		cfg     func(*process.Config)
		payload string
		want    []string // dates with rollups afterwards
		wantErr []string
	}{
		{"the window", nil, `{"pmdp":"rollup"}`, []string{"2026-11-25", "2026-11-26"}, nil},
		// No later sweep covers any date: each is rolled up at once.
		{"a window of one day", func(c *process.Config) { c.RollupDays = 1 }, `{"pmdp":"rollup","dates":["2026-11-20"]}`, []string{"2026-11-25", "2026-11-26"}, nil},
		{"dates named", nil, `{"pmdp":"rollup","dates":["2026-11-25","2019-01-01"]}`, []string{"2026-11-25"}, nil},
		{"a bad date", nil, `{"pmdp":"rollup","dates":["2026-11-25","yesterday"]}`, []string{"2026-11-25"}, []string{"rollup sweep", `"yesterday"`}},
		{"summaries elsewhere", func(c *process.Config) { c.SummaryBucket = "summaries-elsewhere" }, `{"pmdp":"rollup"}`, nil, nil},
		{"no bucket", func(c *process.Config) { c.SummaryBucket = "" }, `{"pmdp":"rollup"}`, nil, []string{"PMDP_SUMMARY_BUCKET"}},
		{"an unknown pmdp event", nil, `{"pmdp":"compact"}`, nil, []string{`unknown pmdp event "compact"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := process.DefaultConfig()
			cfg.SummaryBucket = logBucket
			if tt.cfg != nil {
				tt.cfg(&cfg)
			}
			e := newEnv(t, cfg)
			e.put(logKey("recent"), recent)
			e.handle(event(logBucket, logKey("recent")))
			_, err := e.h.Handle(context.Background(), json.RawMessage(tt.payload))
			if tt.wantErr == nil && err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantErr {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v, want one containing %q", err, w)
				}
			}
			wantRollups := map[string]counts{}
			for _, d := range tt.want {
				wantRollups[d] = want.onDate(d)
			}
			if cfg.SummaryBucket == "summaries-elsewhere" {
				e.wantRollupsIn(cfg.SummaryBucket, map[string]counts{"2026-11-25": want.onDate("2026-11-25"), "2026-11-26": want.onDate("2026-11-26")})
			}
			e.wantRollups(wantRollups)
		})
	}
	t.Run("the bucket in the event", func(t *testing.T) {
		e := newEnv(t, process.DefaultConfig())
		e.put(logKey("recent"), recent)
		e.handle(event(logBucket, logKey("recent")))
		e.handle(json.RawMessage(`{"pmdp":"rollup","bucket":"logs"}`))
		e.wantRollups(map[string]counts{"2026-11-25": want.onDate("2026-11-25"), "2026-11-26": want.onDate("2026-11-26")})
	})
}

// With a report key, each sweep publishes the report of the rollups it
// has just built; without rollups there is nothing to show and nothing is
// written. A failed publication fails the sweep, so that Lambda retries
// it, and the rollups stay written.
func TestSweepPublishesReport(t *testing.T) {
	recent, want := logOf(t, 7, 1000, time.Date(2026, 11, 25, 23, 55, 0, 0, time.UTC)) // 25th and 26th
	const key = "report/index.html"
	newSweep := func(t *testing.T, report string) *testEnv {
		cfg := process.DefaultConfig()
		cfg.SummaryBucket = logBucket
		e := newEnv(t, cfg)
		e.h.Report = report
		return e
	}

	t.Run("published", func(t *testing.T) {
		e := newSweep(t, key)
		e.put(logKey("recent"), recent)
		e.handle(event(logBucket, logKey("recent")))
		e.handle(sweepEvent)
		page, ok := e.objects(logBucket, "report/")[key]
		if !ok {
			t.Fatalf("no %s after the sweep", key)
		}
		head, err := e.client.HeadObject(context.Background(), &s3.HeadObjectInput{Bucket: aws.String(logBucket), Key: aws.String(key)})
		if err != nil {
			t.Fatal(err)
		}
		if ct := aws.ToString(head.ContentType); ct != report.ContentType {
			t.Errorf("content type %q, want %q", ct, report.ContentType)
		}
		var d report.Data
		_, raw, _ := strings.Cut(page, `id="pmdp-data">`)
		raw, _, _ = strings.Cut(raw, "</script>")
		if err := json.Unmarshal([]byte(raw), &d); err != nil {
			t.Fatalf("the page's data: %v", err)
		}
		got := map[string]int64{}
		for i, date := range d.Dates {
			got[date] = d.Requests[i]
		}
		for _, date := range []string{"2026-11-25", "2026-11-26"} {
			var n int64
			for _, c := range want.onDate(date) {
				n += c
			}
			if got[date] != n {
				t.Errorf("report: %d requests on %s, want %d", got[date], date, n)
			}
		}
		line := findLog(t, &e.logs, "report published")
		if line["key"] != key || line["bucket"] != logBucket || line["bytes"] != float64(len(page)) {
			t.Errorf("log line %v, want the key, the bucket and %d bytes", line, len(page))
		}
	})
	t.Run("not asked for", func(t *testing.T) {
		e := newSweep(t, "")
		e.put(logKey("recent"), recent)
		e.handle(event(logBucket, logKey("recent")))
		e.handle(sweepEvent)
		e.wantRollups(map[string]counts{"2026-11-25": want.onDate("2026-11-25"), "2026-11-26": want.onDate("2026-11-26")})
		if got := e.objects(logBucket, "report/"); len(got) != 0 {
			t.Errorf("a report without a key: %v", keys(got))
		}
	})
	t.Run("no rollups", func(t *testing.T) {
		e := newSweep(t, key)
		e.handle(sweepEvent)
		if got := e.objects(logBucket, "report/"); len(got) != 0 {
			t.Errorf("a report of nothing: %v", keys(got))
		}
		findLog(t, &e.logs, "report not published: no rollups in its days")
	})
	t.Run("the write fails", func(t *testing.T) {
		e := newSweep(t, key)
		e.put(logKey("recent"), recent)
		e.handle(event(logBucket, logKey("recent")))
		e.store.failPut = func(_ int64, k string) error {
			if k == key {
				return errors.New("AccessDenied: not allowed")
			}
			return nil
		}
		_, err := e.h.Handle(context.Background(), sweepEvent)
		if err == nil || !strings.Contains(err.Error(), logBucket+"/"+key) || !strings.Contains(err.Error(), "AccessDenied") {
			t.Errorf("error %v, want one naming %s/%s and the cause", err, logBucket, key)
		}
		e.wantRollups(map[string]counts{"2026-11-25": want.onDate("2026-11-25"), "2026-11-26": want.onDate("2026-11-26")})
		e.store.failPut = nil
		e.handle(sweepEvent) // Lambda's retry
		if _, ok := e.objects(logBucket, "report/")[key]; !ok {
			t.Errorf("no %s after the retry", key)
		}
	})
}
