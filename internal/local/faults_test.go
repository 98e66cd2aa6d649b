package local_test

// S3 failing under the local pipeline: the function (the shipped bootstrap
// under the emulator, when the Makefile says so) reaches versitygw through
// toxiproxy, for faults on the connection, and then faultproxy, for
// faults that take knowing the request. The test runs in three stages,
// each with its own faults: log files delivered and swept, each meeting
// one fault; a log file delivered late, whose sweep replaces the rollups
// (faults_late_test.go); and a backfill batch (faults_backfill_test.go).
// In the end every file is summarized exactly once, either after the
// SDK's and the bridge's (Lambda's, Step Functions') retries or by
// replaying the failure record with `pmdp process --events`, and every
// rollup is exactly what a rebuild gives. The test logs one line of
// figures.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	toxiproxy "github.com/Shopify/toxiproxy/v2/client"
	"github.com/aws/aws-lambda-go/events"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/faultproxy"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/loggen"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/rollup"
	"github.com/pmdp/pmdp/internal/s3event"
	"github.com/pmdp/pmdp/internal/summary"
)

// faultTimeout is the function's timeout in the fault test: long enough
// for a cold start under qemu, short enough that latency past it costs
// little.
const faultTimeout = 6 * time.Second

// toxicPlan is a toxic to put on the function's connections to S3 for
// some of the attempts at one event.
type toxicPlan struct {
	toxic    toxiproxy.Toxic
	attempts []int // 1-based
}

// faultInvoker is the bridge's invoker in the fault test: around each
// attempt at an event it puts on the toxics planned for the event's
// object and attempt, and it counts the attempts.
type faultInvoker struct {
	next  bridge.Invoker
	proxy *toxiproxy.Proxy
	plan  map[string]toxicPlan // by object key

	mu       sync.Mutex
	attempts map[string]int // by object key, or the sweep's name
	sweep    string         // the name of the sweep the test asked for last
	toxics   int            // toxics put on
	err      error          // the first error of toxiproxy's API
}

func (f *faultInvoker) Invoke(ctx context.Context, payload []byte) error {
	f.mu.Lock()
	event := f.sweep
	var ev events.S3Event
	if json.Unmarshal(payload, &ev) == nil && len(ev.Records) == 1 {
		event = ev.Records[0].S3.Object.URLDecodedKey
	}
	f.attempts[event]++
	attempt := f.attempts[event]
	f.mu.Unlock()
	plan, ok := f.plan[event]
	if !ok || !slices.Contains(plan.attempts, attempt) {
		return f.next.Invoke(ctx, payload)
	}
	tx := plan.toxic
	if _, err := f.proxy.AddToxic(tx.Name, tx.Type, tx.Stream, 1, tx.Attributes); err != nil {
		f.fail(fmt.Errorf("adding toxic %s: %w", tx.Name, err))
		return f.next.Invoke(ctx, payload)
	}
	f.mu.Lock()
	f.toxics++
	f.mu.Unlock()
	err := f.next.Invoke(ctx, payload)
	if rmErr := f.proxy.RemoveToxic(tx.Name); rmErr != nil {
		f.fail(fmt.Errorf("removing toxic %s: %w", tx.Name, rmErr))
	}
	return err
}

func (f *faultInvoker) fail(err error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.err == nil {
		f.err = err
	}
}

// sweepNow runs a rollup sweep through the bridge, as the schedule would,
// counting its attempts under name.
func (f *faultInvoker) sweepNow(t *testing.T, p *local.Pipeline, name string) {
	t.Helper()
	f.mu.Lock()
	f.sweep = name
	f.mu.Unlock()
	if err := p.Sweep(context.Background()); err != nil {
		t.Fatal(err)
	}
}

// faultStage is one stage of the test: its own faultproxy, whose rules
// count the stage's requests from 1, and what else meets the requests.
type faultStage struct {
	name  string
	proxy *faultproxy.Proxy
	// before, when set, sees each request before the proxy passes it on,
	// and may write to S3 first, as another writer racing the function.
	before func(*http.Request)
}

// stagedProxy passes the function's requests to the current stage's
// faultproxy.
type stagedProxy struct {
	mu     sync.Mutex
	stages []*faultStage
	cur    *faultStage
}

