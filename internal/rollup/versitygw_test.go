package rollup

import (
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/objstore"
)

// The same race on a real S3-compatible server that serves requests in
// parallel and checks conditional writes itself: writers adding summaries
// and building, and sweepers building, all at once on one date. Skipped
// without PMDP_VERSITYGW (make test sets it).
func TestRaceOnVersityGW(t *testing.T) {
	client := localtest.VersityGW(t, bucket)
	b := &Builder{
		Store: objstore.S3{Client: client}, Bucket: bucket, SummaryPrefix: "summaries/", RollupPrefix: "rollups/",
		Backoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 50,
	}
	raceBuilders(t, b.Store, b, 40, 3)
}
