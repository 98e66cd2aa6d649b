package rollup

import (
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/objstore"
)

// The same race on a real S3-compatible server that serves requests in
// parallel and checks conditional writes itself: writers adding summaries
// and building, and sweepers building, all at once on one date; in a
// bucket without versioning, and in a versioned one, as the stack's are,
// where every replace keeps the old version and If-Match must be judged
// against the current one. Skipped without PMDP_VERSITYGW (make test sets
// it).
func TestRaceOnVersityGW(t *testing.T) {
	for _, tt := range []struct {
		name  string
		start func(testing.TB, ...string) *s3.Client
	}{
		{"unversioned", localtest.VersityGW},
		{"versioned", localtest.VersionedVersityGW},
	} {
		t.Run(tt.name, func(t *testing.T) {
			client := tt.start(t, bucket)
			b := &Builder{
				Store: objstore.S3{Client: client}, Bucket: bucket, SummaryPrefix: "summaries/", RollupPrefix: "rollups/",
				Backoff: 5 * time.Millisecond, MaxBackoff: 100 * time.Millisecond, MaxAttempts: 50,
			}
			raceBuilders(t, b.Store, b, 40, 3)
		})
	}
}
