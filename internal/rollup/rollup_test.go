package rollup

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/errtest"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/summary"
)

const (
	bucket = "logs"
	date   = "2026-11-26"
)

// env is a bucket of summaries and a builder over it that never sleeps:
// its back-offs are recorded instead.
type env struct {
	t      *testing.T
	store  *objstoretest.Store
	b      *Builder
	mu     sync.Mutex
	waited []time.Duration
}

func newEnv(t *testing.T, groupBy string) *env {
	e := &env{t: t, store: &objstoretest.Store{}}
	e.b = e.builder(groupBy)
	return e
}

// builder is another builder over the same store, as a second function
// instance would be.
func (e *env) builder(groupBy string) *Builder {
	b := &Builder{
		Store: e.store, Bucket: bucket, SummaryPrefix: "summaries/", RollupPrefix: "rollups/",
		Jitter: func(max time.Duration) time.Duration { return max },
		Wait: func(ctx context.Context, d time.Duration) error {
			e.mu.Lock()
			e.waited = append(e.waited, d)
			e.mu.Unlock()
			return ctx.Err()
		},
	}
	if groupBy != "" {
		b.Dimensions = summary.MustParseDimensions(groupBy)
	}
	return b
}

// put writes a summary of date under name (with its extension).
func (e *env) put(date, name, body string) {
	e.t.Helper()
	if err := e.store.Put(context.Background(), bucket, "summaries/dt="+date+"/"+name, []byte(body), objstore.PutOptions{}); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) build(date string) Result {
	e.t.Helper()
	res, err := e.b.Build(context.Background(), date)
	if err != nil {
		e.t.Fatal(err)
	}
	return res
}

// rollup returns the rollup of date as rows "v1|v2 count", and its
// metadata; nil rows when there is none.
func (e *env) rollup(date string) (rows []string, meta map[string]string) {
	e.t.Helper()
	return readRollup(e.t, e.store, date)
}

