package summary

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/accesslog"
)

// request is one line of a test log.
type request struct {
	line   []byte
	at     time.Time
	oneOff bool // a path requested once
}

// req returns a request for path at t with status, as ALB logs it.
func req(at time.Time, path, status string) request {
	ts := at.Format(time.RFC3339Nano)
	return request{at: at, line: fmt.Appendf(nil, `https %s app/p/0 203.0.113.9:4431 - -1 -1 -1 %s - 10 20 "GET https://c.example.com:443%s?ev=%s HTTP/1.1" "-" - - - "-" "-" "-" 0 %s "fixed-response" "-" "-" "-" "-" "-" "-"`,
		ts, status, path, strings.TrimPrefix(path, "/"), ts)}
}

// count parses reqs and adds them to s.
func count(t testing.TB, reqs []request, s *Summary) *Summary {
	t.Helper()
	var p accesslog.Parser
	var r accesslog.Record
	for _, q := range reqs {
		if err := p.Parse(q.line, &r); err != nil {
			t.Fatalf("%s: %v", q.line, err)
		}
		s.Add(&r)
	}
	return s
}

// exact returns every group of reqs with its count, by values joined with
// "|", and the total of each overflow key (the time values), from a
// Summary that holds them all.
func exact(t testing.TB, reqs []request, dims []Dimension) (groups, perTime map[string]int64) {
	s := count(t, reqs, NewMaxGroups(dims, len(reqs)+1))
	groups, perTime = map[string]int64{}, map[string]int64{}
	for _, r := range s.Rows() {
		groups[strings.Join(r.Values, "|")] = r.Count
		perTime[timeKey(dims, r.Values)] += r.Count
	}
	return groups, perTime
}

func timeKey(dims []Dimension, values []string) string {
	var k []string
	for i, d := range dims {
		if d.isTime() {
			k = append(k, values[i])
		}
	}
	return strings.Join(k, "|")
}

func isOtherRow(dims []Dimension, values []string) bool {
	for i, d := range dims {
		if !d.isTime() && values[i] != Other {
			return false
		}
	}
	return slices.ContainsFunc(dims, func(d Dimension) bool { return !d.isTime() })
}

// checkCapped checks the guarantees of a capped summary s of requests
// whose groups and per-time totals are given: every row of its own exact,
// at most maxGroups of them, each date's (and hour's) total exact, at most
// one overflow row for each. It returns the groups s reported on rows of
// their own, and how many overflow rows it has.
func checkCapped(t *testing.T, s *Summary, groups, perTime map[string]int64, maxGroups int) (own map[string]int64, otherRows int) {
	t.Helper()
	dims := s.dims
	own = map[string]int64{}
	gotPerTime := map[string]int64{}
	for _, r := range s.Rows() {
		k := strings.Join(r.Values, "|")
		gotPerTime[timeKey(dims, r.Values)] += r.Count
		if isOtherRow(dims, r.Values) {
			otherRows++
			continue
		}
		own[k] = r.Count
		if want, ok := groups[k]; !ok || r.Count != want {
			t.Errorf("row %q counts %d, want %d (in the input: %v)", k, r.Count, want, ok)
		}
	}
	if len(own) > maxGroups {
		t.Errorf("%d rows of their own, cap %d", len(own), maxGroups)
	}
	for k, want := range perTime {
		if gotPerTime[k] != want {
			t.Errorf("time %q: rows add up to %d, want %d", k, gotPerTime[k], want)
		}
	}
	if len(gotPerTime) != len(perTime) {
		t.Errorf("times %v, want those of %v", gotPerTime, perTime)
	}
	if otherRows > len(perTime) {
		t.Errorf("%d overflow rows for %d times", otherRows, len(perTime))
	}
	var total int64
	for _, n := range perTime {
		total += n
	}
	if s.Requests() != total {
		t.Errorf("Requests() = %d, want %d", s.Requests(), total)
	}
	return own, otherRows
}

