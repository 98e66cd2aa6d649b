package report

import (
	"context"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

// The published report shows the rollups of the window, up to today, and
// nothing older; without rollups nothing is written.
func TestPublish(t *testing.T) {
	ctx := context.Background()
	store := &objstoretest.Store{}
	now := time.Date(2026, 11, 26, 13, 0, 0, 0, time.UTC)
	if n, err := Publish(ctx, store, "logs", "rollups/", contract.ReportKey, 3, now); n != 0 || err != nil {
		t.Fatalf("without rollups: %d bytes, %v", n, err)
	}
	if keys, _ := store.Keys(ctx, "logs", ""); len(keys) != 0 {
		t.Fatalf("without rollups it wrote %q", keys)
	}
	for date, body := range map[string]string{
		"2026-11-23": `{"date":"2026-11-23","path":"/","count":100}`, // before the window
		"2026-11-24": `{"date":"2026-11-24","path":"/","count":3}`,
		"2026-11-26": `{"date":"2026-11-26","path":"/","count":4}`,
	} {
		store.Put(ctx, "logs", "rollups/dt="+date+"/rollup.jsonl", []byte(body+"\n"), objstore.PutOptions{})
	}
	n, err := Publish(ctx, store, "logs", "rollups/", contract.ReportKey, 3, now)
	if err != nil || n == 0 {
		t.Fatalf("%d bytes, %v", n, err)
	}
	obj, err := store.Get(ctx, "logs", contract.ReportKey)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(obj.Body)
	if len(page) != n || store.ContentType("logs", contract.ReportKey) != ContentType {
		t.Errorf("%d bytes of %s written, %d reported", len(page), store.ContentType("logs", contract.ReportKey), n)
	}
	var d Data
	raw := between(string(page), `id="pmdp-data">`, "</script>")
	if err := jsonUnmarshal(raw, &d); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(d.Dates, " "); got != "2026-11-24 2026-11-25 2026-11-26" || d.Requests[0] != 3 || d.Requests[2] != 4 {
		t.Errorf("dates %s, requests %v", got, d.Requests)
	}
}
