// Package objstore is the small object-store interface the processing core
// reads logs from and writes summaries to, with an S3 implementation.
package objstore

import (
	"context"
	"errors"
	"io"
)

// ErrNotFound is returned (wrapped) by Get when the object does not exist.
var ErrNotFound = errors.New("object not found")

// Object is an object being read.
type Object struct {
	Body io.ReadCloser
	Size int64  // -1 when unknown
	ETag string // as the store reports it, quotes included; may be empty
}

// Store reads and writes whole objects.
type Store interface {
	// Get opens an object for reading. The caller closes Body.
	Get(ctx context.Context, bucket, key string) (*Object, error)
	// Put writes an object whole, replacing any object at that key. A Put
	// that fails leaves either the old object or the new one, never a mix.
	Put(ctx context.Context, bucket, key string, body []byte, p PutOptions) error
}

// PutOptions describe an object written by Put.
type PutOptions struct {
	ContentType string
	Metadata    map[string]string // user metadata; ASCII keys and values
}
