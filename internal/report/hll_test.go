package report

import (
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/hll"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/summary"
)

// sketch is the base64 distinct_hll of values.
func sketch(values ...string) string {
	s := hll.New()
	for _, v := range values {
		s.AddString(v)
	}
	text, _ := s.MarshalText()
	return string(text)
}

// Real sketches, as summaries hold them: a day's visitors are their
// union, not the sum of the rows'.
func TestHLLSketch(t *testing.T) {
	csv := "date,path,count,distinct,distinct_hll\n" +
		"2026-11-24,/,5,3," + sketch("a", "b", "c") + "\n" +
		"2026-11-24,/x,2,2," + sketch("c", "d") + "\n" +
		"2026-11-25,/x,1,1," + sketch("e") + "\n"
	b := &Builder{NewSketch: NewHLLSketch}
	if err := b.Add(strings.NewReader(csv), summary.CSV, "obj", ""); err != nil {
		t.Fatal(err)
	}
	if got := b.Data().Visitors; !slices.Equal(got, []int64{4, 1}) {
		t.Errorf("visitors %v, want [4 1]", got)
	}

	bad := "date,path,count,distinct,distinct_hll\n2026-11-24,/,1,1," + sketch("a") + "\n2026-11-24,/x,1,1,AgQAAA==\n"
	b = &Builder{NewSketch: NewHLLSketch}
	if err := b.Add(strings.NewReader(bad), summary.CSV, "obj", ""); err == nil || !strings.HasPrefix(err.Error(), "obj:3: ") {
		t.Errorf("a sketch of 16 buckets: error %v, want one naming obj:3", err)
	}
}

// The published report merges the rows' sketches into each day's
// visitors.
func TestPublishCountsVisitors(t *testing.T) {
	ctx := context.Background()
	store := &objstoretest.Store{}
	now := time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)
	body := `{"date":"2026-11-26","path":"/","count":4,"distinct":3,"distinct_hll":"` + sketch("a", "b", "c") + `"}` + "\n" +
		`{"date":"2026-11-26","path":"/x","count":2,"distinct":2,"distinct_hll":"` + sketch("b", "z") + `"}` + "\n"
	store.Put(ctx, "logs", "rollups/dt=2026-11-26/rollup.jsonl", []byte(body), objstore.PutOptions{})
	if _, err := Publish(ctx, store, "logs", "rollups/", contract.ReportKey, 1, now); err != nil {
		t.Fatal(err)
	}
	obj, err := store.Get(ctx, "logs", contract.ReportKey)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(obj.Body)
	var d Data
	if err := jsonUnmarshal(between(string(page), `id="pmdp-data">`, "</script>"), &d); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(d.Visitors, []int64{4}) {
		t.Errorf("visitors %v, want [4]: the union of the rows' sketches", d.Visitors)
	}
}
