package report

import (
	"bytes"
	"context"
	"encoding/csv"
	"flag"
	"fmt"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/pmdp/pmdp/internal/browsertest"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/summary"
)

var update = flag.Bool("update", false, "rewrite testdata/report.png, the README's picture of a report")

// A row of the test's summaries: its visitors are ids, so that the test
// knows every distinct count without the report's help.
type testRow struct {
	day                    int // of November 2026
	path, status, host, ev string
	count                  int64
	visitors               string // comma list
}

const (
	evilHost  = `evil.example"><script>window.pwned="host"</script>`
	otherHost = "other.example"
)

func testRows() []testRow {
	var rows []testRow
	for d := 1; d <= 10; d++ {
		var vs []string
		for v := 1; v <= d; v++ {
			vs = append(vs, "v"+strconv.Itoa(v))
		}
		rows = append(rows,
			testRow{d, "/", "200", evilHost, "", int64(10 * d), strings.Join(vs, ",")},
			testRow{d, "/pricing", "200", evilHost, "", 5, "v1"})
	}
	return append(rows,
		testRow{2, "/e", "204", otherHost, "signup", 4, "v1,v2"},
		testRow{3, `</script><script>window.pwned="path"</script>`, "404", evilHost, "", 3, "x1"},
		testRow{5, `"><img src=x onerror="window.pwned='attr'">`, "404", evilHost, "", 2, "x2"},
		testRow{7, "/e", "204", otherHost, `<svg onload="window.pwned='svg'">`, 1, "x3"},
		testRow{8, "\x00\x01\x1b[31m\x7f", "200", evilHost, "", 1, "x4"},
		testRow{8, "/bad\xff\xfe", "200", otherHost, "", 1, "x5"},
		testRow{9, "/e", "204", otherHost, "signup", 6, "v1,v3"},
		testRow{9, "<!--\u2028\u2029-->&amp;'", "200", evilHost, "", 1, "x6"},
		testRow{10, "/rtl\u202eevil", "200", evilHost, "", 1, "x7"},
	)
}

// shownAs is how the page must show the values that are not shown as
// they are: control characters as their pictures, bidi controls by code
// point, invalid UTF-8 as U+FFFD a byte, the empty value as a placeholder.
var shownAs = map[string]string{
	"\x00\x01\x1b[31m\x7f": "\u2400\u2401\u241b[31m\u2421",
	"/bad\xff\xfe":         "/bad\ufffd\ufffd",
	"/rtl\u202eevil":       "/rtl<U+202E>evil",
	"":                     "(empty)",
}

func shown(v string) string {
	if s, ok := shownAs[v]; ok {
		return s
	}
	return v
}

func date(day int) string { return fmt.Sprintf("2026-11-%02d", day) }

