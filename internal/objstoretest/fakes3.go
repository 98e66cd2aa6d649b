package objstoretest

import (
	"context"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3Client returns an AWS SDK client for the S3-compatible server at url:
// path-style addressing, static credentials and a single attempt per
// request, so that a test sees each answer the server gives.
func S3Client(url string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint:     aws.String(url),
		UsePathStyle:     true,
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
		RetryMaxAttempts: 1,
	})
}

// FakeS3 starts an S3 server in this process (gofakes3, in memory) with
// the given buckets and returns a client for it; the server stops when the
// test ends. The client's BaseEndpoint is the server's URL.
func FakeS3(t testing.TB, buckets ...string) *s3.Client {
	t.Helper()
	return FakeS3Behind(t, nil, buckets...)
}

// FakeS3Behind is FakeS3 with the handler front returns standing in front
// of the server, to watch or change requests. A nil front is none.
func FakeS3Behind(t testing.TB, front func(s3 http.Handler) http.Handler, buckets ...string) *s3.Client {
	t.Helper()
	h := gofakes3.New(s3mem.New()).Server()
	if front != nil {
		h = front(h)
	}
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	client := S3Client(srv.URL)
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("creating bucket %s: %v", b, err)
		}
	}
	return client
}
