// Package objstore is the small object-store interface the processing core
// reads logs from and writes summaries and rollups to, with an S3
// implementation and one over a local directory.
package objstore

import (
	"context"
	"errors"
	"io"
	"strings"
)

// ErrNotFound is returned (wrapped) by Get and Head when the object does
// not exist.
var ErrNotFound = errors.New("object not found")

// Errors of a conditional Put (see PutOptions), returned wrapped.
var (
	// ErrPreconditionFailed: the object is not as the condition said (S3's
	// 412, or 404 for IfMatch on an object that is gone). Read it again.
	ErrPreconditionFailed = errors.New("precondition failed")
	// ErrConflict: another conditional write to the key was under way
	// (S3's 409 ConditionalRequestConflict). Read the object again.
	ErrConflict = errors.New("conditional request conflict")
)

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
	// Put writes an object whole, replacing any object at that key unless
	// p sets a condition. A Put that fails leaves either the old object or
	// the new one, never a mix.
	Put(ctx context.Context, bucket, key string, body []byte, p PutOptions) error
}

// PutOptions describe an object written by Put.
type PutOptions struct {
	ContentType string
	Metadata    map[string]string // user metadata; ASCII keys and values
	// IfMatch writes the object only over the one whose ETag it is
	// (compare-and-swap); IfNoneMatch "*" only where there is none
	// (create). At most one of them is set. A condition that does not
	// hold gives ErrPreconditionFailed, a conditional write racing another
	// ErrConflict; either way nothing is written.
	IfMatch     string
	IfNoneMatch string
}

// ObjectInfo describes a stored object without its body.
type ObjectInfo struct {
	Key      string
	ETag     string // as the store reports it, quotes included
	Size     int64
	Metadata map[string]string // from Head; List leaves it nil
}

// ListStore is a Store that can also list objects and read an object's
// description without its body, as building rollups needs.
type ListStore interface {
	Store
	// List describes every object whose key starts with prefix, in
	// bytewise key order.
	List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error)
	// Head describes one object, user metadata included; a missing one
	// gives an error wrapping ErrNotFound.
	Head(ctx context.Context, bucket, key string) (ObjectInfo, error)
}

// ETagValue is an ETag without its quotes, so that ETags compare equal
// whichever call or server reported them.
func ETagValue(etag string) string { return strings.Trim(etag, `"`) }

// errBothConditions refuses a Put with both conditions: S3 would evaluate
// both, but S3-compatible servers differ, and no caller needs it.
var errBothConditions = errors.New("IfMatch and IfNoneMatch are both set")
