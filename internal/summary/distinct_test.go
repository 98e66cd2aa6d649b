package summary

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/hll"
)

// visit is one line of a test log: a request for path from client with
// user agent ua, at a time.
func visit(at time.Time, client, ua, path string) request {
	ts := at.Format(time.RFC3339Nano)
	return request{at: at, line: fmt.Appendf(nil, `https %s app/p/0 %s:4431 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443%s HTTP/1.1" "%s" - - - "-" "-" "-" 0 %s "fixed-response" "-" "-" "-" "-" "-" "-"`,
		ts, client, path, ua, ts)}
}

func TestDistinctValue(t *testing.T) {
	chromeLine := albLine("https", "204", "GET https://c.example.com:443/e?uid=u%201&uid=u2 HTTP/1.1", chrome, "fixed-response")
	tests := []struct {
		name     string
		distinct string
		line     string
		want     string
	}{
		{"visitor on ALB", "visitor", chromeLine, "203.0.113.9 " + chrome},
		{"visitor on Classic", "visitor", classicLine, "192.168.131.39 curl/7.38.0"},
		{"visitor without a user agent", "visitor", albLine("https", "204", "GET https://c.example.com:443/ HTTP/1.1", "-", "-"), "203.0.113.9 -"},
		{"user agent as logged", "visitor", albLine("https", "204", "GET https://c.example.com:443/ HTTP/1.1", `a\"b\x41`, "-"), `203.0.113.9 a\"b\x41`},
		{"the first value, percent-decoded", "query:uid", chromeLine, "u 1"},
		{"an absent parameter", "query:user", chromeLine, ""},
		{"an empty value", "query:uid", albLine("https", "204", "GET https://c.example.com:443/e?uid=&uid=u2 HTTP/1.1", chrome, "-"), ""},
		{"a malformed request", "query:uid", albLine("https", "400", "- - - ", chrome, "-"), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var x extractor
			got := x.appendDistinct(nil, MustParseDistinct(tt.distinct), parsed(t, tt.line))
			if string(got) != tt.want {
				t.Errorf("value %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseDistinct(t *testing.T) {
	for _, s := range []string{"", "visitor", "query:uid"} {
		d, err := ParseDistinct(s)
		if err != nil || d.String() != s || d.On() != (s != "") {
			t.Errorf("ParseDistinct(%q) = %q (on %v), %v", s, d, d.On(), err)
		}
	}
	for _, s := range []string{"query:", "ip", "visitors"} {
		if _, err := ParseDistinct(s); err == nil {
			t.Errorf("ParseDistinct(%q) took it", s)
		}
	}
}

// sketchOf returns the sketch of values, added one by one.
func sketchOf(values []string) *hll.Sketch {
	s := hll.New()
	for _, v := range values {
		s.AddString(v)
	}
	return s
}

func sketchBytes(t testing.TB, s *hll.Sketch) string {
	t.Helper()
	if s == nil {
		t.Fatal("no sketch")
	}
	b, _ := s.MarshalBinary()
	return string(b)
}

// distinctLog makes a log of paths /p0 to /p(groups-1) on two dates,
// path i visited by i*perGroup visitors (some shared between paths), each
// twice. It returns the lines and the visitors of each date|path.
func distinctLog(groups, perGroup int) ([]request, map[string][]string) {
	var reqs []request
	visitors := map[string][]string{}
	for day, date := range []time.Time{time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)} {
		for i := range groups {
			path := fmt.Sprintf("/p%d", i)
			key := date.Format("2006-01-02") + "|" + path
			for v := range (i + day) * perGroup {
				client := fmt.Sprintf("198.51.100.%d", v%250)
				ua := fmt.Sprintf("agent/%d", v/250)
				visitors[key] = append(visitors[key], client+" "+ua)
				for range 2 {
					reqs = append(reqs, visit(date.Add(time.Duration(v)*time.Second), client, ua, path))
				}
			}
		}
	}
	return reqs, visitors
}

// Every row's sketch is the sketch of its visitors, byte for byte, so its
// estimate is Athena's for them (package hll pins its accuracy: a standard
// error of 1.625%); here, within 5% for 100 to 2,000 visitors.
func TestDistinctPerRow(t *testing.T) {
	reqs, visitors := distinctLog(20, 100)
	s := count(t, reqs, NewDistinct(MustParseDimensions("date,path"), 1000, MustParseDistinct("visitor")))
	rows := s.Rows()
	if len(rows) != 39 { // /p0 has no visitors on the first date
		t.Fatalf("%d rows, want 39", len(rows))
	}
	for _, r := range rows {
		want := visitors[strings.Join(r.Values, "|")]
		if got := sketchBytes(t, r.Sketch); got != sketchBytes(t, sketchOf(want)) {
			t.Errorf("%q: sketch is not the sketch of its %d visitors", r.Values, len(want))
		}
		if est := r.Sketch.Estimate(); float64(abs(est-int64(len(want)))) > 0.05*float64(len(want)) {
			t.Errorf("%q: estimate %d, want %d within 5%%", r.Values, est, len(want))
		}
	}
}

func abs(n int64) int64 { return max(n, -n) }

// Under the cap, every own row keeps exactly its visitors, and each
// date's overflow row holds every visitor of the groups folded into it:
// the union of a date's rows is the date's visitors.
func TestDistinctThroughEviction(t *testing.T) {
	reqs, visitors := distinctLog(40, 20)
	s := count(t, reqs, NewDistinct(MustParseDimensions("date,path"), 8, MustParseDistinct("visitor")))
	if s.OtherRequests() == 0 {
		t.Fatal("nothing folded: the test tests nothing")
	}
	perDate := map[string]*hll.Sketch{}
	for _, r := range s.Rows() {
		if r.Values[1] != Other {
			if got := sketchBytes(t, r.Sketch); got != sketchBytes(t, sketchOf(visitors[strings.Join(r.Values, "|")])) {
				t.Errorf("%q: sketch is not its visitors'", r.Values)
			}
		}
		if perDate[r.Values[0]] == nil {
			perDate[r.Values[0]] = hll.New()
		}
		if err := perDate[r.Values[0]].Merge(r.Sketch); err != nil {
			t.Fatal(err)
		}
	}
	for date, got := range perDate {
		var all []string
		for k, v := range visitors {
			if strings.HasPrefix(k, date+"|") {
				all = append(all, v...)
			}
		}
		if sketchBytes(t, got) != sketchBytes(t, sketchOf(all)) {
			t.Errorf("%s: the union of the rows' sketches (%d) is not the date's visitors' (%d)", date, got.Estimate(), sketchOf(all).Estimate())
		}
	}
}

// Merging summaries of overlapping inputs merges sketches: a path's
// estimate is that of the union of its visitors, not the sum.
func TestMergeDistinct(t *testing.T) {
	dims, visitor := MustParseDimensions("date,path"), MustParseDistinct("visitor")
	at := time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC)
	var a, b []request
	for v := range 3000 {
		client := fmt.Sprintf("192.0.2.%d", v%200)
		ua := fmt.Sprintf("ua/%d", v/200)
		if v < 2000 {
			a = append(a, visit(at, client, ua, "/"))
		}
		if v >= 1000 {
			b = append(b, visit(at, client, ua, "/"))
		}
	}
	t.Run("Merge", func(t *testing.T) {
		s := count(t, a, NewDistinct(dims, 10, visitor))
		if err := s.Merge(count(t, b, NewDistinct(dims, 10, visitor))); err != nil {
			t.Fatal(err)
		}
		checkUnion(t, s, 3000, 4000)
	})
	t.Run("decoded", func(t *testing.T) {
		s := NewDistinct(dims, 10, visitor)
		for _, in := range [][]request{a, b} {
			var buf bytes.Buffer
			if err := count(t, in, NewDistinct(dims, 10, visitor)).Write(&buf, CSV); err != nil {
				t.Fatal(err)
			}
			r := NewReader(&buf, CSV)
			addRows(t, r, s)
			s.EndInput(false)
		}
		checkUnion(t, s, 3000, 4000)
	})
	t.Run("different distinct values", func(t *testing.T) {
		s := NewDistinct(dims, 10, visitor)
		if err := s.Merge(NewDistinct(dims, 10, MustParseDistinct("query:uid"))); err == nil || !strings.Contains(err.Error(), `"visitor" and "query:uid"`) {
			t.Errorf("Merge = %v, want ErrDistinctMismatch naming both", err)
		}
	})
}

// addRows adds each row r reads, with its sketch, to s.
func addRows(t *testing.T, r *Reader, s *Summary) {
	t.Helper()
	for {
		values, n, err := r.Read()
		if errors.Is(err, io.EOF) {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		sketch, err := r.Sketch()
		if err != nil {
			t.Fatal(err)
		}
		s.AddRow(values, n, sketch)
	}
}

func checkUnion(t *testing.T, s *Summary, union, requests int64) {
	t.Helper()
	rows := s.Rows()
	if len(rows) != 1 || rows[0].Count != requests {
		t.Fatalf("rows %v, want one of %d requests", rows, requests)
	}
	if est := rows[0].Sketch.Estimate(); abs(est-union) > union/50 {
		t.Errorf("estimate %d, want %d within 2%% (the sum of the inputs' is %d)", est, union, 4000)
	}
}

// Both encodings write the distinct columns after count and read back the
// same rows and sketches.
func TestDistinctRoundTrip(t *testing.T) {
	reqs, _ := distinctLog(30, 30)
	dims, visitor := MustParseDimensions("date,path"), MustParseDistinct("visitor")
	s := count(t, reqs, NewDistinct(dims, 12, visitor))
	if got, want := strings.Join(s.Header(), ","), "date,path,count,distinct,distinct_hll"; got != want {
		t.Fatalf("header %s, want %s", got, want)
	}
	for _, f := range []Format{CSV, JSONL} {
		t.Run(string(f), func(t *testing.T) {
			var buf bytes.Buffer
			if err := s.Write(&buf, f); err != nil {
				t.Fatal(err)
			}
			text := buf.String()
			r := NewReader(&buf, f)
			back := NewDistinct(dims, 12, visitor)
			addRows(t, r, back)
			if !r.Distinct() {
				t.Error("Reader does not see the distinct columns")
			}
			want, got := s.Rows(), back.Rows()
			if len(got) != len(want) {
				t.Fatalf("%d rows back, want %d", len(got), len(want))
			}
			for i := range want {
				if strings.Join(got[i].Values, "|") != strings.Join(want[i].Values, "|") || got[i].Count != want[i].Count ||
					sketchBytes(t, got[i].Sketch) != sketchBytes(t, want[i].Sketch) {
					t.Errorf("row %d back as %q %d, want %q %d and its sketch", i, got[i].Values, got[i].Count, want[i].Values, want[i].Count)
				}
				b64, _ := want[i].Sketch.MarshalText()
				sep, quote := ",", ""
				if f == JSONL {
					sep, quote = `,"distinct_hll":"`, `"`
				}
				if cell := fmt.Sprintf("%d%s%s%s", want[i].Sketch.Estimate(), sep, b64, quote); !strings.Contains(text, cell) {
					t.Errorf("row %q: no %s in the output", want[i].Values, cell)
				}
			}
		})
	}
}

func TestDistinctBadSketch(t *testing.T) {
	for _, sketch := range []string{"not base64!", "AgQAAA==" /* 16 buckets */} {
		r := NewReader(strings.NewReader("date,count,distinct,distinct_hll\nd,1,0,"+sketch+"\n"), CSV)
		if _, _, err := r.Read(); err != nil {
			t.Fatal(err)
		}
		if _, err := r.Sketch(); err == nil || !strings.HasPrefix(err.Error(), "line 2: distinct_hll: ") {
			t.Errorf("%s: Sketch() = %v, want an error naming line 2", sketch, err)
		}
	}
}

func TestDistinctCapsGroups(t *testing.T) {
	dims := MustParseDimensions("date,path")
	tests := []struct {
		name      string
		maxGroups int
		distinct  string
		want      int
	}{
		{"default cap, no distinct", DefaultMaxGroups, "", DefaultMaxGroups},
		{"default cap, distinct", DefaultMaxGroups, "visitor", MaxDistinctGroups},
		{"small cap, distinct", 500, "query:uid", 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NewDistinct(dims, tt.maxGroups, MustParseDistinct(tt.distinct)).MaxGroups(); got != tt.want {
				t.Errorf("MaxGroups() = %d, want %d", got, tt.want)
			}
		})
	}
}

// A line adds nothing to a summary without distinct columns, and costs
// no allocation once its group is open.
func TestAddDistinctAllocatesNothing(t *testing.T) {
	var r accesslog.Record
	var p accesslog.Parser
	line := visit(time.Date(2026, 11, 26, 10, 0, 0, 0, time.UTC), "192.0.2.1", "ua", "/").line
	if err := p.Parse(line, &r); err != nil {
		t.Fatal(err)
	}
	s := NewDistinct(MustParseDimensions("date,path"), 10, MustParseDistinct("visitor"))
	s.Add(&r)
	if allocs := testing.AllocsPerRun(100, func() { s.Add(&r) }); allocs != 0 {
		t.Errorf("Add allocates %v times", allocs)
	}
}
