package objstore

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// S3 is a Store backed by Amazon S3 or an S3-compatible server.
type S3 struct {
	Client *s3.Client
}

// Get opens bucket/key. A missing object gives an error wrapping
// ErrNotFound; a missing bucket does not, because it is a
// misconfiguration, not an object that is gone.
func (s S3) Get(ctx context.Context, bucket, key string) (*Object, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("s3://%s/%s: %w", bucket, key, ErrNotFound)
		}
		return nil, fmt.Errorf("s3://%s/%s: get: %w", bucket, key, err)
	}
	return &Object{Body: out.Body, Size: aws.ToInt64(out.ContentLength), ETag: aws.ToString(out.ETag)}, nil
}

// Put writes body to bucket/key in one PUT request, which S3 applies
// atomically, with p's condition if it has one (S3's conditional writes:
// If-Match, If-None-Match).
func (s S3) Put(ctx context.Context, bucket, key string, body []byte, p PutOptions) error {
	if p.IfMatch != "" && p.IfNoneMatch != "" {
		return fmt.Errorf("s3://%s/%s: put: %w", bucket, key, errBothConditions)
	}
	in := &s3.PutObjectInput{
		Bucket:        &bucket,
		Key:           &key,
		Body:          bytes.NewReader(body),
		ContentLength: aws.Int64(int64(len(body))),
		Metadata:      p.Metadata,
	}
	if p.ContentType != "" {
		in.ContentType = &p.ContentType
	}
	if p.IfMatch != "" {
		in.IfMatch = &p.IfMatch
	}
	if p.IfNoneMatch != "" {
		in.IfNoneMatch = &p.IfNoneMatch
	}
	if _, err := s.Client.PutObject(ctx, in); err != nil {
		if cond := conditionError(err, p); cond != nil {
			return fmt.Errorf("s3://%s/%s: put: %w: %w", bucket, key, cond, err)
		}
		return fmt.Errorf("s3://%s/%s: put: %w", bucket, key, err)
	}
	return nil
}

// conditionError tells which of ErrPreconditionFailed and ErrConflict a
// failed conditional Put's err means, if either. The SDK does not retry
// either one. A 409 answers only a write that raced another, and retrying
// from a fresh read is always safe, so every 409 to a conditional write is
// a conflict, whatever code a server gives it. S3 answers If-Match on a
// key that no longer exists with 404 (and some servers with 412): the
// object is not the one read either way. A missing bucket is neither.
func conditionError(err error, p PutOptions) error {
	if p.IfMatch == "" && p.IfNoneMatch == "" {
		return nil
	}
	code := ""
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		code = apiErr.ErrorCode()
	}
	status := 0
	var respErr *smithyhttp.ResponseError
	if errors.As(err, &respErr) {
		status = respErr.HTTPStatusCode()
	}
	switch {
	case status == http.StatusPreconditionFailed || code == "PreconditionFailed":
		return ErrPreconditionFailed
	case status == http.StatusConflict || code == "ConditionalRequestConflict":
		return ErrConflict
	case p.IfMatch != "" && isNotFound(err):
		return ErrPreconditionFailed
	}
	return nil
}

// Head describes bucket/key with its user metadata. HEAD answers carry no
// body, so a missing bucket also reads as ErrNotFound here.
func (s S3) Head(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	out, err := s.Client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: &bucket, Key: &key})
	if err != nil {
		if isNotFound(err) {
			return ObjectInfo{}, fmt.Errorf("s3://%s/%s: %w", bucket, key, ErrNotFound)
		}
		return ObjectInfo{}, fmt.Errorf("s3://%s/%s: head: %w", bucket, key, err)
	}
	return ObjectInfo{Key: key, ETag: aws.ToString(out.ETag), Size: aws.ToInt64(out.ContentLength), Metadata: out.Metadata}, nil
}

// isNotFound tells a missing object from other failures. A missing bucket
// is a misconfiguration, not an object that is gone, so it is not one.
func isNotFound(err error) bool {
	var noKey *types.NoSuchKey
	var noBucket *types.NoSuchBucket
	switch {
	case errors.As(err, &noBucket):
		return false
	case errors.As(err, &noKey):
		return true
	}
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		switch apiErr.ErrorCode() {
		case "NoSuchBucket":
			return false
		case "NotFound", "NoSuchKey":
			return true
		}
	}
	var respErr *smithyhttp.ResponseError
	return errors.As(err, &respErr) && respErr.HTTPStatusCode() == http.StatusNotFound
}

// NewS3FromEnv returns an S3 store configured like any AWS SDK program:
// credentials, region and endpoint from the standard variables and files.
// An endpoint override (AWS_ENDPOINT_URL_S3 or AWS_ENDPOINT_URL) means an
// S3-compatible server, which needs path-style addressing: its bucket
// names do not resolve as host names.
func NewS3FromEnv(ctx context.Context) (S3, error) {
	cfg, err := config.LoadDefaultConfig(ctx)
	if err != nil {
		return S3{}, fmt.Errorf("loading AWS configuration: %w", err)
	}
	custom := os.Getenv("AWS_ENDPOINT_URL_S3") != "" || os.Getenv("AWS_ENDPOINT_URL") != ""
	return S3{Client: s3.NewFromConfig(cfg, func(o *s3.Options) {
		o.UsePathStyle = custom
		// Objects that S3-compatible servers return without a checksum
		// would each print a line on stderr ("Response has no supported
		// checksum"), which reads like a failure and says nothing to do.
		o.DisableLogOutputChecksumValidationSkipped = true
	})}, nil
}

// Keys lists the keys under prefix in bucket, in S3's order (bytewise).
func (s S3) Keys(ctx context.Context, bucket, prefix string) ([]string, error) {
	objects, err := s.List(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	keys := make([]string, len(objects))
	for i, o := range objects {
		keys[i] = o.Key
	}
	return keys, nil
}

// List describes the objects under prefix in bucket, in S3's order
// (bytewise). S3's listing is strongly consistent: an object whose PUT
// has returned is listed.
func (s S3) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	var objects []ObjectInfo
	pager := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{Bucket: &bucket, Prefix: &prefix})
	for pager.HasMorePages() {
		page, err := pager.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("s3://%s/%s: list: %w", bucket, prefix, err)
		}
		for _, o := range page.Contents {
			objects = append(objects, ObjectInfo{Key: aws.ToString(o.Key), ETag: aws.ToString(o.ETag), Size: aws.ToInt64(o.Size)})
		}
	}
	return objects, nil
}
