package rollup

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/hll"
	"github.com/pmdp/pmdp/internal/summary"
)

// visitors returns the visitor values from to to-1.
func visitors(from, to int) []string {
	var v []string
	for i := from; i < to; i++ {
		v = append(v, fmt.Sprintf("198.51.100.%d agent/%d", i%250, i/250))
	}
	return v
}

func sketchOf(values []string) *hll.Sketch {
	s := hll.New()
	for _, v := range values {
		s.AddString(v)
	}
	return s
}

// putDistinct writes a summary of date, grouped by date and path, whose
// row for each path has one request and one visitor for each of its
// visitors.
func (e *env) putDistinct(name string, f summary.Format, byPath map[string][]string) {
	e.t.Helper()
	s := summary.NewDistinct(summary.MustParseDimensions("date,path"), 100, summary.MustParseDistinct("visitor"))
	for path, v := range byPath {
		s.AddRow([]string{date, path}, int64(len(v)), sketchOf(v))
	}
	var buf bytes.Buffer
	if err := s.Write(&buf, f); err != nil {
		e.t.Fatal(err)
	}
	e.put(date, name, buf.String())
}

// distinctRollup returns the rollup's rows as path → count and sketch.
func (e *env) distinctRollup() (counts map[string]int64, sketches map[string]*hll.Sketch) {
	e.t.Helper()
	obj, err := e.store.Get(context.Background(), bucket, Key("rollups/", date))
	if err != nil {
		e.t.Fatal(err)
	}
	defer obj.Body.Close()
	r := summary.NewReader(obj.Body, summary.JSONL)
	counts, sketches = map[string]int64{}, map[string]*hll.Sketch{}
	for {
		values, n, err := r.Read()
		if err == io.EOF {
			return counts, sketches
		}
		if err != nil {
			e.t.Fatal(err)
		}
		sketch, err := r.Sketch()
		if err != nil {
			e.t.Fatal(err)
		}
		counts[values[1]], sketches[values[1]] = n, sketch
	}
}

// Overlapping inputs: the rollup's sketch of a path is the sketch of the
// union of its visitors, so its estimate is the union's count, not the
// sum of the inputs' estimates.
func TestRollupMergesSketches(t *testing.T) {
	e := newEnv(t, "")
	e.b.Distinct = summary.MustParseDistinct("visitor")
	e.putDistinct("a.csv", summary.CSV, map[string][]string{"/": visitors(0, 4000), "/e": visitors(0, 1000)})
	e.putDistinct("b.jsonl", summary.JSONL, map[string][]string{"/": visitors(2000, 6000)})
	e.putDistinct("c.csv", summary.CSV, map[string][]string{"/": visitors(3000, 5000), "/e": visitors(500, 1500)})
	if res := e.build(date); res.Outcome != Written || res.Requests != 4000+4000+2000+1000+1000 {
		t.Fatalf("Build = %+v", res)
	}
	counts, sketches := e.distinctRollup()
	for path, union := range map[string][]string{"/": visitors(0, 6000), "/e": visitors(0, 1500)} {
		want, _ := sketchOf(union).MarshalBinary()
		got, _ := sketches[path].MarshalBinary()
		if !bytes.Equal(got, want) {
			t.Errorf("%s: the rollup's sketch (%d) is not the union's (%d)", path, sketches[path].Estimate(), len(union))
		}
		// The sum of the inputs' would be 10,000 and 2,000.
		if est, n := sketches[path].Estimate(), int64(len(union)); max(est-n, n-est) > n/20 {
			t.Errorf("%s: estimate %d, want %d within 5%%", path, est, n)
		}
	}
	if counts["/"] != 10000 || counts["/e"] != 2000 {
		t.Errorf("counts %v, want the sums", counts)
	}
	// The cap recorded is the one the rollup held to: distinct counts
	// lower the default 100,000.
	if _, meta := e.rollup(date); meta[MetaDistinct] != "visitor" || meta[MetaMaxGroups] != "20000" {
		t.Errorf("metadata %v, want %s: visitor and %s: 20000", meta, MetaDistinct, MetaMaxGroups)
	}
	// Asking for the same cap outright changes nothing.
	e.b.MaxGroups = summary.MaxDistinctGroups
	if res := e.build(date); res.Outcome != Unchanged {
		t.Errorf("with MaxGroups %d, the same rollup is %v, want unchanged", e.b.MaxGroups, res.Outcome)
	}
}

func TestRollupNeedsDistinctColumns(t *testing.T) {
	e := newEnv(t, "")
	e.b.Distinct = summary.MustParseDistinct("visitor")
	e.putDistinct("a.csv", summary.CSV, map[string][]string{"/": visitors(0, 10)})
	e.put(date, "b.csv", "date,path,count\n2026-11-26,/,2\n")
	_, err := e.b.Build(context.Background(), date)
	if err == nil || !strings.Contains(err.Error(), "logs/summaries/dt=2026-11-26/b.csv: no distinct columns") {
		t.Errorf("Build = %v, want an error naming b.csv", err)
	}
}

// A changed Distinct rebuilds the rollup; without it, the inputs'
// distinct columns are left out.
func TestRollupRebuiltWhenDistinctChanges(t *testing.T) {
	e := newEnv(t, "")
	e.putDistinct("a.csv", summary.CSV, map[string][]string{"/": visitors(0, 10)})
	if res := e.build(date); res.Outcome != Written {
		t.Fatalf("first build: %v", res.Outcome)
	}
	e.wantRows(date, "2026-11-26|/ 10")
	if obj, err := e.store.Get(context.Background(), bucket, Key("rollups/", date)); err != nil {
		t.Fatal(err)
	} else {
		body, _ := io.ReadAll(obj.Body)
		obj.Body.Close()
		if bytes.Contains(body, []byte("distinct")) {
			t.Errorf("rollup without Distinct has distinct columns: %s", body)
		}
	}
	for _, step := range []struct {
		distinct string
		want     Outcome
	}{{"visitor", Written}, {"visitor", Unchanged}, {"query:uid", Written}, {"", Written}, {"", Unchanged}} {
		e.b.Distinct = summary.MustParseDistinct(step.distinct)
		if res := e.build(date); res.Outcome != step.want {
			t.Errorf("build with distinct %q: %v, want %v", step.distinct, res.Outcome, step.want)
		}
	}
}
