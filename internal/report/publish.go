package report

import (
	"bytes"
	"context"
	"fmt"
	"time"

	"github.com/pmdp/pmdp/internal/objstore"
)

// PublishDays is how many days the report the stack publishes shows (it
// goes to contract.ReportKey in the summary bucket).
const PublishDays = 90

// ContentType is the report page's.
const ContentType = "text/html; charset=utf-8"

// Publish writes to key in bucket the report of the rollups under
// rollupPrefix of the days dates up to now's (UTC), as the rollup sweep
// does when the stack publishes a report. It returns the page's size; no
// rollup in those days writes nothing and returns 0.
func Publish(ctx context.Context, store objstore.ListStore, bucket, rollupPrefix, key string, days int, now time.Time) (int, error) {
	until := now.UTC()
	b := &Builder{
		Since:     until.AddDate(0, 0, 1-days).Format(time.DateOnly),
		Until:     until.Format(time.DateOnly),
		Sources:   []string{"s3://" + bucket + "/" + rollupPrefix},
		Now:       func() time.Time { return now },
		NewSketch: NewHLLSketch,
	}
	n, err := b.ReadLocation(ctx, store, bucket, rollupPrefix)
	if err != nil || n == 0 {
		return 0, err
	}
	var page bytes.Buffer
	if err := b.WriteHTML(&page); err != nil {
		return 0, err
	}
	if err := store.Put(ctx, bucket, key, page.Bytes(), objstore.PutOptions{ContentType: ContentType}); err != nil {
		return 0, fmt.Errorf("publishing the report to %s/%s: %w", bucket, key, err)
	}
	return page.Len(), nil
}
