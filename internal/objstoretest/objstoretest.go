// Package objstoretest provides an in-memory objstore.ListStore for tests,
// with hooks that make races and failures happen at a chosen call;
// Objects, which reads back what a store holds under a prefix; and FakeS3,
// an S3 server in the test's process for code that talks to S3 through
// the AWS SDK.
package objstoretest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/pmdp/pmdp/internal/objstore"
)

// Store is an objstore.ListStore in memory, safe for concurrent use. Every
// bucket exists. It keeps each object's body, content type and metadata,
// and honours conditional writes as S3 does. The zero value is an empty
// store.
type Store struct {
	mu      sync.Mutex
	objects map[location]stored
	failPut error
	hooks   map[hook][]func() error
}

type location struct{ bucket, key string }

type stored struct {
	body        []byte
	etag        string
	contentType string
	metadata    map[string]string
}

// An Op is a kind of call, for Before.
type Op string

const (
	OpGet  Op = "get"
	OpHead Op = "head"
	OpList Op = "list"
	OpPut  Op = "put"
)

type hook struct {
	op  Op
	key string
}

// Before arranges for f to run once, at the next call op on key (for
// OpList, the next listing of exactly that prefix), in any bucket, before
// the call does anything else. If f returns an error, the call fails with
// it, as when a server answers 409; otherwise it goes on and sees what f
// did. f runs without the store's lock, so it may use the store, as a
// racing writer would (its own calls can meet the next hook). Hooks for
// the same call run in the order they were added, one a call.
func (s *Store) Before(op Op, key string, f func() error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.hooks == nil {
		s.hooks = map[hook][]func() error{}
	}
	h := hook{op, key}
	s.hooks[h] = append(s.hooks[h], f)
}

// runHook runs the next hook for op on key, if any.
func (s *Store) runHook(op Op, bucket, key string) error {
	s.mu.Lock()
	h := hook{op, key}
	fs := s.hooks[h]
	if len(fs) == 0 {
		s.mu.Unlock()
		return nil
	}
	f := fs[0]
	if len(fs) == 1 {
		delete(s.hooks, h)
	} else {
		s.hooks[h] = fs[1:]
	}
	s.mu.Unlock()
	if err := f(); err != nil {
		return fmt.Errorf("%s/%s: %s: %w", bucket, key, op, err)
	}
	return nil
}

// Get opens bucket/key. A missing object gives an error wrapping
// objstore.ErrNotFound. Like S3 for an object written in one PUT, the ETag
// is the quoted hex MD5 of the body.
func (s *Store) Get(ctx context.Context, bucket, key string) (*objstore.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s/%s: get: %w", bucket, key, err)
	}
	if err := s.runHook(OpGet, bucket, key); err != nil {
		return nil, err
	}
	s.mu.Lock()
	obj, ok := s.objects[location{bucket, key}]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", bucket, key, objstore.ErrNotFound)
	}
	return &objstore.Object{
		Body: io.NopCloser(bytes.NewReader(obj.body)),
		Size: int64(len(obj.body)),
		ETag: obj.etag,
	}, nil
}

// Head describes bucket/key, its metadata included.
func (s *Store) Head(ctx context.Context, bucket, key string) (objstore.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return objstore.ObjectInfo{}, fmt.Errorf("%s/%s: head: %w", bucket, key, err)
	}
	if err := s.runHook(OpHead, bucket, key); err != nil {
		return objstore.ObjectInfo{}, err
	}
	s.mu.Lock()
	obj, ok := s.objects[location{bucket, key}]
	s.mu.Unlock()
	if !ok {
		return objstore.ObjectInfo{}, fmt.Errorf("%s/%s: %w", bucket, key, objstore.ErrNotFound)
	}
	return objstore.ObjectInfo{Key: key, ETag: obj.etag, Size: int64(len(obj.body)), Metadata: maps.Clone(obj.metadata)}, nil
}

