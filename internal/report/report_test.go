package report

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/summary"
)

var testNow = func() time.Time { return time.Date(2026, 11, 27, 6, 0, 0, 0, time.UTC) }

// tableCounts is a table as value -> "date:requests:distinct" cells.
func tableCounts(d *Data, column string) map[string][]string {
	for _, t := range d.Tables {
		if t.Column != column {
			continue
		}
		out := map[string][]string{}
		for i, v := range t.Values {
			for _, c := range t.Cells[i] {
				out[v] = append(out[v], fmt.Sprintf("%s:%d:%d", d.Dates[c[0]], c[1], c[2]))
			}
		}
		return out
	}
	return nil
}

// The summaries of a date and its rollup give the same report: per-file
// CSV and JSON Lines summaries are summed, the rollups read as they are,
// objects that are not summaries are left out, and a date without any is
// a day with no requests.
func TestReadLocation(t *testing.T) {
	store := objstore.Dir{Root: "testdata"}
	want := &Data{
		Version: 1, Generated: "2026-11-27T06:00:00Z",
		Dates:    []string{"2026-11-22", "2026-11-23", "2026-11-24"},
		Requests: []int64{9, 0, 10},
		Tables: []Table{
			{Column: "path", Title: "Paths", Values: []string{"/", "/pricing", "/missing"},
				Cells: [][][3]int64{{{0, 7, -1}, {2, 8, -1}}, {{0, 2, -1}, {2, 1, -1}}, {{2, 1, -1}}}},
			{Column: "status", Title: "Status codes", Values: []string{"200", "404"},
				Cells: [][][3]int64{{{0, 9, -1}, {2, 9, -1}}, {{2, 1, -1}}}},
		},
	}
	for _, c := range []struct{ prefix, objects string }{{"summaries/", "3"}, {"rollups/", "2"}} {
		t.Run(strings.TrimSuffix(c.prefix, "/"), func(t *testing.T) {
			b := &Builder{Now: testNow}
			n, err := b.ReadLocation(context.Background(), store, "site", c.prefix)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(n) != c.objects {
				t.Errorf("read %d objects, want %s", n, c.objects)
			}
			got, _ := json.Marshal(b.Data())
			wantJSON, _ := json.Marshal(want)
			if !bytes.Equal(got, wantJSON) {
				t.Errorf("data\n%s\nwant\n%s", got, wantJSON)
			}
		})
	}

	t.Run("since and until", func(t *testing.T) {
		b := &Builder{Since: "2026-11-23", Until: "2026-11-30"}
		n, err := b.ReadLocation(context.Background(), store, "site", "summaries/")
		if err != nil || n != 2 {
			t.Fatalf("read %d objects (%v), want the 2 of 2026-11-24", n, err)
		}
		if d := b.Data(); !slices.Equal(d.Dates, []string{"2026-11-24"}) || !slices.Equal(d.Requests, []int64{10}) {
			t.Errorf("dates %q, requests %v", d.Dates, d.Requests)
		}
	})
}

