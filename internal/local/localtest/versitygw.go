package localtest

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
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
	return versityGW(t, false, buckets)
}

// VersionedVersityGW is VersityGW with versioning enabled on each bucket,
// as the stack enables it on the buckets it creates: a PUT over an object
// keeps the old version, and a DELETE without a version ID leaves a delete
// marker as the current version.
func VersionedVersityGW(t testing.TB, buckets ...string) *s3.Client {
	t.Helper()
	return versityGW(t, true, buckets)
}

func versityGW(t testing.TB, versioned bool, buckets []string) *s3.Client {
	t.Helper()
	bin := Tool(t, "PMDP_VERSITYGW")
	addr := freeAddr(t)
	root := t.TempDir()
	args := []string{"--port", addr, "--access", local.AccessKey, "--secret", local.SecretKey, "posix"}
	if versioned {
		// Old versions live outside the root, whose directories are buckets.
		args = append(args, "--versioning-dir", filepath.Join(root, "versions"))
	}
	args = append(args, filepath.Join(root, "s3"))
	cmd := exec.Command(bin, args...)
	if err := mkdirs(filepath.Join(root, "s3"), filepath.Join(root, "versions")); err != nil {
		t.Fatal(err)
	}
	serve(t, "versitygw", cmd, addr)
	client := local.Client("http://" + addr)
	ctx := context.Background()
	for _, b := range buckets {
		if _, err := client.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("creating bucket %s: %v", b, err)
		}
		if !versioned {
			continue
		}
		if err := local.EnableVersioning(ctx, client, b); err != nil {
			t.Fatal(err)
		}
	}
	return client
}