func (s *stagedProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	st := s.cur
	s.mu.Unlock()
	if st.before != nil {
		st.before(r)
	}
	st.proxy.ServeHTTP(w, r)
}

// enter makes st the current stage; its rules must be set by then.
func (s *stagedProxy) enter(st *faultStage) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.cur = st
}

// faultLog is one generated log file: its key, its bytes as delivered,
// the summaries it must give and the true counts of its requests.
type faultLog struct {
	key         string
	gz          []byte
	summaries   map[string]string // key -> content
	summaryKeys []string          // the summaries' keys, by date
	truth       map[string]int64  // path|ev, as rollups hold them -> count
}

// generateLog generates the log file name in folder (…/yyyy/mm/dd/) and
// what it must give: its summaries are `pmdp summarize` of each date's
// lines.
func generateLog(t *testing.T, folder, name string, cfg loggen.Config) faultLog {
	t.Helper()
	var plain bytes.Buffer
	res, err := loggen.Write(&plain, cfg)
	if err != nil {
		t.Fatal(err)
	}
	base := "123456789012_elasticloadbalancing_us-east-1_app.pmdp-local.50dc6c495c0c9188_" + cfg.Start.Format("20060102T1504Z") + "_10.0.1.5_" + name
	g := faultLog{key: folder + base + ".log.gz", gz: loggen.Gzip(plain.Bytes()), summaries: map[string]string{}, truth: map[string]int64{}}
	byDate := loggen.SplitByDate(plain.Bytes())
	for _, date := range slices.Sorted(maps.Keys(byDate)) {
		var stdout, stderr bytes.Buffer
		if code := cli.Main([]string{"summarize", "--group-by", e2eGroupBy, "-"}, bytes.NewReader(byDate[date]), &stdout, &stderr); code != 0 {
			t.Fatalf("summarize: %s", &stderr)
		}
		sk := "summaries/dt=" + date + "/" + base + ".csv"
		g.summaries[sk] = stdout.String()
		g.summaryKeys = append(g.summaryKeys, sk)
	}
	rows, err := res.Expected([]string{"path", "query:ev"})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range rows {
		g.truth[jsonText(r.Values[0])+"|"+jsonText(r.Values[1])] += r.Count
	}
	return g
}

// faultFile is one log file of the fault test and the fault it meets.
type faultFile struct {
	name string // the key's random part
	// toxic, when set, is on the function's connections for the listed
	// attempts at the file's event.
	toxic *toxicPlan
	// rules pick requests for faultproxy to fail, given the file's key
	// and its summaries' keys by date.
	rules func(key string, summaries []string) []faultproxy.Rule
	// recorded: the fault outlasts the retries, so the event must end in
	// the failure record.
	recorded bool
}

