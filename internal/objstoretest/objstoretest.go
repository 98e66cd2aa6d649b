// Package objstoretest provides an in-memory objstore.Store for tests, and
// Objects, which reads back what a store holds under a prefix.
package objstoretest

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"fmt"
	"io"
	"slices"
	"strings"
	"sync"

	"github.com/pmdp/pmdp/internal/objstore"
)

// Store is an objstore.Store in memory, safe for concurrent use. Every
// bucket exists. Put keeps the body only, not PutOptions: tests of content
// types and metadata need an S3 server. The zero value is an empty store.
type Store struct {
	mu      sync.Mutex
	objects map[location][]byte
	failPut error
}

type location struct{ bucket, key string }

// Get opens bucket/key. A missing object gives an error wrapping
// objstore.ErrNotFound. Like S3 for an object written in one PUT, the ETag
// is the quoted hex MD5 of the body.
func (s *Store) Get(ctx context.Context, bucket, key string) (*objstore.Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s/%s: get: %w", bucket, key, err)
	}
	s.mu.Lock()
	body, ok := s.objects[location{bucket, key}]
	s.mu.Unlock()
	if !ok {
		return nil, fmt.Errorf("%s/%s: %w", bucket, key, objstore.ErrNotFound)
	}
	sum := md5.Sum(body)
	return &objstore.Object{
		Body: io.NopCloser(bytes.NewReader(body)),
		Size: int64(len(body)),
		ETag: `"` + hex.EncodeToString(sum[:]) + `"`,
	}, nil
}

// Put writes a copy of body to bucket/key, replacing any object there,
// unless FailPuts made writes fail.
func (s *Store) Put(ctx context.Context, bucket, key string, body []byte, _ objstore.PutOptions) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s/%s: put: %w", bucket, key, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPut != nil {
		return fmt.Errorf("%s/%s: put: %w", bucket, key, s.failPut)
	}
	if s.objects == nil {
		s.objects = map[location][]byte{}
	}
	s.objects[location{bucket, key}] = bytes.Clone(body)
	return nil
}

// FailPuts makes every later Put fail with an error wrapping err, writing
// nothing, as a store that refuses writes would; FailPuts(nil) ends that.
func (s *Store) FailPuts(err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.failPut = err
}

// Keys lists the keys under prefix in bucket in bytewise order, as S3
// does.
func (s *Store) Keys(ctx context.Context, bucket, prefix string) ([]string, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s/%s: list: %w", bucket, prefix, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	var keys []string
	for loc := range s.objects {
		if loc.bucket == bucket && strings.HasPrefix(loc.key, prefix) {
			keys = append(keys, loc.key)
		}
	}
	slices.Sort(keys)
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
