package objstore_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/local/localtest"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

// The S3 store keeps S3's rules on gofakes3 (in process, one request at a
// time) and on versitygw (a real server, requests in parallel).
func TestS3BehavesLikeS3(t *testing.T) {
	t.Run("gofakes3", func(t *testing.T) {
		client := objstoretest.FakeS3(t, "bkt")
		objstoretest.TestListStore(t, objstore.S3{Client: client}, "bkt", "conformance/")
	})
	t.Run("versitygw", func(t *testing.T) {
		client := localtest.VersityGW(t, "bkt")
		objstoretest.TestListStore(t, objstore.S3{Client: client}, "bkt", "conformance/")
	})
}

// What S3 answers to a conditional PUT that does not go through, and what
// Put makes of it. gofakes3 never answers 409, so this server answers as
// S3 documents.
func TestConditionalPutErrors(t *testing.T) {
	const ifMatch, ifNone, plain = "if-match", "if-none-match", "unconditional"
	tests := []struct {
		name, condition string
		status          int
		code            string
		want            error // nil: neither sentinel
	}{
		{"stale ETag", ifMatch, 412, "PreconditionFailed", objstore.ErrPreconditionFailed},
		{"object exists", ifNone, 412, "PreconditionFailed", objstore.ErrPreconditionFailed},
		{"conflict on replace", ifMatch, 409, "ConditionalRequestConflict", objstore.ErrConflict},
		{"conflict on create", ifNone, 409, "ConditionalRequestConflict", objstore.ErrConflict},
		{"a 409 under another code", ifNone, 409, "OperationAborted", objstore.ErrConflict},
		{"replace an object that is gone", ifMatch, 404, "NoSuchKey", objstore.ErrPreconditionFailed},
		{"create in a missing bucket", ifNone, 404, "NoSuchBucket", nil},
		{"replace in a missing bucket", ifMatch, 404, "NoSuchBucket", nil},
		{"access denied", ifMatch, 403, "AccessDenied", nil},
		{"a 409 to an unconditional put", plain, 409, "OperationAborted", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var sent http.Header
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				sent = r.Header.Clone()
				w.Header().Set("Content-Type", "application/xml")
				w.WriteHeader(tt.status)
				fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>m</Message></Error>`, tt.code)
			}))
			defer srv.Close()
			var p objstore.PutOptions
			switch tt.condition {
			case ifMatch:
				p.IfMatch = `"abc"`
			case ifNone:
				p.IfNoneMatch = "*"
			}
			err := objstore.S3{Client: objstoretest.S3Client(srv.URL)}.Put(context.Background(), "bkt", "rollups/k", []byte("x"), p)
			if err == nil || !strings.Contains(err.Error(), "s3://bkt/rollups/k: put: ") || !strings.Contains(err.Error(), tt.code) {
				t.Fatalf("error %v, want one naming the object and the code %s", err, tt.code)
			}
			for _, sentinel := range []error{objstore.ErrPreconditionFailed, objstore.ErrConflict} {
				if got := errors.Is(err, sentinel); got != (sentinel == tt.want) {
					t.Errorf("errors.Is(%v, %v) = %v", err, sentinel, got)
				}
			}
			if sent.Get("If-Match") != p.IfMatch || sent.Get("If-None-Match") != p.IfNoneMatch {
				t.Errorf("sent If-Match %q, If-None-Match %q; want %q, %q", sent.Get("If-Match"), sent.Get("If-None-Match"), p.IfMatch, p.IfNoneMatch)
			}
		})
	}
	err := objstore.S3{Client: objstoretest.S3Client("http://127.0.0.1:1")}.Put(context.Background(), "bkt", "k", nil, objstore.PutOptions{IfMatch: `"a"`, IfNoneMatch: "*"})
	if err == nil || !strings.Contains(err.Error(), "both set") {
		t.Errorf("both conditions: %v", err)
	}
}