// Put writes a copy of body to bucket/key, unless FailPuts made writes
// fail or p's condition does not hold (objstore.ErrPreconditionFailed).
// The check and the write happen under one lock, so of racing conditional
// writes exactly the ones S3 would accept succeed.
func (s *Store) Put(ctx context.Context, bucket, key string, body []byte, p objstore.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s/%s: put: %w", bucket, key, err)
	}
	if err := s.runHook(OpPut, bucket, key); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPut != nil {
		return fmt.Errorf("%s/%s: put: %w", bucket, key, s.failPut)
	}
	loc := location{bucket, key}
	cur, exists := s.objects[loc]
	switch {
	case p.IfMatch != "" && p.IfNoneMatch != "":
		return fmt.Errorf("%s/%s: put: IfMatch and IfNoneMatch are both set", bucket, key)
	case p.IfNoneMatch != "" && p.IfNoneMatch != "*":
		return fmt.Errorf("%s/%s: put: IfNoneMatch %q: only * is supported, as on S3", bucket, key, p.IfNoneMatch)
	case p.IfNoneMatch == "*" && exists:
		return fmt.Errorf("%s/%s: put: %w: the object exists", bucket, key, objstore.ErrPreconditionFailed)
	case p.IfMatch != "" && !exists:
		return fmt.Errorf("%s/%s: put: %w: no object to match %s", bucket, key, objstore.ErrPreconditionFailed, p.IfMatch)
	case p.IfMatch != "" && objstore.ETagValue(cur.etag) != objstore.ETagValue(p.IfMatch):
		return fmt.Errorf("%s/%s: put: %w: ETag is %s, not %s", bucket, key, objstore.ErrPreconditionFailed, cur.etag, p.IfMatch)
	}
	if s.objects == nil {
		s.objects = map[location]stored{}
	}
	sum := md5.Sum(body)
	s.objects[loc] = stored{
		body:        bytes.Clone(body),
		etag:        `"` + hex.EncodeToString(sum[:]) + `"`,
		contentType: p.ContentType,
		metadata:    maps.Clone(p.Metadata),
	}
	return nil
}

// Delete removes bucket/key, if there.
func (s *Store) Delete(bucket, key string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.objects, location{bucket, key})
}

// ContentType is the content type bucket/key was written with.
func (s *Store) ContentType(bucket, key string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.objects[location{bucket, key}].contentType
}

// FailPuts makes every later Put fail with an error wrapping err, writing
// nothing, as a store that refuses writes would; FailPuts(nil) ends that.
func (s *Store) FailPuts(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPut = err
}

// List describes the objects under prefix in bucket in bytewise key
// order, as S3 does.
func (s *Store) List(ctx context.Context, bucket, prefix string) ([]objstore.ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s/%s: list: %w", bucket, prefix, err)
	}
	if err := s.runHook(OpList, bucket, prefix); err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var objects []objstore.ObjectInfo
	for loc, obj := range s.objects {
		if loc.bucket == bucket && strings.HasPrefix(loc.key, prefix) {
			objects = append(objects, objstore.ObjectInfo{Key: loc.key, ETag: obj.etag, Size: int64(len(obj.body))})
		}
	}
	slices.SortFunc(objects, func(a, b objstore.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}

// Keys lists the keys under prefix in bucket in bytewise order, as S3
// does.
func (s *Store) Keys(ctx context.Context, bucket, prefix string) ([]string, error) {
	objects, err := s.List(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	var keys []string
	for _, o := range objects {
		keys = append(keys, o.Key)
	}
	return keys, nil
}

// Lister is a store that can also list keys, as Store and objstore.S3 can.
type Lister interface {
	objstore.Store
	Keys(ctx context.Context, bucket, prefix string) ([]string, error)
}

// Objects reads every object under prefix in bucket and returns their
// bodies by key. It is meant for the few small objects a test writes.
func Objects(ctx context.Context, store Lister, bucket, prefix string) (map[string]string, error) {
	keys, err := store.Keys(ctx, bucket, prefix)
	if err != nil {
		return nil, err
	}
	out := make(map[string]string, len(keys))
	for _, k := range keys {
		obj, err := store.Get(ctx, bucket, k)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(obj.Body)
		obj.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("%s/%s: read: %w", bucket, k, err)
		}
		out[k] = string(b)
	}
	return out, nil
}