func TestFaults(t *testing.T) {
	tox := localtest.Toxiproxy(t)
	inv := &faultInvoker{attempts: map[string]int{}, plan: map[string]toxicPlan{}, sweep: "sweep"}
	deliveries, lateStage, backfillStage := &faultStage{name: "deliveries"}, &faultStage{name: "late delivery"}, &faultStage{name: "backfill"}
	staged := &stagedProxy{stages: []*faultStage{deliveries, lateStage, backfillStage}}
	// The logs span the last 3 minutes of yesterday and the first 3 of
	// today (UTC), as the test's clock tells them once, here: each file
	// has two summaries, and a fault can fall between them. Both dates
	// must stay in the sweep's window, and out of the function's roll-up
	// at once, whichever of today and tomorrow the function's clock says:
	// midnight may pass while the test runs. A window of 4 dates, today's
	// included, holds both then; with 3, the default, tomorrow's window
	// would start at today, and the function would roll yesterday up at
	// once on delivery, outside the planned faults.
	start := time.Now().UTC().Truncate(24 * time.Hour).Add(-3 * time.Minute)
	p, output := localtest.Start(t, "../../lambda", local.Config{
		GroupBy: e2eGroupBy, Backoff: 50 * time.Millisecond, Timeout: faultTimeout,
		RollupInterval: time.Hour, // the test sweeps itself
		RollupDays:     "4",
		Versioned:      true, // as the stack's buckets are
		FunctionS3: func(s3 string) (string, error) {
			for _, st := range staged.stages {
				var err error
				if st.proxy, err = faultproxy.New(s3); err != nil {
					return "", err
				}
			}
			front := serve(t, staged)
			var err error
			if inv.proxy, err = tox.CreateProxy("s3", "127.0.0.1:0", front); err != nil {
				return "", err
			}
			return "http://" + inv.proxy.Listen, nil
		},
		Invoker: func(emulator bridge.Invoker) bridge.Invoker { inv.next = emulator; return inv },
	})
	fp := deliveries.proxy

	const prefix = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/"
	folder := prefix + start.Format("2006/01/02") + "/"
	downstream := func(name, typ string, attrs toxiproxy.Attributes, attempts ...int) *toxicPlan {
		return &toxicPlan{toxic: toxiproxy.Toxic{Name: name, Type: typ, Stream: "downstream", Attributes: attrs}, attempts: attempts}
	}
	files := []faultFile{
		// Connection faults, on every connection while they are on.
		{name: "reset", toxic: downstream("reset", "reset_peer", toxiproxy.Attributes{"timeout": 0}, 1)},
		{name: "cut", toxic: downstream("cut", "limit_data", toxiproxy.Attributes{"bytes": 2048}, 1, 2, 3), recorded: true},
		{name: "late", toxic: downstream("late", "latency", toxiproxy.Attributes{"latency": (faultTimeout + 2*time.Second).Milliseconds()}, 1)},
		// Faults of chosen requests.
		{name: "midget", rules: func(key string, _ []string) []faultproxy.Rule {
			return []faultproxy.Rule{{Method: "GET", Key: key, Nth: []int{1}, Fault: faultproxy.CutBody}}
		}},
		{name: "slowdown", rules: func(_ string, s []string) []faultproxy.Rule {
			return []faultproxy.Rule{{Method: "PUT", Key: s[0], Nth: []int{1}, Fault: faultproxy.SlowDown}}
		}},
		{name: "error", rules: func(_ string, s []string) []faultproxy.Rule {
			// The SDK makes 3 attempts: the first invocation fails after
			// writing the first date's summary.
			return []faultproxy.Rule{{Method: "PUT", Key: s[1], Nth: []int{1, 2, 3}, Fault: faultproxy.InternalError}}
		}},
		{name: "lost", rules: func(_ string, s []string) []faultproxy.Rule {
			return []faultproxy.Rule{{Method: "PUT", Key: s[0], Nth: []int{1}, Fault: faultproxy.LoseAnswer}}
		}},
		{name: "down", rules: func(_ string, s []string) []faultproxy.Rule {
			return []faultproxy.Rule{{Method: "PUT", Key: s[1], Fault: faultproxy.InternalError}}
		}, recorded: true},
	}

	// Each file, what its summaries must hold, and the faults.
	var logs []faultLog
	var dates []string
	wantRecorded := map[string]bool{}
	for i, f := range files {
		g := generateLog(t, folder, f.name, loggen.Config{Seed: uint64(100 + i), Lines: 300, Start: start, Span: 6 * time.Minute})
		if len(g.summaryKeys) != 2 {
			t.Fatalf("%s: %d dates, want 2", f.name, len(g.summaryKeys))
		}
		for _, sk := range g.summaryKeys {
			if date := summaryDate(sk); !slices.Contains(dates, date) {
				dates = append(dates, date)
			}
		}
		if f.toxic != nil {
			inv.plan[g.key] = *f.toxic
		}
		if f.rules != nil {
			fp.Rules = append(fp.Rules, f.rules(g.key, g.summaryKeys)...)
		}
		wantRecorded[g.key] = f.recorded
		logs = append(logs, g)
	}
	slices.Sort(dates)
	// The sweep: its first read of a summary is cut halfway, so the
	// sweep fails once; the first date's first rollup write loses its
	// answer, so the builder's create is retried after it took effect;
	// the second date's first three fail, so the sweep fails again.
	fp.Rules = append(fp.Rules,
		faultproxy.Rule{Method: "GET", Key: logs[0].summaryKeys[0], Nth: []int{1}, Fault: faultproxy.CutBody},
		faultproxy.Rule{Method: "PUT", Key: rollup.Key("rollups/", dates[0]), Nth: []int{1}, Fault: faultproxy.LoseAnswer},
		faultproxy.Rule{Method: "PUT", Key: rollup.Key("rollups/", dates[1]), Nth: []int{1, 2, 3}, Fault: faultproxy.InternalError},
	)
	// The later stages' files and faults, planned before anything runs.
	late := planLate(t, p, lateStage, folder, start, dates)
	bf := planBackfill(t, p, backfillStage)

	// Deliver, as the load balancer would; then sweep, as the schedule
	// would.
	staged.enter(deliveries)
	for _, g := range logs {
		put(t, p, g.key, g.gz)
	}
	waitFor(t, p.Bridge, func(st bridge.Stats) bool { return st.Delivered+st.Failed >= len(logs) && st.Pending == 0 }, "every file's event")
	inv.sweepNow(t, p, "sweep")
	t.Logf("function: %s", localtest.Launched(t, p))
	if inv.err != nil {
		t.Fatal(inv.err)
	}

	// The failure record holds exactly the files whose fault outlasted the
	// retries.
	record, err := os.ReadFile(p.FailureFile)
	if err != nil {
		t.Fatal(err)
	}
	recorded, err := s3event.Read(bytes.NewReader(record))
	if err != nil && len(record) > 0 {
		t.Fatalf("reading the failure record: %v\n%s", err, record)
	}
	gotRecorded := map[string]bool{}
	for _, r := range recorded {
		gotRecorded[r.S3.Object.URLDecodedKey] = true
	}
	for key, want := range wantRecorded {
		if gotRecorded[key] != want {
			t.Errorf("%s: in the failure record %v, want %v", key, gotRecorded[key], want)
		}
	}
	if st := p.Bridge.Stats(); st.Failed != len(recorded) || st.Scheduled != 1 {
		t.Errorf("bridge stats %+v: want %d failed and the sweep done", st, len(recorded))
	}

	// Replay the failure record as a user would, against S3 without
	// faults: `pmdp process --events failures.jsonl`.
	for name, value := range map[string]string{
		"AWS_ENDPOINT_URL_S3": p.S3Endpoint, "AWS_REGION": local.Region,
		"AWS_ACCESS_KEY_ID": local.AccessKey, "AWS_SECRET_ACCESS_KEY": local.SecretKey,
		"AWS_CONFIG_FILE": os.DevNull, "AWS_SHARED_CREDENTIALS_FILE": os.DevNull,
	} {
		t.Setenv(name, value)
	}
	var stdout, stderr bytes.Buffer
	if code := cli.Main([]string{"process", "--group-by", e2eGroupBy, "--events", p.FailureFile}, nil, &stdout, &stderr); code != 0 {
		t.Fatalf("pmdp process --events: exit %d\n%s%s", code, &stdout, &stderr)
	}
	replayed := 0 // one line per object processed, then one per rollup
	for _, line := range strings.Split(stdout.String(), "\n") {
		if strings.HasPrefix(line, "s3://") {
			replayed++
		}
	}
	if replayed != len(recorded) {
		t.Errorf("replay processed %d objects, want the %d recorded:\n%s%s", replayed, len(recorded), &stdout, &stderr)
	}

	// A file delivered late, its rollups replaced under faults and a race.
	staged.enter(lateStage)
	late.run(t, p, inv, output)
	logs = append(logs, late.logs...)

	// A backfill batch under faults, invoked again as Step Functions would.
	staged.enter(backfillStage)
	bf.run(t, p, output)
	logs = append(logs, bf.logs...)
	dates = append(dates, bf.dates...)
	if st := p.Bridge.Stats(); st.Failed != len(recorded) {
		t.Errorf("bridge stats %+v: the later stages added to the failure record", st)
	}

	// Every summary is exactly its date's lines, once; nothing else.
	got := objects(t, p, "summaries/")
	want := map[string]string{}
	for _, g := range logs {
		maps.Copy(want, g.summaries)
	}
	for k, w := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("%s is missing", k)
		} else if g != w {
			t.Errorf("%s differs from summarize's output for its date's lines:\n%s\nwant:\n%s", k, g, w)
		}
	}
	for k := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("unexpected summary %s", k)
		}
	}

	// Every rollup is what a builder gives from the summaries now.
	rebuilder := &rollup.Builder{Store: objstore.S3{Client: p.S3}, Bucket: p.Bucket, SummaryPrefix: "summaries/",
		RollupPrefix: "rebuilt/", Dimensions: summary.MustParseDimensions(e2eGroupBy)}
	if _, err := rebuilder.BuildAll(context.Background(), dates, nil); err != nil {
		t.Fatal(err)
	}
	rebuilt := objects(t, p, "rebuilt/")
	for _, d := range dates {
		if g, w := objects(t, p, rollup.Key("rollups/", d))[rollup.Key("rollups/", d)], rebuilt[rollup.Key("rebuilt/", d)]; g != w || w == "" {
			t.Errorf("rollup of %s is not what a rebuild gives:\n%.300s\nwant:\n%.300s", d, g, w)
		}
	}

	// Against the truth: requests lost and counted twice, over all dates.
	truth := map[string]int64{}
	for _, g := range logs {
		for k, n := range g.truth {
			truth[k] += n
		}
	}
	counted := map[string]int64{}
	for _, rows := range rollups(t, p) {
		for k, n := range rows {
			counted[k] += n
		}
	}
	var lost, doubled, total int64
	for k, n := range truth {
		total += n
		lost += max(n-counted[k], 0)
	}
	for k, n := range counted {
		doubled += max(n-truth[k], 0)
	}
	if lost != 0 || doubled != 0 {
		t.Errorf("of %d requests, %d lost and %d counted twice", total, lost, doubled)
	}

	t.Logf("old versions of rollups kept: %d", checkVersioned(t, p))

	// Every planned fault happened.
	injected := 0
	for _, st := range staged.stages {
		injected += checkInjected(t, st)
	}
	injected += late.races()
	toxics := 0
	for _, f := range files {
		if f.toxic != nil {
			toxics += len(f.toxic.attempts)
		}
	}
	if inv.toxics != toxics {
		t.Errorf("%d toxics put on, want %d", inv.toxics, toxics)
	}
	retried := 0
	for event, n := range inv.attempts {
		if n > 1 {
			retried++
			t.Logf("retried: %s, %d attempts", event, n)
		}
	}
	if bf.attempts > 1 {
		retried++
		t.Logf("retried: the backfill batch, %d attempts", bf.attempts)
	}
	if t.Failed() {
		t.Logf("function's output:\n%s", output)
	}
	t.Logf("faults injected: %d, events retried: %d, events in the failure record: %d, events replayed: %d, requests lost: %d, requests double-counted: %d (of %d requests in %d files)",
		injected+inv.toxics, retried, len(recorded), replayed, lost, doubled, total, len(logs))
}