func readRollup(t *testing.T, store objstore.ListStore, date string) (rows []string, meta map[string]string) {
	t.Helper()
	ctx := context.Background()
	info, err := store.Head(ctx, bucket, Key("rollups/", date))
	if errors.Is(err, objstore.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.Get(ctx, bucket, Key("rollups/", date))
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Body.Close()
	r := summary.NewReader(obj.Body, summary.JSONL)
	rows = []string{}
	for {
		values, n, err := r.Read()
		if err == io.EOF {
			return rows, info.Metadata
		}
		if err != nil {
			t.Fatalf("rollup of %s: %v", date, err)
		}
		rows = append(rows, fmt.Sprintf("%s %d", strings.Join(values, "|"), n))
	}
}

func (e *env) wantRows(date string, want ...string) {
	e.t.Helper()
	got, meta := e.rollup(date)
	if want == nil {
		want = []string{}
	}
	if !reflect.DeepEqual(got, want) {
		e.t.Errorf("rollup of %s holds %q, want %q", date, got, want)
	}
	// Its digest is its inputs' as they are now.
	inputs, _ := e.store.List(context.Background(), bucket, InputPrefix("summaries/", date))
	if meta[MetaDigest] != Digest(inputs) || meta[MetaInputs] != fmt.Sprint(len(inputs)) {
		e.t.Errorf("rollup of %s: metadata %v, want the digest and count of its %d inputs", date, meta, len(inputs))
	}
}

func TestBuildMergesEveryInput(t *testing.T) {
	e := newEnv(t, "")
	e.put(date, "a.csv", "date,path,count\n2026-11-26,/,2\n2026-11-26,/e,1\n")
	e.put(date, "b.csv", "date,path,count\n2026-11-26,/e,4\n2026-11-26,\"/a,b\",1\n")
	e.put(date, "c.jsonl", `{"date":"2026-11-26","path":"/","count":3}`+"\n")
	e.put("2026-11-27", "a.csv", "date,path,count\n2026-11-27,/,100\n") // another date
	res := e.build(date)
	want := Result{Date: date, Key: "rollups/dt=2026-11-26/rollup.jsonl", Outcome: Written, Inputs: 3, Rows: 3, Requests: 11, Attempts: 1}
	if res != want {
		t.Errorf("Build = %+v, want %+v", res, want)
	}
	obj, _ := e.store.Get(context.Background(), bucket, res.Key)
	body, _ := io.ReadAll(obj.Body)
	wantBody := `{"date":"2026-11-26","path":"/","count":5}` + "\n" +
		`{"date":"2026-11-26","path":"/a,b","count":1}` + "\n" +
		`{"date":"2026-11-26","path":"/e","count":5}` + "\n"
	if string(body) != wantBody {
		t.Errorf("rollup:\n%s\nwant:\n%s", body, wantBody)
	}
	info, _ := e.store.Head(context.Background(), bucket, res.Key)
	inputs, _ := e.store.List(context.Background(), bucket, "summaries/dt=2026-11-26/")
	wantMeta := map[string]string{MetaInputs: "3", MetaDigest: Digest(inputs), MetaGroupBy: "date%2Cpath", MetaRequests: "11", MetaMaxGroups: "100000"}
	if !maps.Equal(info.Metadata, wantMeta) {
		t.Errorf("metadata %v, want %v", info.Metadata, wantMeta)
	}
	if ct := e.store.ContentType(bucket, res.Key); ct != "application/x-ndjson" {
		t.Errorf("content type %q", ct)
	}
}

func TestDigest(t *testing.T) {
	a := objstore.ObjectInfo{Key: "summaries/dt=2026-11-26/a.csv", ETag: `"0cc175b9c0f1b6a831c399e269772661"`}
	b := objstore.ObjectInfo{Key: "summaries/dt=2026-11-26/b.csv", ETag: `"92eb5ffee6ae2fec3ad71c777531578f"`}
	// sha256 of the two lines, computed apart from the code:
	// printf 'summaries/dt=2026-11-26/a.csv\t0cc175b9c0f1b6a831c399e269772661\nsummaries/dt=2026-11-26/b.csv\t92eb5ffee6ae2fec3ad71c777531578f\n' | sha256sum
	const want = "7b5e28088b62e01c5f0ff9201653a2e0061c68431a1c42efffbefc323dac732c"
	if got := Digest([]objstore.ObjectInfo{b, a}); got != want {
		t.Errorf("Digest = %s, want %s", got, want)
	}
	unquoted := a
	unquoted.ETag = objstore.ETagValue(a.ETag)
	if Digest([]objstore.ObjectInfo{a, b}) != Digest([]objstore.ObjectInfo{b, unquoted}) {
		t.Error("quotes around an ETag change the digest")
	}
	changed := b
	changed.ETag = `"00000000000000000000000000000000"`
	if Digest([]objstore.ObjectInfo{a, b}) == Digest([]objstore.ObjectInfo{a, changed}) {
		t.Error("a changed input keeps the digest")
	}
	if Digest([]objstore.ObjectInfo{a, b}) == Digest([]objstore.ObjectInfo{a}) {
		t.Error("a removed input keeps the digest")
	}
}

// Every delivery pattern of the summaries of a date, one after the other
// on one bucket: the rollup always holds each input exactly once.
func TestDeliveryPatterns(t *testing.T) {
	e := newEnv(t, "path")
	a := "path,count\n/a,1\n/b,2\n"
	steps := []struct {
		name    string
		do      func()
		outcome Outcome
		want    []string // nil: no rollup
	}{
		{"nothing yet", func() {}, NoInputs, nil},
		{"first file", func() { e.put(date, "f1.csv", a) }, Written, []string{"/a 1", "/b 2"}},
		{"built again", func() {}, Unchanged, []string{"/a 1", "/b 2"}},
		{"same file delivered twice: the same bytes rewritten", func() { e.put(date, "f1.csv", a) }, Unchanged, []string{"/a 1", "/b 2"}},
		{"a second file", func() { e.put(date, "f2.csv", "path,count\n/b,5\n/c,1\n") }, Written, []string{"/a 1", "/b 7", "/c 1"}},
		{"a file reprocessed with other content", func() { e.put(date, "f1.csv", "path,count\n/a,3\n") }, Written, []string{"/a 3", "/b 5", "/c 1"}},
		{"a file deleted", func() { e.store.Delete(bucket, "summaries/dt="+date+"/f2.csv") }, Written, []string{"/a 3"}},
		{"every file deleted: an empty rollup", func() { e.store.Delete(bucket, "summaries/dt="+date+"/f1.csv") }, Written, []string{}},
		{"and it stays empty", func() {}, Unchanged, []string{}},
		{"a file again", func() { e.put(date, "f3.jsonl", `{"path":"/z","count":9}`+"\n") }, Written, []string{"/z 9"}},
	}
	for _, st := range steps {
		st.do()
		res := e.build(date)
		if res.Outcome != st.outcome {
			t.Errorf("%s: outcome %s, want %s", st.name, res.Outcome, st.outcome)
		}
		got, _ := e.rollup(date)
		if !reflect.DeepEqual(got, st.want) {
			t.Errorf("%s: rollup %q, want %q", st.name, got, st.want)
		}
	}
}

// An unchanged rollup is not written again: its ETag stays, and a write
// would have failed here.
func TestUnchangedWritesNothing(t *testing.T) {
	e := newEnv(t, "")
	e.put(date, "f1.csv", "path,count\n/a,1\n")
	e.build(date)
	e.store.FailPuts(errors.New("no write expected"))
	if res := e.build(date); res.Outcome != Unchanged {
		t.Errorf("outcome %s", res.Outcome)
	}
}

// A new group-by rebuilds rollups whose inputs have not changed.
func TestGroupByChangeRebuilds(t *testing.T) {
	e := newEnv(t, "date,path")
	e.put(date, "f1.csv", "date,path,status,count\n2026-11-26,/a,204,1\n2026-11-26,/a,404,2\n")
	e.build(date)
	e.wantRows(date, "2026-11-26|/a 3")
	e.b = e.builder("date,status")
	if res := e.build(date); res.Outcome != Written {
		t.Fatalf("outcome %s, want a rebuild for the new group-by", res.Outcome)
	}
	e.wantRows(date, "2026-11-26|204 1", "2026-11-26|404 2")
	if _, meta := e.rollup(date); meta[MetaGroupBy] != "date%2Cstatus" {
		t.Errorf("group-by metadata %q", meta[MetaGroupBy])
	}
}

// A new cap rebuilds rollups whose inputs have not changed.
func TestMaxGroupsChangeRebuilds(t *testing.T) {
	e := newEnv(t, "")
	e.put(date, "f1.csv", "date,path,count\n2026-11-26,/a,3\n2026-11-26,/b,1\n2026-11-26,/c,1\n")
	e.build(date)
	e.wantRows(date, "2026-11-26|/a 3", "2026-11-26|/b 1", "2026-11-26|/c 1")
	e.b.MaxGroups = 2
	if res := e.build(date); res.Outcome != Written || res.Other != 1 {
		t.Fatalf("build %+v, want a rebuild for the new cap with 1 request in (other)", res)
	}
	e.wantRows(date, "2026-11-26|(other) 1", "2026-11-26|/a 3", "2026-11-26|/c 1")
	if _, meta := e.rollup(date); meta[MetaMaxGroups] != "2" || meta[MetaOther] != "1" || meta[MetaRequests] != "5" {
		t.Errorf("metadata %v", meta)
	}
	if res := e.build(date); res.Outcome != Unchanged {
		t.Errorf("outcome %s, want unchanged", res.Outcome)
	}
}

// Summaries that overflowed: their (other) rows go to the rollup's, and
// so does every group of those dates (and hours) that they have no row
// for, since their (other) row may hold part of it. Rows of their own
// stay exact; totals per date and hour too.
func TestOverflowingInputs(t *testing.T) {
	tests := []struct {
		name    string
		groupBy string
		inputs  map[string]string
		want    []string
	}{
		{"an (other) row folds the groups its summary lacks, on its date only", "",
			map[string]string{
				"1.csv": "date,path,count\n2026-11-26,/a,3\n2026-11-26,/b,2\n2026-11-27,/b,1\n",
				"2.csv": "date,path,count\n2026-11-26,(other),10\n2026-11-26,/a,1\n",
				"3.csv": "date,path,count\n2026-11-26,/c,4\n2026-11-27,/z,1\n",
			},
			[]string{"2026-11-26|(other) 16", "2026-11-26|/a 4", "2026-11-27|/b 1", "2026-11-27|/z 1"}},
		{"by hour: only the hour that overflowed", "",
			map[string]string{
				"1.csv": "hour,path,count\n2026-11-26T10,/a,3\n2026-11-26T11,/a,2\n",
				"2.csv": "hour,path,count\n2026-11-26T11,(other),7\n2026-11-26T11,/b,1\n",
			},
			[]string{"2026-11-26T10|/a 3", "2026-11-26T11|(other) 9", "2026-11-26T11|/b 1"}},
		{"summed down: every group of the date folds", "date,path",
			map[string]string{
				"1.csv": "date,path,count\n2026-11-26,/a,3\n2026-11-27,/a,1\n",
				"2.csv": "date,path,status,count\n2026-11-26,(other),(other),5\n2026-11-26,/a,204,1\n",
			},
			[]string{"2026-11-26|(other) 9", "2026-11-27|/a 1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.groupBy)
			for name, body := range tt.inputs {
				e.put(date, name, body)
			}
			e.build(date)
			e.wantRows(date, tt.want...)
		})
	}
}

// The rollup is capped like any summary: at most MaxGroups rows of their
// own, each exact, the rest in (other), the total exact.
func TestRollupIsCapped(t *testing.T) {
	e := newEnv(t, "")
	e.b.MaxGroups = 10
	want := map[string]int64{}
	for f := range 5 {
		var body strings.Builder
		body.WriteString("date,path,count\n")
		// /keep is in every summary; each summary adds 20 paths of its own.
		fmt.Fprintf(&body, "2026-11-26,/keep,%d\n", 100+f)
		want["/keep"] += int64(100 + f)
		for i := range 20 {
			path := fmt.Sprintf("/f%d/%02d", f, i)
			fmt.Fprintf(&body, "2026-11-26,%s,1\n", path)
			want[path]++
		}
		e.put(date, fmt.Sprintf("%d.csv", f), body.String())
	}
	res := e.build(date)
	if res.Requests != 610 || res.Other == 0 || res.Rows > 11 {
		t.Errorf("build %+v: want 610 requests, some in (other), at most 10 rows and (other)", res)
	}
	rows, _ := e.rollup(date)
	kept := false
	for _, r := range rows {
		var values string
		var n int64
		fmt.Sscanf(r, "%s %d", &values, &n)
		path := strings.TrimPrefix(values, "2026-11-26|")
		if path == "(other)" {
			continue
		}
		if n != want[path] {
			t.Errorf("%s counts %d, want %d", path, n, want[path])
		}
		kept = kept || path == "/keep"
	}
	if !kept {
		t.Errorf("/keep, in every summary, lost its row: %q", rows)
	}
}

// A rollup depends on the set of its inputs, not on the order a listing
// gives them in, even when the cap makes the order of merging matter.
func TestMergeOrderDoesNotMatter(t *testing.T) {
	e := newEnv(t, "")
	e.b.MaxGroups = 4
	for f := range 4 {
		var body strings.Builder
		body.WriteString("date,path,count\n")
		for i := range 6 {
			fmt.Fprintf(&body, "2026-11-26,/p%d,%d\n", (f*3+i)%9, 1+(f+i)%3)
		}
		e.put(date, fmt.Sprintf("%d.csv", f), body.String())
	}
	inputs, err := e.store.List(context.Background(), bucket, InputPrefix("summaries/", date))
	if err != nil {
		t.Fatal(err)
	}
	var first []summary.Row
	for i := range 8 {
		order := slices.Clone(inputs)
		rand.New(rand.NewPCG(uint64(i), 1)).Shuffle(len(order), func(a, b int) { order[a], order[b] = order[b], order[a] })
		merged, err := e.b.merge(context.Background(), date, order)
		if err != nil {
			t.Fatal(err)
		}
		if i == 0 {
			first = merged.Rows()
			continue
		}
		if got := merged.Rows(); !reflect.DeepEqual(got, first) {
			t.Fatalf("inputs in order %d: rows %v, in order 0: %v", i, got, first)
		}
	}
}

// Summaries of one date written with different settings over time.
func TestMixedInputs(t *testing.T) {
	datePath := "date,path,count\n2026-11-26,/a,1\n2026-11-26,/b,1\n"
	withStatus := "date,path,status,count\n2026-11-26,/a,204,2\n2026-11-26,/a,404,3\n"
	jsonl := `{"date":"2026-11-26","path":"/a","count":10}` + "\n"
	tests := []struct {
		name    string
		groupBy string
		inputs  map[string]string
		want    []string
		wantErr []string
	}{
		{"configured: a superset is summed down", "date,path",
			map[string]string{"1.csv": datePath, "2.csv": withStatus, "3.jsonl": jsonl},
			[]string{"2026-11-26|/a 16", "2026-11-26|/b 1"}, nil},
		{"configured: columns in another order", "path,date",
			map[string]string{"1.csv": datePath}, []string{"/a|2026-11-26 1", "/b|2026-11-26 1"}, nil},
		{"configured: an input lacks a column", "date,status",
			map[string]string{"1.csv": datePath, "2.csv": withStatus},
			nil, []string{"rollup of 2026-11-26", "logs/summaries/dt=2026-11-26/1.csv", `no column "status"`}},
		{"from the inputs: all alike", "",
			map[string]string{"1.csv": datePath, "2.jsonl": jsonl}, []string{"2026-11-26|/a 11", "2026-11-26|/b 1"}, nil},
		{"from the inputs: they differ", "",
			map[string]string{"1.csv": datePath, "2.csv": withStatus},
			nil, []string{"logs/summaries/dt=2026-11-26/2.csv", `["date" "path" "status"] differ`, "1.csv has \"date,path\"", "pass the group-by"}},
		{"a file that is not a summary", "",
			map[string]string{"1.csv": datePath, "notes.txt": "hello"},
			nil, []string{"logs/summaries/dt=2026-11-26/notes.txt", "not a summary"}},
		{"a summary that cannot be read", "",
			map[string]string{"1.csv": "date,path,count\n2026-11-26,/a,many\n"},
			nil, []string{"logs/summaries/dt=2026-11-26/1.csv: line 2:", `count "many"`}},
		// Raw bytes in CSV and U+FFFD in JSON Lines are the same value once
		// written as JSON: one row, not two that print alike.
		{"invalid UTF-8 in CSV and JSON Lines", "path",
			map[string]string{"1.csv": "path,count\n/caf\xe9,1\n/caf\xc3\xa9,1\n", "2.jsonl": `{"path":"/caf\ufffd","count":2}` + "\n"},
			[]string{"/café 1", "/caf\ufffd 3"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, tt.groupBy)
			for name, body := range tt.inputs {
				e.put(date, name, body)
			}
			res, err := e.b.Build(context.Background(), date)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; rollup %+v", res)
				}
				errtest.Mentions(t, err, tt.wantErr...)
				if rows, _ := e.rollup(date); rows != nil {
					t.Errorf("a failed build wrote %q", rows)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			e.wantRows(date, tt.want...)
		})
	}
}

func TestBadDate(t *testing.T) {
	e := newEnv(t, "")
	for _, d := range []string{"2026-11-32", "20261126", "", "2026-11-26/x"} {
		if _, err := e.b.Build(context.Background(), d); err == nil || !strings.Contains(err.Error(), "YYYY-MM-DD") {
			t.Errorf("Build(%q): %v", d, err)
		}
	}
}