// writeSummaries writes rows as one summary CSV a date, with the
// distinct columns, laid out as a bucket: dir/site/summaries/dt=DATE/.
func writeSummaries(t *testing.T, dir string, rows []testRow) {
	t.Helper()
	byDay := map[int][]testRow{}
	for _, r := range rows {
		byDay[r.day] = append(byDay[r.day], r)
	}
	for day, rows := range byDay {
		folder := filepath.Join(dir, "site", "summaries", "dt="+date(day))
		if err := os.MkdirAll(folder, 0o755); err != nil {
			t.Fatal(err)
		}
		var b bytes.Buffer
		w := csv.NewWriter(&b)
		w.Write([]string{"date", "path", "status", "host", "query:ev", "count", "distinct", "distinct_hll"})
		for _, r := range rows {
			w.Write([]string{date(day), r.path, r.status, r.host, r.ev, strconv.FormatInt(r.count, 10),
				strconv.Itoa(len(strings.Split(r.visitors, ","))), ids(r.visitors)})
		}
		w.Flush()
		if err := os.WriteFile(filepath.Join(folder, "summary.csv"), b.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// view is what the page shows, read from its DOM.
type view struct {
	Title, Heading, Range    string
	Requests, Days, Visitors string
	From, To                 string
	Bars                     [][2]string // date, tooltip
	DayRows                  [][]string
	Tables                   []viewTable
	Pwned                    any
	Scripts, Markup          int
}

type viewTable struct {
	Column string
	Rows   [][]string // value, requests, share, visitor-days
}

const readView = `(() => {
	const text = id => { const e = document.getElementById(id); return e ? e.textContent : ""; };
	const cells = tr => Array.from(tr.cells).map(c => c.textContent);
	return {
		Title: document.title, Heading: document.querySelector("h1").textContent, Range: text("range"),
		Requests: text("total-requests"), Days: text("total-days"), Visitors: text("total-visitors"),
		From: document.getElementById("from").value, To: document.getElementById("to").value,
		Bars: Array.from(document.querySelectorAll("#chart rect.bar")).map(r => [r.getAttribute("data-date"), r.querySelector("title").textContent]),
		DayRows: Array.from(document.querySelectorAll("#days-body tr")).map(cells),
		Tables: Array.from(document.querySelectorAll("#tables section")).map(s => ({
			Column: s.getAttribute("data-column"),
			Rows: Array.from(s.querySelectorAll("tbody tr")).map(cells),
		})),
		Pwned: window.pwned === undefined ? null : window.pwned,
		Scripts: document.scripts.length,
		Markup: document.querySelectorAll("img, iframe, object, embed, image, foreignObject, a[href]").length,
	};
})()`

// expect is what the page must show for the days from..to, worked out
// from the rows alone.
func expect(rows []testRow, from, to int) view {
	type key struct{ column, value string }
	requests := map[key]int64{}
	visitors := map[key]map[int]map[string]bool{} // value -> day -> ids
	dayRequests := map[int]int64{}
	dayVisitors := map[int]map[string]bool{}
	add := func(k key, day int, r testRow) {
		requests[k] += r.count
		if visitors[k] == nil {
			visitors[k] = map[int]map[string]bool{}
		}
		if visitors[k][day] == nil {
			visitors[k][day] = map[string]bool{}
		}
		for _, id := range strings.Split(r.visitors, ",") {
			visitors[k][day][id] = true
		}
	}
	for _, r := range rows {
		if r.day < from || r.day > to {
			continue
		}
		dayRequests[r.day] += r.count
		if dayVisitors[r.day] == nil {
			dayVisitors[r.day] = map[string]bool{}
		}
		for _, id := range strings.Split(r.visitors, ",") {
			dayVisitors[r.day][id] = true
		}
		for column, value := range map[string]string{"path": summary.JSONText(r.path), "status": r.status, "host": r.host, "query:ev": r.ev} {
			add(key{column, value}, r.day, r)
		}
	}
	var total, visitorDays int64
	v := view{
		Title: "pmdp report: " + evilHost, Heading: "pmdp report: " + evilHost,
		Range: date(from) + " to " + date(to), From: date(from), To: date(to),
		Days: strconv.Itoa(to - from + 1), Pwned: nil, Scripts: 2,
	}
	for day := to; day >= from; day-- {
		total += dayRequests[day]
		visitorDays += int64(len(dayVisitors[day]))
		v.DayRows = append(v.DayRows, []string{date(day), commas(dayRequests[day]), commas(int64(len(dayVisitors[day])))})
	}
	for day := from; day <= to; day++ {
		v.Bars = append(v.Bars, [2]string{date(day), fmt.Sprintf("%s: %s requests, %s visitors", date(day), commas(dayRequests[day]), commas(int64(len(dayVisitors[day]))))})
	}
	v.Requests, v.Visitors = commas(total), commas(visitorDays)
	for _, column := range []string{"path", "query:ev", "status", "host"} {
		var keys []key
		var columnTotal int64
		for k := range requests {
			if k.column == column {
				keys = append(keys, k)
				columnTotal += requests[k]
			}
		}
		slices.SortFunc(keys, func(a, b key) int {
			if requests[a] != requests[b] {
				return int(requests[b] - requests[a])
			}
			return strings.Compare(a.value, b.value)
		})
		t := viewTable{Column: column}
		for _, k := range keys {
			var vd int64
			for _, ids := range visitors[k] {
				vd += int64(len(ids))
			}
			share := fmt.Sprintf("%.1f%%", 100*float64(requests[k])/float64(columnTotal))
			t.Rows = append(t.Rows, []string{shown(k.value), commas(requests[k]), share, commas(vd)})
		}
		v.Tables = append(v.Tables, t)
	}
	return v
}

func commas(n int64) string {
	s := strconv.FormatInt(n, 10)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

// serve serves page alone, as a browser would get it from S3.
func serve(t *testing.T, page []byte) string {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/report.html" {
			t.Errorf("the page asked for %s", r.URL)
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(page)
	}))
	t.Cleanup(srv.Close)
	return srv.URL + "/report.html"
}

// The report in a real browser shows the numbers the summaries hold, for
// every range picked in the page; shows each hostile value as text, in
// the title, the tables and the chart's tooltips, and runs none of them;
// reports no error; and asks for nothing beyond itself.
func TestReportInABrowser(t *testing.T) {
	b := browsertest.New(t, 2*time.Minute)
	dir := t.TempDir()
	rows := testRows()
	writeSummaries(t, dir, rows)
	rb := &Builder{NewSketch: func() Sketch { return idSketch{} }, Sources: []string{filepath.Join(dir, "site", "summaries")}}
	if n, err := rb.ReadLocation(context.Background(), objstore.Dir{Root: dir}, "site", "summaries/"); err != nil || n != 10 {
		t.Fatalf("read %d summaries (%v), want 10", n, err)
	}
	var page bytes.Buffer
	if err := rb.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	pageURL := serve(t, page.Bytes())
	b.Do(t, chromedp.Navigate(pageURL))

	steps := []struct {
		name     string
		action   string // JavaScript; "" for the page as it opens
		from, to int
	}{
		{"as it opens: every date", "", 1, 10},
		{"last 7 days", `document.getElementById("last7").click()`, 4, 10},
		{"a range typed in", `pick("2026-11-03", "2026-11-05")`, 3, 5},
		{"a range typed backwards", `pick("2026-11-09", "2026-11-02")`, 2, 9},
		{"one day", `pick("2026-11-08", "2026-11-08")`, 8, 8},
		{"all again", `document.getElementById("all").click()`, 1, 10},
	}
	// Both dates typed in, then the change seen, as when a user types a
	// range into a form.
	const pick = `const pick = (from, to) => {
		document.getElementById("from").value = from;
		document.getElementById("to").value = to;
		document.getElementById("to").dispatchEvent(new Event("change"));
	};`
	for _, s := range steps {
		if s.action != "" {
			b.Do(t, chromedp.Evaluate[chromedp.Void](`{`+pick+s.action+`}`))
		}
		got := browsertest.Eval[view](t, b, readView)
		want := expect(rows, s.from, s.to)
		if diff := compareViews(got, want); diff != "" {
			t.Errorf("%s:\n%s", s.name, diff)
		}
	}
	b.Screenshot(t, "report-hostile.png", true)

	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
	for _, r := range b.Requests() {
		// Chromium draws the date inputs' icons from data: URLs.
		if r.URL != pageURL && !strings.HasPrefix(r.URL, "data:") {
			t.Errorf("the page asked for %s", r)
		}
	}
}

// compareViews describes how got differs from want, field by field.
func compareViews(got, want view) string {
	var diff []string
	check := func(name string, g, w any) {
		if fmt.Sprintf("%q", g) != fmt.Sprintf("%q", w) {
			diff = append(diff, fmt.Sprintf("%s: %q\n   want %q", name, g, w))
		}
	}
	check("title", got.Title, want.Title)
	check("heading", got.Heading, want.Heading)
	check("range", got.Range, want.Range)
	check("inputs", []string{got.From, got.To}, []string{want.From, want.To})
	check("requests", got.Requests, want.Requests)
	check("days", got.Days, want.Days)
	check("visitor-days", got.Visitors, want.Visitors)
	check("bars", got.Bars, want.Bars)
	check("day rows", got.DayRows, want.DayRows)
	check("window.pwned (set by a value that ran)", got.Pwned, want.Pwned)
	check("script elements", strconv.Itoa(got.Scripts), strconv.Itoa(want.Scripts))
	check("elements that load or link", strconv.Itoa(got.Markup), strconv.Itoa(want.Markup))
	gotTables := map[string][][]string{}
	var order []string
	for _, t := range got.Tables {
		gotTables[t.Column] = t.Rows
		order = append(order, t.Column)
	}
	check("tables", order, []string{"path", "query:ev", "status", "host"})
	for _, t := range want.Tables {
		check("table "+t.Column, gotTables[t.Column], t.Rows)
	}
	return strings.Join(diff, "\n")
}

// The report of generated traffic shows the generator's counts, and is
// the picture in the README (go test -run TestReportOfGeneratedTraffic
// -update rewrites it).
func TestReportOfGeneratedTraffic(t *testing.T) {
	b := browsertest.New(t, time.Minute)
	rb := &Builder{Sources: []string{"s3://my-logs/rollups/"}, Now: testNow}
	perDate, err := demoBuilder(rb)
	if err != nil {
		t.Fatal(err)
	}
	var page bytes.Buffer
	if err := rb.WriteHTML(&page); err != nil {
		t.Fatal(err)
	}
	b.Do(t, chromedp.EmulateViewport(1200, 1100), chromedp.Navigate(serve(t, page.Bytes())))
	got := browsertest.Eval[view](t, b, readView)
	var total int64
	var wantDays [][]string
	dates := slices.Sorted(maps.Keys(perDate))
	for i := len(dates) - 1; i >= 0; i-- {
		total += perDate[dates[i]]
		wantDays = append(wantDays, []string{dates[i], commas(perDate[dates[i]])})
	}
	if got.Requests != commas(total) || fmt.Sprint(got.DayRows) != fmt.Sprint(wantDays) {
		t.Errorf("requests %s by day %q\nwant %s by day %q", got.Requests, got.DayRows, commas(total), wantDays)
	}
	if errs := b.Errors(); len(errs) > 0 {
		t.Errorf("the page reported errors:\n%s", strings.Join(errs, "\n"))
	}
	shot := b.Screenshot(t, "report.png", false)
	if *update {
		png, err := os.ReadFile(shot)
		if err == nil {
			err = os.WriteFile(filepath.Join("testdata", "report.png"), png, 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
}