// checkInjected checks that every fault st's rules plan was injected, logs
// them, and returns how many there were.
func checkInjected(t *testing.T, st *faultStage) int {
	t.Helper()
	injected := st.proxy.Injected()
	for i, rule := range st.proxy.Rules {
		n := 0
		for _, in := range injected {
			if in.Rule == i {
				n++
			}
		}
		if n == 0 || (rule.Nth != nil && n != len(rule.Nth)) {
			t.Errorf("%s: rule %+v injected %d faults", st.name, rule, n)
		}
	}
	for _, in := range injected {
		t.Logf("%s: %s of %s %s (request %d of its rule); %d such requests in all",
			st.name, in.Fault, in.Method, in.Key, in.Nth, st.proxy.Requests(in.Method, in.Key))
	}
	return len(injected)
}

// summaryDate is the date of a summary's key, …/dt=YYYY-MM-DD/….
func summaryDate(key string) string {
	_, after, _ := strings.Cut(key, "dt=")
	date, _, _ := strings.Cut(after, "/")
	return date
}

// serve serves the staged proxies on a free loopback port until the test
// ends, and returns its address.
func serve(t *testing.T, h *stagedProxy) string {
	srv := httptest.NewServer(h)
	t.Cleanup(func() {
		srv.Close()
		for _, st := range h.stages {
			st.proxy.Close()
		}
	})
	return srv.Listener.Addr().String()
}
