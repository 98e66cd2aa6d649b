package localtest

import (
	"context"
	"os/exec"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/local"
)

// VersityGW starts versitygw alone (no bucket events), creates buckets
// and returns a client for it; the server stops when the test ends. For
// tests of S3 behaviour that gofakes3 lacks, such as racing conditional
// writes on a server that handles requests in parallel. Without
// PMDP_VERSITYGW the test is skipped (fails when CI is set).
func VersityGW(t testing.TB, buckets ...string) *s3.Client {
	t.Helper()
	bin := Tool(t, "PMDP_VERSITYGW")
	addr := freeAddr(t)
	cmd := exec.Command(bin, "--port", addr, "--access", local.AccessKey, "--secret", local.SecretKey, "posix", t.TempDir())
	serve(t, "versitygw", cmd, addr)
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String("http://" + addr), UsePathStyle: true, Region: local.Region,
		Credentials: credentials.NewStaticCredentialsProvider(local.AccessKey, local.SecretKey, ""),
	})
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("creating bucket %s: %v", b, err)
		}
	}
	return client
}
