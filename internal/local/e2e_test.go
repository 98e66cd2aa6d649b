package local_test

// The local pipeline as a self-checking end-to-end test (`make e2e`, and
// part of `make test`), running the arm64 bootstrap that ships when the
// Makefile says so. Package localtest says which tools it needs; without
// them the test is skipped.

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/rollup"
	"github.com/pmdp/pmdp/internal/s3event"
	"github.com/pmdp/pmdp/internal/summary"
)

const e2eGroupBy = "path,query:ev"

func TestEndToEnd(t *testing.T) {
	p, _ := localtest.Start(t, "../../lambda", local.Config{
		Interval: 2 * time.Second, RollupInterval: time.Second, GroupBy: e2eGroupBy, Backoff: 50 * time.Millisecond,
		Versioned: true, // as the stack's buckets are
	})
	ctx := context.Background()

	// 1. Requests to the collector, with the counts they must give.
	want := map[string]int64{} // path|ev -> count
	var wantMu sync.Mutex
	expect := func(path, ev string) {
		wantMu.Lock()
		want[path+"|"+ev]++
		wantMu.Unlock()
	}
	get := func(t *testing.T, method, target string) {
		req, _ := http.NewRequest(method, p.CollectorURL+target, nil)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Error(err)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode != 204 {
			t.Errorf("%s %s: %s", method, target, resp.Status)
		}
	}
	var wg sync.WaitGroup
	for w := range 20 { // many at once
		wg.Go(func() {
			for i := range 10 {
				get(t, "GET", fmt.Sprintf("/e?ev=signup&uid=%d", w*10+i))
				expect("/e", "signup")
			}
		})
	}
	wg.Wait()
	cases := []struct{ method, target, path, ev string }{
		{"GET", "/e?ev=caf%C3%A9", "/e", "café"},
		{"GET", "/e?ev=sign+up&ev=second", "/e", "sign up"},
		{"GET", "/e?uid=1&ev=a%26b", "/e", "a&b"},
		{"POST", "/e?ev=post", "/e", "post"},
		{"HEAD", "/e?ev=head", "/e", "head"},
		{"GET", "/p/a%20b", "/p/a%20b", ""},
		{"GET", "/", "/", ""},
		{"GET", "/long/" + strings.Repeat("x", 4000) + "?ev=long", "/long/" + strings.Repeat("x", 4000), "long"},
	}
	for _, c := range cases {
		get(t, c.method, c.target)
		expect(c.path, c.ev)
	}
	// Quotes, a backslash and raw UTF-8 in the target: no client library
	// sends them, browsers and bots do.
	raw(t, p.CollectorURL, "GET /q/\"x\"\\y/caf\xc3\xa9?ev=%22q%22 HTTP/1.1\r\nHost: collector.example.com\r\nUser-Agent: bot \"q\"\r\nConnection: close\r\n\r\n")
	expect("/q/\"x\"\\y/caf\xc3\xa9", "\"q\"")

	// 2. A generated log file with known counts, uploaded as ALB would.
	var plain bytes.Buffer
	res, err := loggen.Write(&plain, loggen.Config{Seed: 21, Lines: 5000})
	if err != nil {
		t.Fatal(err)
	}
	genKey := "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/123456789012_elasticloadbalancing_us-east-1_app.pmdp-local.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_gen1.log.gz"
	put(t, p, genKey, loggen.Gzip(plain.Bytes()))
	genRows, err := res.Expected([]string{"path", "query:ev"})
	if err != nil {
		t.Fatal(err)
	}
	wantGen := map[string]int64{}
	for _, r := range genRows {
		wantGen[strings.Join(r.Values, "|")] = r.Count
	}

	// Everything delivered and summarized.
	if _, err := p.Collector.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitFor(t, p.Bridge, func(st bridge.Stats) bool { return st.Delivered >= 2 && st.Pending == 0 }, "the collector's files and the generated file")
	t.Logf("function: %s", localtest.Launched(t, p))

	byFile := summaries(t, p)
	gotCollector, gotGen := map[string]int64{}, map[string]int64{}
	for base, rows := range byFile {
		target := gotCollector
		if strings.HasSuffix(base, "_gen1") {
			target = gotGen
		}
		for k, n := range rows {
			target[k] += n
		}
	}
	compare(t, "collector requests", gotCollector, want)
	compare(t, "generated file", gotGen, wantGen)

	// 3. The same notification delivered twice changes nothing.
	before := objects(t, p, "summaries/")
	ev, _ := json.Marshal(s3event.ObjectCreated(local.Region, local.Bucket, time.Now(), s3event.Object{Key: genKey}))
	delivered := p.Bridge.Stats().Delivered
	for range 2 {
		if err := p.Bridge.Enqueue(ev); err != nil {
			t.Fatal(err)
		}
	}
	waitFor(t, p.Bridge, func(st bridge.Stats) bool { return st.Delivered >= delivered+2 && st.Pending == 0 }, "the duplicate deliveries")
	after := objects(t, p, "summaries/")
	if len(after) != len(before) {
		t.Errorf("%d summaries after the duplicates, %d before", len(after), len(before))
	}
	for k, v := range before {
		if after[k] != v {
			t.Errorf("%s changed after a duplicate delivery", k)
		}
	}

	// 4. Rollups: the schedule's sweeps roll up every date, each exactly
	// the merge of its summaries, all of them together the expected counts.
	checkRollups(t, p, func(got map[string]map[string]int64) bool {
		total := map[string]int64{}
		for _, rows := range got {
			for k, n := range rows {
				total[k] += n
			}
		}
		return equalCounts(total, asJSON(sumCounts(want, wantGen)))
	}, "the sweeps to roll up the collector's and the generated file's dates")

	// A late file, of a date no sweep covers any more: its invocation rolls
	// that date up at once.
	var oldLog bytes.Buffer
	oldRes, err := loggen.Write(&oldLog, loggen.Config{Seed: 22, Lines: 800, Start: time.Date(2020, 2, 29, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	oldKey := strings.Replace(genKey, "_gen1.", "_old1.", 1)
	delivered = p.Bridge.Stats().Delivered
	put(t, p, oldKey, loggen.Gzip(oldLog.Bytes()))
	waitFor(t, p.Bridge, func(st bridge.Stats) bool { return st.Delivered > delivered }, "the late file")
	oldRows, err := oldRes.Expected([]string{"path", "query:ev"})
	if err != nil {
		t.Fatal(err)
	}
	wantOld := map[string]int64{}
	for _, r := range oldRows {
		wantOld[r.Values[0]+"|"+r.Values[1]] += r.Count
	}
	compare(t, "late file's rollup, right after its invocation", rollups(t, p)["2020-02-29"], asJSON(wantOld))

	// A forced conflict: a builder here reads today's rollup, then, before
	// it writes, another summary lands and the function's sweep rolls it
	// up. The builder's conditional write is refused by the server (412);
	// it reads again and finds the rollup current.
	today := time.Now().UTC().Format(time.DateOnly)
	extraKey := "summaries/dt=" + today + "/conflict-test.csv"
	var raced bool
	racer := racingStore{ListStore: objstore.S3{Client: p.S3}, rollupKey: rollup.Key("rollups/", today), before: func() {
		if raced {
			return
		}
		raced = true
		if err := p.Put(ctx, extraKey, []byte("path,query:ev,count\n/conflict,forced,5\n")); err != nil {
			t.Error(err)
		}
		if err := p.Sweep(ctx); err != nil {
			t.Error(err)
		}
	}}
	b := &rollup.Builder{Store: racer, Bucket: p.Bucket, SummaryPrefix: "summaries/", RollupPrefix: "rollups/",
		Dimensions: summary.MustParseDimensions(e2eGroupBy)}
	// Make sure this builder has something to write: a stale rollup.
	if err := p.Put(ctx, rollup.Key("rollups/", today), []byte("{}\n")); err != nil {
		t.Fatal(err)
	}
	built, err := b.Build(ctx, today)
	if err != nil {
		t.Fatal(err)
	}
	if !raced || built.Conflicts < 1 {
		t.Errorf("build %+v: no conflict was forced", built)
	}
	checkRollups(t, p, func(got map[string]map[string]int64) bool { return got[today]["/conflict|forced"] == 5 }, "the forced conflict's summary")
	t.Logf("old versions of rollups kept: %d", checkVersioned(t, p))

	// 5. Nothing failed.
	if st := p.Bridge.Stats(); st.Failed != 0 {
		t.Errorf("%d events failed", st.Failed)
	}
	if b, _ := os.ReadFile(p.FailureFile); len(b) != 0 {
		t.Errorf("failure record is not empty:\n%s", b)
	}

	// 6. A corrupt file fails after Lambda's retries and lands in the
	// failure record, naming the object.
	badKey := strings.Replace(genKey, "_gen1.", "_bad1.", 1)
	z := loggen.Gzip(plain.Bytes())
	put(t, p, badKey, z[:len(z)/2])
	waitFor(t, p.Bridge, func(st bridge.Stats) bool { return st.Failed == 1 && st.Pending == 0 }, "the corrupt file's failure")
	record, _ := os.ReadFile(p.FailureFile)
	var f bridge.Failure
	if err := json.Unmarshal(record, &f); err != nil || f.Attempts != 3 || !strings.Contains(f.Error, "bad1.log.gz") || !strings.Contains(f.Error, "gzip") {
		t.Errorf("failure record %q (%v)", record, err)
	}

	// 7. Close delivers the collector's last file, waits for its event and
	// sweeps once more: a request just before Close is summarized and
	// rolled up, once each.
	children := local.Children(p)
	_, groups := localtest.Family(t, children...)
	get(t, "GET", "/e?ev=last")
	last := p.Bridge.Stats()
	p.Close()
	if st := p.Bridge.Stats(); st.Delivered != last.Delivered+1 || st.Failed != last.Failed || st.Pending != 0 {
		t.Errorf("bridge stats %+v after Close, %+v before; want the last file delivered", st, last)
	}
	csvs, _ := filepath.Glob(filepath.Join(p.BucketDir, "summaries", "dt=*", "*.csv"))
	var lastRows int
	for _, name := range csvs {
		b, _ := os.ReadFile(name)
		lastRows += strings.Count(string(b), "\n/e,last,1\n")
	}
	if lastRows != 1 {
		t.Errorf("the last request is counted in %d summaries, want 1", lastRows)
	}
	var lastRolledUp int64
	files, _ := filepath.Glob(filepath.Join(p.BucketDir, "rollups", "dt=*", rollup.Name))
	for _, name := range files {
		b, _ := os.ReadFile(name)
		lastRolledUp += int64(strings.Count(string(b), `{"path":"/e","query:ev":"last","count":1}`))
	}
	if lastRolledUp != 1 {
		t.Errorf("the last request is in %d rollups, want 1", lastRolledUp)
	}

	// 8. Close left no process behind: neither the children nor what they
	// started. The emulator runs the function in a process group of its
	// own, so each group seen while the pipeline ran must be gone.
	if len(groups) <= len(children) {
		t.Errorf("process groups %v: none besides the children's %v, so the function's process was not seen", groups, children)
	}
	for _, g := range groups {
		if err := syscall.Kill(-g, 0); err != syscall.ESRCH {
			t.Errorf("process group %d still has a process after Close (kill: %v)", g, err)
		}
	}
}

func raw(t *testing.T, baseURL, request string) {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(baseURL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.Write([]byte(request))
	answer, _ := io.ReadAll(conn)
	if !bytes.HasPrefix(answer, []byte("HTTP/1.1 204")) {
		t.Errorf("raw request answered %q", answer)
	}
}

func put(t *testing.T, p *local.Pipeline, key string, body []byte) {
	t.Helper()
	if err := p.Put(context.Background(), key, body); err != nil {
		t.Fatal(err)
	}
}

func waitFor(t *testing.T, b *bridge.Bridge, done func(bridge.Stats) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !done(b.Stats()) {
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for %s; bridge stats %+v", what, b.Stats())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func objects(t *testing.T, p *local.Pipeline, prefix string) map[string]string {
	t.Helper()
	out, err := objstoretest.Objects(context.Background(), objstore.S3{Client: p.S3}, p.Bucket, prefix)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// summaries reads every summary CSV, by source file name, as path|ev -> count.
func summaries(t *testing.T, p *local.Pipeline) map[string]map[string]int64 {
	t.Helper()
	out := map[string]map[string]int64{}
	for key, body := range objects(t, p, "summaries/") {
		base := strings.TrimSuffix(filepath.Base(key), ".csv")
		rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if strings.Join(rows[0], ",") != e2eGroupBy+",count" {
			t.Fatalf("%s: header %v", key, rows[0])
		}
		if out[base] == nil {
			out[base] = map[string]int64{}
		}
		for _, r := range rows[1:] {
			n, _ := strconv.ParseInt(r[2], 10, 64)
			out[base][r[0]+"|"+r[1]] += n
		}
	}
	return out
}

func compare(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: %q counted %d, want %d", what, trim(k), got[k], w)
		}
	}
	for k, g := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected group %q counted %d", what, trim(k), g)
		}
	}
}

func trim(s string) string {
	if len(s) > 60 {
		return s[:60] + "…"
	}
	return s
}

// rollups reads every rollup, by date, as path|ev -> count.
func rollups(t *testing.T, p *local.Pipeline) map[string]map[string]int64 {
	t.Helper()
	out := map[string]map[string]int64{}
	for key, body := range objects(t, p, "rollups/") {
		date := strings.TrimSuffix(strings.TrimPrefix(key, "rollups/dt="), "/"+rollup.Name)
		out[date] = map[string]int64{}
		r := summary.NewReader(strings.NewReader(body), summary.JSONL)
		for {
			values, n, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			out[date][strings.Join(values, "|")] += n
		}
	}
	return out
}

// checkRollups waits until done holds for the rollups and every rollup is
// exactly the merge of its date's summaries (as JSON text).
func checkRollups(t *testing.T, p *local.Pipeline, done func(map[string]map[string]int64) bool, what string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		got := rollups(t, p)
		perDate := map[string]map[string]int64{}
		for key, body := range objects(t, p, "summaries/") {
			date := strings.TrimPrefix(strings.Split(key, "/")[1], "dt=")
			if perDate[date] == nil {
				perDate[date] = map[string]int64{}
			}
			rows, _ := csv.NewReader(strings.NewReader(body)).ReadAll()
			for _, r := range rows[1:] {
				n, _ := strconv.ParseInt(r[2], 10, 64)
				perDate[date][jsonText(r[0])+"|"+jsonText(r[1])] += n
			}
		}
		consistent := len(got) == len(perDate)
		for d, w := range perDate {
			consistent = consistent && equalCounts(got[d], w)
		}
		if consistent && done(got) {
			return
		}
		if time.Now().After(deadline) {
			for d, w := range perDate {
				compare(t, "rollup of "+d+" against its summaries", got[d], w)
			}
			t.Fatalf("waited 60 s for %s; bridge stats %+v", what, p.Bridge.Stats())
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// racingStore runs before just before the first conditional write of
// rollupKey, as another writer racing it would.
type racingStore struct {
	objstore.ListStore
	rollupKey string
	before    func()
}

func (s racingStore) Put(ctx context.Context, bucket, key string, body []byte, opts objstore.PutOptions) error {
	if key == s.rollupKey {
		s.before()
	}
	return s.ListStore.Put(ctx, bucket, key, body, opts)
}

func equalCounts(a, b map[string]int64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, n := range a {
		if b[k] != n {
			return false
		}
	}
	return true
}

func sumCounts(ms ...map[string]int64) map[string]int64 {
	sum := map[string]int64{}
	for _, m := range ms {
		for k, n := range m {
			sum[k] += n
		}
	}
	return sum
}

// asJSON is counts with keys as rollups, JSON Lines, hold them.
func asJSON(m map[string]int64) map[string]int64 {
	out := map[string]int64{}
	for k, n := range m {
		out[jsonText(k)] += n
	}
	return out
}

// jsonText is s as a JSON string holds it: rollups are JSON Lines.
func jsonText(s string) string {
	b, _ := json.Marshal(s)
	var out string
	json.Unmarshal(b, &out)
	return out
}