// mixed returns a random input: paths drawn from a few popular ones and
// from one-off ones, at random times over three hours across midnight,
// with statuses, in one of several orders.
func mixed(t testing.TB, rnd *rand.Rand, n int) []request {
	start := time.Date(2026, 11, 25, 22, 30, 0, 0, time.UTC)
	popular := 1 + rnd.IntN(40)
	zipf := rand.NewZipf(rnd, 1.1, 1, uint64(popular))
	oneOff := rnd.Float64()
	reqs := make([]request, n)
	for i := range reqs {
		at := start.Add(time.Duration(rnd.Int64N(int64(3 * time.Hour))))
		path := fmt.Sprintf("/p/%d", zipf.Uint64())
		isOneOff := rnd.Float64() < oneOff
		if isOneOff {
			path = fmt.Sprintf("/flood/%d", i)
		}
		reqs[i] = req(at, path, []string{"204", "404"}[rnd.IntN(2)])
		reqs[i].oneOff = isOneOff
	}
	switch rnd.IntN(4) {
	case 0: // in time order, as a log is
		slices.SortStableFunc(reqs, func(a, b request) int { return a.at.Compare(b.at) })
	case 1: // the one-off paths first, the popular ones after
		slices.SortStableFunc(reqs, func(a, b request) int { return -cmpBool(a.oneOff, b.oneOff) })
	case 2: // the popular paths first
		slices.SortStableFunc(reqs, func(a, b request) int { return cmpBool(a.oneOff, b.oneOff) })
	}
	return reqs
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

var capGroupBys = []string{"date,path", "hour,path,status", "path", "date,hour,query:ev", "status,date,path"}

// TestCapProperties is a property test: whatever the input and its order,
// a capped summary's totals per date and hour are exact, every row of its
// own is exact, and it has at most the cap of them.
func TestCapProperties(t *testing.T) {
	for seed := range uint64(60) {
		rnd := rand.New(rand.NewPCG(seed, 7))
		reqs := mixed(t, rnd, 100+rnd.IntN(3000))
		dims := MustParseDimensions(capGroupBys[rnd.IntN(len(capGroupBys))])
		maxGroups := 1 + rnd.IntN(300)
		groups, perTime := exact(t, reqs, dims)
		t.Run(fmt.Sprintf("seed %d %s cap %d", seed, Names(dims), maxGroups), func(t *testing.T) {
			_, otherRows := checkCapped(t, count(t, reqs, NewMaxGroups(dims, maxGroups)), groups, perTime, maxGroups)
			if len(groups) <= maxGroups && otherRows > 0 {
				t.Errorf("%d groups within the cap of %d, but %d overflow rows", len(groups), maxGroups, otherRows)
			}
		})
	}
}

// frequentThroughFlood is an input in which a few frequent paths are among
// floodMixed paths requested once: the frequent ones each get perPath
// requests, the early ones spread over all of that part, the late ones
// over its second half only. Before it come floodFirst one-off paths
// alone, and after it floodLast.
func frequentThroughFlood(seed uint64, early, late, perPath, floodFirst, floodMixed, floodLast int) (reqs []request, frequent []string) {
	rnd := rand.New(rand.NewPCG(seed, 11))
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	oneOff := 0
	flood := func() request {
		oneOff++
		return req(at, fmt.Sprintf("/flood/%x", oneOff*2654435761%(1<<32)), "404")
	}
	for range floodFirst {
		reqs = append(reqs, flood())
	}
	var mixedPaths []string // one entry per request
	for i := range early + late {
		path := fmt.Sprintf("/page/%d", i)
		frequent = append(frequent, path)
		if i < early {
			for range perPath {
				mixedPaths = append(mixedPaths, path)
			}
		}
	}
	for range floodMixed {
		mixedPaths = append(mixedPaths, "")
	}
	rnd.Shuffle(len(mixedPaths), func(i, j int) { mixedPaths[i], mixedPaths[j] = mixedPaths[j], mixedPaths[i] })
	// The late paths go into the second half only.
	half := len(mixedPaths) / 2
	secondHalf := slices.Clone(mixedPaths[half:])
	for _, path := range frequent[early:] {
		for range perPath {
			secondHalf = append(secondHalf, path)
		}
	}
	rnd.Shuffle(len(secondHalf), func(i, j int) { secondHalf[i], secondHalf[j] = secondHalf[j], secondHalf[i] })
	for _, path := range append(mixedPaths[:half:half], secondHalf...) {
		if path == "" {
			reqs = append(reqs, flood())
		} else {
			reqs = append(reqs, req(at, path, "204"))
		}
	}
	for range floodLast {
		reqs = append(reqs, flood())
	}
	return reqs, frequent
}

// A flood of one-off paths cannot push out paths that keep being
// requested, however late they first appear: each keeps its row, exact.
// First-come admission would lose every path that appears after the
// table is full; counting without a filter of folded groups would give
// folded paths a row again, short of what was folded.
//
// "Keep being requested" is relative to the cap: with F frequent paths a
// path's second request must come within about 3/4·cap - F requests of
// its first. The cases leave a wide margin, so that a path losing its
// row here means the policy is wrong, not that the draw was unlucky.
func TestCapKeepsFrequentGroupsThroughAFlood(t *testing.T) {
	tests := []struct {
		name                              string
		maxGroups                         int
		early, late, perPath              int
		floodFirst, floodMixed, floodLast int
	}{
		{"flood among them", 1000, 10, 10, 1000, 0, 30_000, 0},
		{"flood first, then all of them late", 1000, 0, 20, 1000, 20_000, 20_000, 0},
		{"many frequent paths", 5000, 50, 50, 400, 10_000, 40_000, 0},
		{"frequent ones early, then a long flood", 1000, 20, 0, 1000, 0, 0, 60_000},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			reqs, frequent := frequentThroughFlood(1, tt.early, tt.late, tt.perPath, tt.floodFirst, tt.floodMixed, tt.floodLast)
			dims := MustParseDimensions("date,path")
			groups, perTime := exact(t, reqs, dims)
			maxGroups := tt.maxGroups
			s := count(t, reqs, NewMaxGroups(dims, maxGroups))
			own, _ := checkCapped(t, s, groups, perTime, maxGroups)
			for _, path := range frequent {
				if n, ok := own["2026-11-26|"+path]; !ok || n != int64(tt.perPath) {
					t.Errorf("%s: %d on its own row (kept: %v), want %d", path, n, ok, tt.perPath)
				}
			}
			if s.OtherRequests() == 0 {
				t.Error("nothing in the overflow row")
			}
		})
	}
}

