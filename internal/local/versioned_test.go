package local_test

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/pmdp/pmdp/internal/local"
)

// checkVersioned checks that the pipeline's bucket is versioned, as the
// stack's are, and that replacing rollups kept their old versions: the
// conditional writes the test saw ran against a versioned bucket. It
// returns how many old versions of rollups there are.
func checkVersioned(t *testing.T, p *local.Pipeline) int {
	t.Helper()
	ctx := context.Background()
	v, err := p.S3.GetBucketVersioning(ctx, &s3.GetBucketVersioningInput{Bucket: aws.String(p.Bucket)})
	if err != nil {
		t.Fatalf("bucket %s's versioning: %v", p.Bucket, err)
	}
	if v.Status != types.BucketVersioningStatusEnabled {
		t.Errorf("bucket %s's versioning is %q, want %q", p.Bucket, v.Status, types.BucketVersioningStatusEnabled)
	}
	old := 0
	pager := s3.NewListObjectVersionsPaginator(p.S3, &s3.ListObjectVersionsInput{Bucket: aws.String(p.Bucket), Prefix: aws.String("rollups/")})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			t.Fatalf("listing the rollups' versions: %v", err)
		}
		for _, ver := range page.Versions {
			if !aws.ToBool(ver.IsLatest) {
				old++
			}
		}
		if len(page.DeleteMarkers) > 0 {
			t.Errorf("%d delete markers under rollups/: nothing in the pipeline deletes a rollup", len(page.DeleteMarkers))
		}
	}
	if old == 0 {
		t.Errorf("no old version of any rollup in bucket %s: the replaced rollups were not kept", p.Bucket)
	}
	return old
}
