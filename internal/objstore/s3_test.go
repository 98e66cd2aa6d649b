package objstore_test

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

func TestS3(t *testing.T) {
	client := objstoretest.FakeS3(t, "bkt")
	ctx := context.Background()
	store := objstore.S3{Client: client}

	meta := map[string]string{"pmdp-lines": "3"}
	if err := store.Put(ctx, "bkt", "dir/k é.csv", []byte("a,b\n"), objstore.PutOptions{ContentType: "text/csv", Metadata: meta}); err != nil {
		t.Fatal(err)
	}
	obj, err := store.Get(ctx, "bkt", "dir/k é.csv")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(obj.Body)
	obj.Body.Close()
	if string(body) != "a,b\n" || obj.Size != 4 || obj.ETag == "" {
		t.Errorf("got %q size %d etag %q", body, obj.Size, obj.ETag)
	}
	head, err := client.HeadObject(ctx, &s3.HeadObjectInput{Bucket: aws.String("bkt"), Key: aws.String("dir/k é.csv")})
	if err != nil {
		t.Fatal(err)
	}
	if head.Metadata["pmdp-lines"] != "3" || aws.ToString(head.ContentType) != "text/csv" {
		t.Errorf("metadata %v, content type %q", head.Metadata, aws.ToString(head.ContentType))
	}

	store.Put(ctx, "bkt", "dir/a", nil, objstore.PutOptions{})
	store.Put(ctx, "bkt", "other", nil, objstore.PutOptions{})
	keys, err := store.Keys(ctx, "bkt", "dir/")
	if err != nil || len(keys) != 2 || keys[0] != "dir/a" || keys[1] != "dir/k é.csv" {
		t.Errorf("Keys(dir/) = %q, %v", keys, err)
	}
	if _, err := store.Keys(ctx, "no-such-bucket", ""); err == nil || !strings.Contains(err.Error(), "s3://no-such-bucket/") {
		t.Errorf("listing a missing bucket: %v", err)
	}
	if _, err := store.Get(ctx, "bkt", "missing"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("missing key: %v, want objstore.ErrNotFound", err)
	}
	_, err = store.Get(ctx, "no-such-bucket", "k")
	if err == nil || errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("missing bucket: %v, want an error that is not objstore.ErrNotFound", err)
	}
	if err := store.Put(ctx, "no-such-bucket", "k", nil, objstore.PutOptions{}); err == nil {
		t.Error("put into a missing bucket succeeded")
	}
}
