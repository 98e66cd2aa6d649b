package tracker_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/browsertest"
	"github.com/pmdp/pmdp/internal/local"
	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/report"
	"github.com/pmdp/pmdp/internal/summary"
	"github.com/pmdp/pmdp/internal/tracker"
)

// The function's group-by in this test: enough to tell every beacon's
// kind, page and transport apart.
const pipelineGroupBy = "date,method,path,query:ev,query:p"

// A real browser on pages of a site runs t.js, loaded from the local
// collector, through a landing from another site, history-API
// navigations, events before and after the script loaded, a browser
// without sendBeacon, and a page that does not opt in for automated
// browsers. After the local pipeline has delivered, the function's
// summaries and its rollup sweep hold exactly the page views and events
// sent, the report of the rollups shows them, every parameter survives
// the access log, and no page saw an error.
func TestTrackerInABrowser(t *testing.T) {
	b := browsertest.New(t, 3*time.Minute)
	p, _ := localtest.Start(t, "../../lambda", local.Config{
		Interval: time.Hour, // delivered by the test's Flush
		GroupBy:  pipelineGroupBy,
		Backoff:  50 * time.Millisecond,
	})
	ctx := context.Background()

	site := httptest.NewServer(sitePages(p.CollectorURL))
	defer site.Close()

	if _, err := chromedp.Call(b.Ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "America/Sao_Paulo"}); err != nil {
		t.Fatal(err)
	}
	ready := chromedp.Poll[chromedp.Void](`typeof pmdp == "function" && !("q" in pmdp)`)

	// A landing from another site, then a single-page app's navigations:
	// page views on /app/home, /app/a, /app/b, /app/c and /app/a again
	// (back); none for a replaceState that keeps the path.
	b.Do(t, chromedp.Navigate(site.URL+"/from"))
	if _, err := chromedp.RunResponse(b.Ctx, chromedp.Click(chromedp.ID("go"))); err != nil {
		t.Fatal(err)
	}
	b.Do(t, ready,
		chromedp.Evaluate[chromedp.Void](`history.pushState({}, "", "/app/a");
			history.pushState({}, "", "/app/b");
			history.replaceState({same: "path"}, "", "/app/b");
			history.replaceState({}, "", "/app/c");
			history.back()`),
		chromedp.Poll[chromedp.Void](`location.pathname == "/app/a"`),
		chromedp.Evaluate[chromedp.Void](`pmdp("signup", {plan: "pro & co/ü"}); pmdp("signup", {plan: "free"}); pmdp("click")`),
	)
	expected := browsertest.Eval[[]string](t, b, `[String(screen.width), navigator.language, Intl.DateTimeFormat().resolvedOptions().timeZone]`)
	width, lang, zone := expected[0], expected[1], expected[2]
	if zone != "America/Sao_Paulo" {
		t.Fatalf("time zone %q: the override did not hold", zone)
	}

	// Each page's beacons answered before it is left, so the collector
	// has logged them: an image request is cancelled when the page goes.
	waitForBeacons := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(30 * time.Second); ; time.Sleep(20 * time.Millisecond) {
			sent, answered := beaconRequests(b, p.CollectorURL)
			if len(answered) == n && len(sent) == n {
				return
			}
			if len(sent) > n || time.Now().After(deadline) {
				t.Fatalf("%d beacons sent, %d answered, want %d: %v", len(sent), len(answered), n, sent)
			}
		}
	}
	waitForBeacons(9)

	// A browser without sendBeacon sends image requests instead.
	b.Do(t, chromedp.Navigate(site.URL+"/nobeacon/x"), ready,
		chromedp.Evaluate[chromedp.Void](`pmdp("signup", {plan: "pro & co/ü"})`))
	waitForBeacons(11)
	// An automated browser sends nothing unless the page asks for it.
	b.Do(t, chromedp.Navigate(site.URL+"/quiet/x"), ready,
		chromedp.Evaluate[chromedp.Void](`pmdp("signup", {plan: "quiet"})`))
	time.Sleep(200 * time.Millisecond)
	const beacons = 11
	waitForBeacons(beacons)
	sent, _ := beaconRequests(b, p.CollectorURL)
	for _, r := range sent {
		if strings.Contains(r.URL, "%2Fquiet%2F") {
			t.Errorf("sent from the page that did not opt in: %s", r)
		}
	}
	if _, err := p.Collector.Flush(ctx); err != nil {
		t.Fatal(err)
	}
	waitForBridge(t, p)

	// What the function wrote: exactly the page views and events sent,
	// each once, by the transport its browser had, and no preflight.
	want := map[string]int64{
		"POST /e pageview /app/home":  1,
		"POST /e pageview /app/a":     2,
		"POST /e pageview /app/b":     1,
		"POST /e pageview /app/c":     1,
		"POST /e early /app/home":     1, // queued before t.js had loaded
		"POST /e signup /app/a":       2,
		"POST /e click /app/a":        1,
		"GET /e pageview /nobeacon/x": 1,
		"GET /e signup /nobeacon/x":   1,
		"GET /t.js  ":                 3, // the script itself, on every page that has it
	}
	store := objstore.S3{Client: p.S3}
	summaries := readCounts(t, store, p.Bucket, "summaries/")
	compareCounts(t, "summaries", summaries, want)
	pageviews, events := totals(summaries)
	if pageviews != 6 || events != 5 {
		t.Errorf("summaries: %d page views and %d events, want 6 and 5", pageviews, events)
	}

	// The rollup sweep, as the stack's schedule runs it, rolls the same
	// counts up.
	answer := invoke(t, p.EmulatorURL, `{"pmdp":"rollup","bucket":"`+p.Bucket+`"}`)
	if answer != "null" {
		t.Fatalf("the sweep answered %s", answer)
	}
	compareCounts(t, "rollups", readCounts(t, store, p.Bucket, "rollups/"), want)

	// The report of those rollups, opened in the browser, shows them.
	rb := &report.Builder{}
	if _, err := rb.ReadLocation(ctx, store, p.Bucket, "rollups/"); err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := rb.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	reportSite := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", report.ContentType)
		w.Write(page.Bytes())
	}))
	defer reportSite.Close()
	b.Do(t, chromedp.Navigate(reportSite.URL))
	shown := browsertest.Eval[map[string]string](t, b, `Object.fromEntries(Array.from(
		document.querySelectorAll('section[data-column="query:ev"] tbody tr'), tr => [tr.cells[0].textContent, tr.cells[1].textContent]))`)
	if want := map[string]string{"pageview": "6", "signup": "3", "early": "1", "click": "1", "(empty)": "3"}; !maps.Equal(shown, want) {
		t.Errorf("the report's events %v, want %v", shown, want)
	}

	// Every parameter as the access log holds it.
	params := beaconParams(t, store, p.Bucket)
	if len(params) != beacons {
		t.Fatalf("%d beacons in the access log, want %d", len(params), beacons)
	}
	ids := map[string]bool{}
	for _, q := range params {
		what := q.Get("ev") + " on " + q.Get("p")
		for name, want := range map[string]string{"v": tracker.ProtocolVersion, "w": width, "l": lang, "z": zone} {
			if got := q.Get(name); got != want {
				t.Errorf("%s: %s=%q, want %q", what, name, got, want)
			}
		}
		referrer := ""
		if q.Get("ev") == "pageview" && q.Get("p") == "/app/home" {
			referrer = site.URL + "/" // the other site's origin, as its referrer policy sends it
		}
		if got := q.Get("r"); got != referrer {
			t.Errorf("%s: r=%q, want %q", what, got, referrer)
		}
		if id := q.Get("id"); len(id) < 6 || ids[id] {
			t.Errorf("%s: id %q is short or not unique", what, id)
		}
		ids[q.Get("id")] = true
	}
	var plans []string
	for _, q := range params {
		if q.Has("plan") {
			plans = append(plans, q.Get("plan"))
		}
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the pages reported errors:\n%s", strings.Join(errs, "\n"))
	}
	slices.Sort(plans)
	if want := []string{"free", "pro & co/ü", "pro & co/ü"}; !slices.Equal(plans, want) {
		t.Errorf("plan values %q, want %q", plans, want)
	}
}