// The same input gives the same bytes: nothing depends on the order in
// which Go walks a map.
func TestCapIsDeterministic(t *testing.T) {
	reqs, _ := frequentThroughFlood(2, 10, 10, 200, 5000, 10_000, 0)
	dims := MustParseDimensions("date,path")
	var first []byte
	for i := range 3 {
		var a, b bytes.Buffer
		s := count(t, reqs, NewMaxGroups(dims, 300))
		if err := s.Write(&a, CSV); err != nil {
			t.Fatal(err)
		}
		// And a merge of capped halves.
		m := count(t, reqs[:len(reqs)/2], NewMaxGroups(dims, 300))
		if err := m.Merge(count(t, reqs[len(reqs)/2:], NewMaxGroups(dims, 300))); err != nil {
			t.Fatal(err)
		}
		if err := m.Write(&b, CSV); err != nil {
			t.Fatal(err)
		}
		got := append(a.Bytes(), b.Bytes()...)
		if i == 0 {
			first = got
			continue
		}
		if !bytes.Equal(got, first) {
			t.Fatalf("run %d wrote other bytes than run 0", i)
		}
	}
}

// Merging capped summaries keeps every guarantee: a group that one part
// folded is not reported with the other parts' counts alone.
func TestMergeCapped(t *testing.T) {
	for seed := range uint64(25) {
		rnd := rand.New(rand.NewPCG(seed, 13))
		reqs := mixed(t, rnd, 200+rnd.IntN(3000))
		dims := MustParseDimensions(capGroupBys[rnd.IntN(len(capGroupBys))])
		groups, perTime := exact(t, reqs, dims)
		maxGroups := 1 + rnd.IntN(200)
		parts := split(rnd, reqs)
		t.Run(fmt.Sprintf("seed %d %s cap %d, %d parts", seed, Names(dims), maxGroups, len(parts)), func(t *testing.T) {
			merged := NewMaxGroups(dims, maxGroups)
			for _, p := range parts {
				if err := merged.Merge(count(t, p, NewMaxGroups(dims, 1+rnd.IntN(300)))); err != nil {
					t.Fatal(err)
				}
			}
			checkCapped(t, merged, groups, perTime, maxGroups)
		})
	}
}

