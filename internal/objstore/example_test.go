package objstore_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/objstore"
)

// An S3 store on a local S3-compatible server: path-style addressing and
// static credentials. Nothing listens on the port, so Get fails, and the
// error names the object.
func ExampleS3() {
	client := s3.New(s3.Options{
		BaseEndpoint:     aws.String("http://127.0.0.1:1"),
		UsePathStyle:     true,
		Region:           "us-east-1",
		Credentials:      credentials.NewStaticCredentialsProvider("AK", "SK", ""),
		RetryMaxAttempts: 1,
	})
	var store objstore.Store = objstore.S3{Client: client}
	_, err := store.Get(context.Background(), "logs", "AWSLogs/x.log.gz")
	fmt.Println(err != nil, errors.Is(err, objstore.ErrNotFound))
	fmt.Println(err.Error()[:33])
	// Output:
	// true false
	// s3://logs/AWSLogs/x.log.gz: get:
}