// Each problem names the object and its line.
func TestAddRefusesWhatIsNotASummary(t *testing.T) {
	cases := []struct {
		name, format, text, want string
	}{
		{"no count column", "csv", "date,path\n2026-11-24,/\n", "obj:1: no count column"},
		{"not a group-by", "csv", "date,colour,count\n2026-11-24,red,1\n", `obj:1: columns ["date" "colour"] are not a group-by list`},
		{"a short row", "csv", "date,path,count\n2026-11-24,/,1\n2026-11-24,2\n", "obj:3: 2 fields, want 3"},
		{"a count that is not a number", "csv", "date,path,count\n2026-11-24,/,many\n", `obj:2: count "many" is not a whole number`},
		{"a negative distinct", "csv", "date,path,count,distinct,distinct_hll\n2026-11-24,/,3,-1,AA==\n", `obj:2: distinct "-1" is not a whole number`},
		{"a bad date", "csv", "date,path,count\n24.11.2026,/,1\n", `obj:2: date "24.11.2026" is not YYYY-MM-DD`},
		{"a stray quote", "csv", "date,path,count\n2026-11-24,/a\"b,1\n", `obj:2: bare " in non-quoted-field`},
		{"an empty CSV", "csv", "", "obj:1: empty: no header row"},
		{"a JSON line that is not an object", "jsonl", `{"date":"2026-11-24","count":1}` + "\n[1]\n", "obj:2: json: cannot unmarshal array"},
		{"a JSON count that is a string", "jsonl", `{"date":"2026-11-24","count":"1"}` + "\n", `obj:1: count "\"1\"" is not a whole number`},
		{"a JSON value that is a number", "jsonl", `{"date":"2026-11-24","status":200,"count":1}` + "\n", "obj:1: status: 200 is not a string"},
		{"a key missing", "jsonl", `{"date":"2026-11-24","path":"/","count":1}` + "\n" + `{"date":"2026-11-24","count":1,"x":2}` + "\n", `obj:2: no key "path"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &Builder{}
			err := b.Add(strings.NewReader(c.text), summary.Format(c.format), "obj", "2026-11-24")
			if err == nil || !strings.HasPrefix(err.Error(), c.want) {
				t.Errorf("error %v, want it to start with %q", err, c.want)
			}
		})
	}
}

// A row's date is its date column, else its hour's, else its folder's;
// columns after count other than the distinct ones are left out; a JSON
// Lines summary without rows is no error.
func TestAddFindsEachRowsDate(t *testing.T) {
	b := &Builder{}
	for _, in := range []struct{ format, text, folder string }{
		{"csv", "hour,path,count\n2026-11-20T23,/a,1\n2026-11-21T00,/a,2\n", "2026-11-20"},
		{"csv", "path,count,bytes\n/b,4,999\n", "2026-11-22"},
		{"jsonl", "", "2026-11-23"},
		{"jsonl", `{"path":"/c","count":8}` + "\n\n", "2026-11-23"},
	} {
		if err := b.Add(strings.NewReader(in.text), summary.Format(in.format), "obj", in.folder); err != nil {
			t.Fatal(err)
		}
	}
	d := b.Data()
	if !slices.Equal(d.Dates, []string{"2026-11-20", "2026-11-21", "2026-11-22", "2026-11-23"}) || !slices.Equal(d.Requests, []int64{1, 2, 4, 8}) {
		t.Errorf("dates %q, requests %v", d.Dates, d.Requests)
	}
	if d.Visitors != nil || len(d.Tables) != 1 || d.Tables[0].Column != "path" {
		t.Errorf("visitors %v, tables %+v: want no visitors and only a path table", d.Visitors, d.Tables)
	}
}

// idSketch stands in for a HyperLogLog sketch in tests: base64 of a comma
// list of ids, merged as a set, estimated exactly.
type idSketch map[string]bool

func (s idSketch) Merge(b64 string) error {
	raw, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return err
	}
	for id := range strings.SplitSeq(string(raw), ",") {
		if id != "" {
			s[id] = true
		}
	}
	return nil
}

func (s idSketch) Estimate() int64 { return int64(len(s)) }

func ids(list string) string { return base64.StdEncoding.EncodeToString([]byte(list)) }

// Distinct counts are never added across rows: a day or a value that
// several rows make up has a known count only when their sketches can be
// merged. Its days, and a value's days, are then added up (visitor-days)
// by the page, which is what the data leaves it to do.
func TestDistinct(t *testing.T) {
	csv := "date,path,status,count,distinct,distinct_hll\n" +
		"2026-11-24,/,200,5,3," + ids("a,b,c") + "\n" +
		"2026-11-24,/,404,1,1," + ids("a") + "\n" +
		"2026-11-24,/x,200,2,2," + ids("c,d") + "\n" +
		"2026-11-25,/x,200,1,1," + ids("e") + "\n"
	cases := []struct {
		name      string
		newSketch func() Sketch
		visitors  []int64
		paths     map[string][]string
		statuses  map[string][]string
	}{
		{"without sketches", nil, []int64{-1, 1},
			map[string][]string{"/": {"2026-11-24:6:-1"}, "/x": {"2026-11-24:2:2", "2026-11-25:1:1"}},
			map[string][]string{"200": {"2026-11-24:7:-1", "2026-11-25:1:1"}, "404": {"2026-11-24:1:1"}}},
		{"merging sketches", func() Sketch { return idSketch{} }, []int64{4, 1},
			map[string][]string{"/": {"2026-11-24:6:3"}, "/x": {"2026-11-24:2:2", "2026-11-25:1:1"}},
			map[string][]string{"200": {"2026-11-24:7:4", "2026-11-25:1:1"}, "404": {"2026-11-24:1:1"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := &Builder{NewSketch: c.newSketch}
			if err := b.Add(strings.NewReader(csv), summary.CSV, "obj", ""); err != nil {
				t.Fatal(err)
			}
			d := b.Data()
			if !slices.Equal(d.Visitors, c.visitors) {
				t.Errorf("visitors %v, want %v", d.Visitors, c.visitors)
			}
			if got := tableCounts(d, "path"); fmt.Sprint(got) != fmt.Sprint(c.paths) {
				t.Errorf("paths %v, want %v", got, c.paths)
			}
			if got := tableCounts(d, "status"); fmt.Sprint(got) != fmt.Sprint(c.statuses) {
				t.Errorf("statuses %v, want %v", got, c.statuses)
			}
		})
	}

	t.Run("a sketch that does not decode", func(t *testing.T) {
		b := &Builder{NewSketch: func() Sketch { return idSketch{} }}
		bad := "date,path,count,distinct,distinct_hll\n2026-11-24,/,1,1," + ids("a") + "\n2026-11-24,/,1,1,%%%\n"
		if err := b.Add(strings.NewReader(bad), summary.CSV, "obj", ""); err == nil || !strings.HasPrefix(err.Error(), "obj:3: ") {
			t.Errorf("error %v, want one naming obj:3", err)
		}
	})
}

// Beyond MaxValues a column's rarest values are summed into one (other)
// row, with the summaries' own (other) row, so every total stays exact.
func TestMaxValuesFoldsTheRest(t *testing.T) {
	b := &Builder{MaxValues: 3}
	csv := "date,path,count\n" +
		"2026-11-24,/a,10\n2026-11-24,/b,8\n2026-11-24,/c,3\n2026-11-24,/d,2\n2026-11-24,(other),4\n" +
		"2026-11-25,/a,1\n2026-11-25,/d,5\n"
	if err := b.Add(strings.NewReader(csv), summary.CSV, "obj", ""); err != nil {
		t.Fatal(err)
	}
	for range 2 { // Data leaves the Builder as it was
		got := tableCounts(b.Data(), "path")
		want := map[string][]string{
			"/a":       {"2026-11-24:10:-1", "2026-11-25:1:-1"},
			"/b":       {"2026-11-24:8:-1"},
			OtherValue: {"2026-11-24:9:-1", "2026-11-25:5:-1"}, // /c, /d and (other)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("paths %v, want %v", got, want)
		}
	}
	if got := b.Data().Tables[0].Values; !slices.Equal(got, []string{"/a", "/b", OtherValue}) {
		t.Errorf("values %q", got)
	}
}

// hostile values, as strangers can send them; the page must show each as
// text, in every place it goes.
var hostile = []string{
	`</script><script>window.pwned="path"</script>`,
	`"><img src=x onerror="window.pwned='attr'">`,
	"<!--\u2028\u2029-->&amp;'",
	"\x00\x01\x1b[31m\x7f",
}

// The HTML holds log values only escaped: the title and heading as text,
// the data as JSON that a script element cannot end early, and nothing
// else; the JSON reads back as the values themselves.
func TestPageEscapesLogValues(t *testing.T) {
	b := &Builder{Now: testNow, Sources: []string{`s3://bucket/"><b>x</b>/`}}
	var csv strings.Builder
	csv.WriteString("date,host,path,count\n")
	for i, v := range hostile {
		fmt.Fprintf(&csv, "2026-11-24,%s,%s,%d\n", quote(`<script>alert("host")</script>`), quote(v), 10-i)
	}
	fmt.Fprintf(&csv, "2026-11-24,h,%s,1\n", quote("/bad\xff\xfe"))
	if err := b.Add(strings.NewReader(csv.String()), summary.CSV, "obj", ""); err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := b.WriteHTML(&out); err != nil {
		t.Fatal(err)
	}
	page := out.String()

	if n := strings.Count(page, "<script"); n != 2 {
		t.Errorf("%d script elements, want the data's and the page's", n)
	}
	for _, bad := range []string{"<img", "<b>", "alert(\"host\")</script>", "\u2028", "\x00", "\xff"} {
		if strings.Contains(page, bad) {
			t.Errorf("the page holds %q unescaped", bad)
		}
	}
	title := between(page, "<title>", "</title>")
	if got := html.UnescapeString(title); got != `pmdp report: <script>alert("host")</script>` {
		t.Errorf("title %q reads %q", title, got)
	}
	if got := html.UnescapeString(between(page, "<h1>", "</h1>")); got != `pmdp report: <script>alert("host")</script>` {
		t.Errorf("heading reads %q", got)
	}
	if got := html.UnescapeString(between(page, "<p>From ", "; made")); got != `s3://bucket/"><b>x</b>/` {
		t.Errorf("sources read %q", got)
	}

	var d Data
	raw := between(page, `<script type="application/json" id="pmdp-data">`, "</script>")
	if err := json.Unmarshal([]byte(raw), &d); err != nil {
		t.Fatalf("the embedded data does not parse: %v\n%s", err, raw)
	}
	got := tableCounts(&d, "path")
	for i, v := range hostile {
		if want := fmt.Sprintf("2026-11-24:%d:-1", 10-i); fmt.Sprint(got[v]) != "["+want+"]" {
			t.Errorf("path %q: %v, want %s", v, got[v], want)
		}
	}
	if _, ok := got["/bad\uFFFD\uFFFD"]; !ok {
		t.Errorf("invalid UTF-8 is not one U+FFFD a byte, as the rollups write it: %q", slices.Collect(mapKeys(got)))
	}
}

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

func between(s, from, to string) string {
	_, rest, ok := strings.Cut(s, from)
	if !ok {
		return ""
	}
	inner, _, _ := strings.Cut(rest, to)
	return inner
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// The page without data stays far below the 300 KB the issue allows, so
// 90 days of data fit beside it.
func TestPageSize(t *testing.T) {
	var empty bytes.Buffer
	if err := (&Builder{}).WriteHTML(&empty); err != nil {
		t.Fatal(err)
	}
	if empty.Len() > 300<<10 {
		t.Errorf("the page without data is %d bytes, over 300 KB", empty.Len())
	}
	b := &Builder{}
	if _, err := demoBuilder(b); err != nil {
		t.Fatal(err)
	}
	var demo bytes.Buffer
	if err := b.WriteHTML(&demo); err != nil {
		t.Fatal(err)
	}
	t.Logf("page: %d bytes without data, %d with 30 days of 5 columns", empty.Len(), demo.Len())
}

// The page's script builds the page from text: it has no way to parse
// markup, so no value can become markup.
func TestScriptSetsOnlyText(t *testing.T) {
	for _, sink := range []string{"innerHTML", "outerHTML", "insertAdjacentHTML", "document.write", "eval(", "Function(", "setAttribute(\"on", "srcdoc", "DOMParser", "createContextualFragment"} {
		if strings.Contains(pageJS, sink) {
			t.Errorf("page.js uses %s", sink)
		}
	}
}