// A group kept whole by one summary and folded by the other is folded in
// their merge, whichever is merged into which.
func TestMergeFoldsWhatEitherFolded(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	dims := MustParseDimensions("date,path")
	a := req(at, "/a", "204")
	kept := count(t, []request{a, a, a, a, a}, NewMaxGroups(dims, 10))
	reqs := []request{a}
	for i := range 100 {
		reqs = append(reqs, req(at, fmt.Sprintf("/flood/%d", i), "404"))
	}
	folded := count(t, reqs, NewMaxGroups(dims, 10))
	if _, ok := folded.index[string(keyOf("2026-11-26", "/a"))]; ok {
		t.Fatal("the flood did not fold /a; the test needs it folded")
	}
	for _, order := range []string{"kept into folded", "folded into kept"} {
		t.Run(order, func(t *testing.T) {
			a, b := clone(t, kept), clone(t, folded)
			if order == "kept into folded" {
				a, b = b, a
			}
			if err := a.Merge(b); err != nil {
				t.Fatal(err)
			}
			for _, row := range a.Rows() {
				if row.Values[1] == "/a" {
					t.Errorf("/a has a row counting %d; 6 requests, one of them in an overflow row", row.Count)
				}
			}
			if a.Requests() != 106 {
				t.Errorf("%d requests, want 106", a.Requests())
			}
		})
	}
}

func keyOf(values ...string) []byte {
	var k []byte
	for _, v := range values {
		k = append(fmt.Appendf(k, "%c%c%c%c", 0, 0, 0, len(v)), v...)
	}
	return k
}

// clone copies s by merging it into an empty summary of its own cap.
func clone(t *testing.T, s *Summary) *Summary {
	t.Helper()
	c := NewMaxGroups(s.dims, s.maxGroups)
	if err := c.Merge(s); err != nil {
		t.Fatal(err)
	}
	return c
}

// Merging decoded capped summaries, as rollups do, keeps the guarantees
// too: a row is kept only where every summary that overflowed on its date
// had it whole.
func TestAddCountCapped(t *testing.T) {
	for seed := range uint64(40) {
		rnd := rand.New(rand.NewPCG(seed, 17))
		reqs := mixed(t, rnd, 200+rnd.IntN(2000))
		// Summaries grouped by date,path,status: decoded into date,path
		// (summed down) or into the same columns.
		fine := MustParseDimensions("date,path,status")
		dims := fine
		summedDown := rnd.IntN(2) == 0
		if summedDown {
			dims = MustParseDimensions("date,path")
		}
		groups, perTime := exact(t, reqs, dims)
		maxGroups := 1 + rnd.IntN(200)
		parts := split(rnd, reqs)
		t.Run(fmt.Sprintf("seed %d cap %d, %d parts, summed down %v", seed, maxGroups, len(parts), summedDown), func(t *testing.T) {
			merged := NewMaxGroups(dims, maxGroups)
			for _, p := range parts {
				var buf bytes.Buffer
				if err := count(t, p, NewMaxGroups(fine, 1+rnd.IntN(300))).Write(&buf, CSV); err != nil {
					t.Fatal(err)
				}
				d, err := decodeAll(t, buf.String(), CSV)
				if err != nil {
					t.Fatal(err)
				}
				for _, row := range d.rows {
					values := row.Values
					if summedDown {
						values = values[:2]
					}
					merged.AddCount(values, row.Count)
				}
				merged.EndInput(summedDown)
			}
			checkCapped(t, merged, groups, perTime, maxGroups)
		})
	}
}