// sitePages is a site that uses the tracker from collector.
func sitePages(collector string) http.Handler {
	const queue = `<script>window.pmdp = window.pmdp || function () { (pmdp.q = pmdp.q || []).push(arguments) }</script>`
	script := func(optIn bool) string {
		attr := ""
		if optIn {
			attr = " data-webdriver"
		}
		return `<script async src="` + collector + tracker.Path + `"` + attr + `></script>`
	}
	page := func(head string) http.HandlerFunc {
		return func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
			fmt.Fprintf(w, "<!doctype html><html><head><title>%s</title><link rel=icon href=\"data:,\">%s</head><body><h1>%s</h1></body></html>",
				r.URL.Path, head, r.URL.Path)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/from", func(w http.ResponseWriter, r *http.Request) {
		_, port, _ := strings.Cut(r.Host, ":")
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><title>from</title><link rel=icon href="data:,"><a id=go href="http://localhost:%s/app/home">go</a>`, port)
	})
	mux.Handle("/app/", page(queue+`<script>pmdp("early")</script>`+script(true)))
	mux.Handle("/nobeacon/", page(`<script>delete Navigator.prototype.sendBeacon</script>`+script(true)))
	mux.Handle("/quiet/", page(queue+`<script>pmdp("signup", {plan: "queued"})</script>`+script(false)))
	return mux
}

// beaconRequests returns the requests to the collector's beacon path, and
// those answered.
func beaconRequests(b *browsertest.Browser, collector string) (sent, answered []browsertest.Request) {
	for _, r := range b.Requests() {
		if strings.HasPrefix(r.URL, collector+tracker.BeaconPath+"?") {
			sent = append(sent, r)
			if r.Status != 0 {
				answered = append(answered, r)
			}
		}
	}
	return sent, answered
}

func waitForBridge(t *testing.T, p *local.Pipeline) {
	t.Helper()
	for deadline := time.Now().Add(60 * time.Second); ; time.Sleep(50 * time.Millisecond) {
		st := p.Bridge.Stats()
		if st.Delivered >= 1 && st.Pending == 0 {
			if st.Failed != 0 {
				t.Fatalf("bridge: %+v", st)
			}
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("waited 60 s for the log file to be summarized; bridge stats %+v", st)
		}
	}
}

// readCounts sums the summaries or rollups under prefix as
// "METHOD PATH EV P" -> count, whatever their date.
func readCounts(t *testing.T, store objstoretest.Lister, bucket, prefix string) map[string]int64 {
	t.Helper()
	objects, err := objstoretest.Objects(context.Background(), store, bucket, prefix)
	if err != nil {
		t.Fatal(err)
	}
	if len(objects) == 0 {
		t.Fatalf("nothing under %s", prefix)
	}
	counts := map[string]int64{}
	for key, body := range objects {
		format := summary.CSV
		if path.Ext(key) == summary.JSONL.Extension() {
			format = summary.JSONL
		}
		r := summary.NewReader(strings.NewReader(body), format)
		cols, err := r.Columns()
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		if got := strings.Join(cols, ","); got != pipelineGroupBy {
			t.Fatalf("%s: columns %s, want %s", key, got, pipelineGroupBy)
		}
		for {
			values, n, err := r.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("%s: %v", key, err)
			}
			counts[strings.Join(values[1:], " ")] += n
		}
	}
	return counts
}

func compareCounts(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for _, k := range slices.Sorted(maps.Keys(want)) {
		if got[k] != want[k] {
			t.Errorf("%s: %q counted %d, want %d", what, k, got[k], want[k])
		}
	}
	for _, k := range slices.Sorted(maps.Keys(got)) {
		if _, ok := want[k]; !ok {
			t.Errorf("%s: unexpected %q counted %d", what, k, got[k])
		}
	}
}

// totals counts the page views and the other events among counts.
func totals(counts map[string]int64) (pageviews, events int64) {
	for k, n := range counts {
		f := strings.Fields(k)
		switch {
		case len(f) < 3 || f[1] != tracker.BeaconPath:
		case f[2] == "pageview":
			pageviews += n
		default:
			events += n
		}
	}
	return pageviews, events
}

// invoke calls the function through the emulator and returns its answer.
func invoke(t *testing.T, emulator, payload string) string {
	t.Helper()
	resp, err := http.Post(emulator, "application/json", strings.NewReader(payload))
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return string(bytes.TrimSpace(body))
}

// beaconParams parses the access logs the collector delivered and returns
// the query of every request to the beacon path.
func beaconParams(t *testing.T, store objstoretest.Lister, bucket string) []url.Values {
	t.Helper()
	logs, err := objstoretest.Objects(context.Background(), store, bucket, local.LogPrefix+"/")
	if err != nil {
		t.Fatal(err)
	}
	var out []url.Values
	for key, body := range logs {
		s := &queries{}
		if _, err := process.ReadLog(strings.NewReader(body), s); err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		out = append(out, s.beacons...)
	}
	return out
}

// queries keeps the query of each request to the beacon path.
type queries struct{ beacons []url.Values }

func (q *queries) Add(r *accesslog.Record) {
	_, p, query := accesslog.SplitURL(accesslog.AppendUnescaped(nil, r.URL))
	if string(p) != tracker.BeaconPath {
		return
	}
	v, err := url.ParseQuery(string(query))
	if err != nil {
		v = url.Values{"unparsable": {string(query)}}
	}
	q.beacons = append(q.beacons, v)
}

func (q *queries) Reject(reason string) {
	q.beacons = append(q.beacons, url.Values{"rejected": {reason}})
}