// What EndInput folds, case by case.
func TestEndInput(t *testing.T) {
	type input struct {
		rows       []Row
		summedDown bool
	}
	row := func(date, path string, n int64) Row { return Row{Values: []string{date, path}, Count: n} }
	tests := []struct {
		name   string
		inputs []input
		want   []string // rows, as "date path count"
	}{
		{"no overflow: a plain merge", []input{
			{rows: []Row{row("d1", "/a", 1), row("d1", "/b", 2)}},
			{rows: []Row{row("d1", "/a", 3)}},
		}, []string{"d1 /a 4", "d1 /b 2"}},
		{"groups the overflowing summary lacks are folded; later ones too; other dates are not", []input{
			{rows: []Row{row("d1", "/a", 3), row("d1", "/b", 2), row("d2", "/b", 1)}},
			{rows: []Row{row("d1", "/a", 1), row("d1", Other, 10)}},
			{rows: []Row{row("d1", "/c", 4), row("d2", "/z", 1)}},
		}, []string{"d1 (other) 16", "d1 /a 4", "d2 /b 1", "d2 /z 1"}},
		{"a group opened in the overflowing summary itself stays", []input{
			{rows: []Row{row("d1", Other, 5), row("d1", "/new", 2)}},
			{rows: []Row{row("d1", "/new", 1), row("d1", "/later", 1)}},
		}, []string{"d1 (other) 6", "d1 /new 3"}},
		{"summed down: nothing of that date is known whole", []input{
			{rows: []Row{row("d1", "/a", 3), row("d2", "/a", 1)}},
			{rows: []Row{row("d1", "/a", 1), row("d1", Other, 10)}, summedDown: true},
		}, []string{"d1 (other) 14", "d2 /a 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := NewMaxGroups(MustParseDimensions("date,path"), 100)
			for _, in := range tt.inputs {
				for _, r := range in.rows {
					s.AddCount(r.Values, r.Count)
				}
				s.EndInput(in.summedDown)
			}
			var got []string
			for _, r := range s.Rows() {
				got = append(got, fmt.Sprintf("%s %s %d", r.Values[0], r.Values[1], r.Count))
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("rows %q, want %q", got, tt.want)
			}
		})
	}
}

// A summary by time columns only has nothing to fold: one row per hour,
// whatever the cap.
func TestCapLeavesTimeOnlySummaries(t *testing.T) {
	start := time.Date(2026, 11, 25, 22, 0, 0, 0, time.UTC)
	var reqs []request
	for h := range 5 {
		reqs = append(reqs, req(start.Add(time.Duration(h)*time.Hour), fmt.Sprintf("/%d", h), "204"))
	}
	s := count(t, reqs, NewMaxGroups(MustParseDimensions("date,hour"), 1))
	if rows := s.Rows(); len(rows) != 5 || s.OtherRequests() != 0 {
		t.Errorf("rows %v, want 5 hours", rows)
	}
}

// A group whose values are "(other)" for real cannot be told apart from
// the overflow row, so it is counted there, and the totals stay exact.
func TestRealOtherValueCountsInOverflowRow(t *testing.T) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var reqs []request
	for _, path := range []string{"/(other)", "/signup", "/(other)"} {
		reqs = append(reqs, req(at, path, "204"))
	}
	s := count(t, reqs, NewMaxGroups(MustParseDimensions("date,query:ev"), 10))
	var got []string
	for _, r := range s.Rows() {
		got = append(got, fmt.Sprintf("%s %s %d", r.Values[0], r.Values[1], r.Count))
	}
	want := []string{"2026-11-26 (other) 2", "2026-11-26 signup 1"}
	if !slices.Equal(got, want) {
		t.Errorf("rows %q, want %q", got, want)
	}
}

// Counting a request of a group the table holds stays free of allocations
// after floods have folded groups and reused their slots.
func TestAddAllocatesNothingAfterEvictions(t *testing.T) {
	reqs, frequent := frequentThroughFlood(3, 5, 0, 200, 2000, 2000, 0)
	s := count(t, reqs, NewMaxGroups(MustParseDimensions("date,path"), 100))
	var p accesslog.Parser
	known := make([]accesslog.Record, len(frequent))
	for i, path := range frequent {
		if err := p.Parse(req(time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC), path, "204").line, &known[i]); err != nil {
			t.Fatal(err)
		}
	}
	allocs := testing.AllocsPerRun(20, func() {
		for i := range known {
			s.Add(&known[i])
		}
	})
	if allocs != 0 {
		t.Errorf("counting %d known groups allocates %.1f times, want 0", len(known), allocs)
	}
}

func TestSelectFirst(t *testing.T) {
	for seed := range uint64(200) {
		rnd := rand.New(rand.NewPCG(seed, 19))
		v := make([]victim, rnd.IntN(500))
		for i := range v {
			// Few distinct rates, so that ties are common.
			v[i] = victim{rate: float64(rnd.IntN(5)) / 4, first: rnd.Int64N(50), slot: int32(i)}
		}
		if seed%3 == 0 { // already sorted, and reversed: a naive pivot's worst cases
			slices.SortFunc(v, func(a, b victim) int { return cmpVictims(a, b) * (int(seed%2)*2 - 1) })
		}
		want := slices.Clone(v)
		slices.SortFunc(want, cmpVictims)
		n := 0
		if len(v) > 0 {
			n = rnd.IntN(len(v) + 1)
		}
		selectFirst(v, n)
		got := slices.Clone(v[:n])
		slices.SortFunc(got, cmpVictims)
		if !slices.Equal(got, want[:n]) {
			t.Fatalf("seed %d: selectFirst(%d of %d) picked %v, want %v", seed, n, len(v), got, want[:n])
		}
	}
}

func cmpVictims(a, b victim) int {
	switch {
	case a.before(b):
		return -1
	case b.before(a):
		return 1
	}
	return 0
}

// BenchmarkAddFlood counts a flood of one-off paths with a few frequent
// ones among them, one in ten: nearly every line opens a group, and the
// table is full.
func BenchmarkAddFlood(b *testing.B) {
	at := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	var p accesslog.Parser
	var flood accesslog.Record
	if err := p.Parse(req(at, "/flood/00000000", "404").line, &flood); err != nil {
		b.Fatal(err)
	}
	// Rewritten in place for each request: a new path every time.
	digits := flood.URL[bytes.Index(flood.URL, []byte("/flood/"))+len("/flood/"):][:8]
	frequent := make([]accesslog.Record, 100)
	for i := range frequent {
		if err := p.Parse(req(at, fmt.Sprintf("/page/%d", i), "204").line, &frequent[i]); err != nil {
			b.Fatal(err)
		}
	}
	s := NewMaxGroups(MustParseDimensions("date,path"), 10_000)
	b.ReportAllocs()
	for i := uint32(0); b.Loop(); i++ {
		if i%10 == 0 {
			s.Add(&frequent[i/10%100])
			continue
		}
		const hex = "0123456789abcdef"
		for j := range digits {
			digits[j] = hex[i>>(28-4*j)&0xf]
		}
		s.Add(&flood)
	}
}

// split deals reqs at random into one to five parts.
func split(rnd *rand.Rand, reqs []request) [][]request {
	parts := make([][]request, 1+rnd.IntN(5))
	for _, r := range reqs {
		i := rnd.IntN(len(parts))
		parts[i] = append(parts[i], r)
	}
	return parts
}
