package objstoretest

import (
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"sync"
	"testing"

	"github.com/pmdp/pmdp/internal/objstore"
)

// TestListStore checks that store behaves as S3 does where rollups rely on
// it: reads, metadata, listing, and conditional writes alone and racing.
// It writes only keys under prefix in bucket, which must be empty there.
// Run against Store, the S3 client on S3-compatible servers and
// objstore.Dir, it shows that tests on Store hold for the others.
func TestListStore(t *testing.T, store objstore.ListStore, bucket, prefix string) {
	ctx := context.Background()
	k := func(name string) string { return prefix + name }
	put := func(t *testing.T, key, body string, p objstore.PutOptions) error {
		t.Helper()
		return store.Put(ctx, bucket, key, []byte(body), p)
	}
	must := func(t *testing.T, err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	body := func(t *testing.T, key string) string {
		t.Helper()
		obj, err := store.Get(ctx, bucket, key)
		must(t, err)
		defer obj.Body.Close()
		b, err := io.ReadAll(obj.Body)
		must(t, err)
		return string(b)
	}
	head := func(t *testing.T, key string) objstore.ObjectInfo {
		t.Helper()
		info, err := store.Head(ctx, bucket, key)
		must(t, err)
		return info
	}
	refused := func(t *testing.T, err error, what string) {
		t.Helper()
		if !errors.Is(err, objstore.ErrPreconditionFailed) {
			t.Errorf("%s: %v, want ErrPreconditionFailed", what, err)
		}
	}

	t.Run("metadata and ETags agree across calls", func(t *testing.T) {
		meta := map[string]string{"pmdp-inputs": "2", "pmdp-inputs-digest": "ab12"}
		must(t, put(t, k("meta/a"), "one\n", objstore.PutOptions{ContentType: "application/x-ndjson", Metadata: meta}))
		must(t, put(t, k("meta/b"), "two\n", objstore.PutOptions{}))
		info := head(t, k("meta/a"))
		if !maps.Equal(info.Metadata, meta) || info.Size != 4 || info.Key != k("meta/a") {
			t.Errorf("Head = %+v, want metadata %v and size 4", info, meta)
		}
		obj, err := store.Get(ctx, bucket, k("meta/a"))
		must(t, err)
		obj.Body.Close()
		listed, err := store.List(ctx, bucket, k("meta/"))
		must(t, err)
		if len(listed) != 2 || listed[0].Key != k("meta/a") || listed[1].Key != k("meta/b") {
			t.Fatalf("List = %+v, want meta/a and meta/b", listed)
		}
		v := objstore.ETagValue
		if info.ETag == "" || v(obj.ETag) != v(info.ETag) || v(listed[0].ETag) != v(info.ETag) || listed[0].Size != 4 {
			t.Errorf("ETags: Head %s, Get %s, List %s; want one value", info.ETag, obj.ETag, listed[0].ETag)
		}
		if v(listed[1].ETag) == v(info.ETag) {
			t.Errorf("two bodies share ETag %s", info.ETag)
		}
		if _, err := store.Head(ctx, bucket, k("meta/missing")); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("Head of a missing object: %v, want ErrNotFound", err)
		}
	})

	t.Run("create only where absent", func(t *testing.T) {
		key := k("create")
		must(t, put(t, key, "first", objstore.PutOptions{IfNoneMatch: "*"}))
		refused(t, put(t, key, "second", objstore.PutOptions{IfNoneMatch: "*"}), "creating over an object")
		if got := body(t, key); got != "first" {
			t.Errorf("after a refused create: %q", got)
		}
	})

	t.Run("replace only the object read", func(t *testing.T) {
		key := k("swap")
		must(t, put(t, key, "v1", objstore.PutOptions{}))
		v1 := head(t, key).ETag
		must(t, put(t, key, "v2", objstore.PutOptions{IfMatch: v1}))
		v2 := head(t, key).ETag
		if objstore.ETagValue(v2) == objstore.ETagValue(v1) {
			t.Fatalf("ETag %s unchanged by a new body", v2)
		}
		refused(t, put(t, key, "v3", objstore.PutOptions{IfMatch: v1}), "replacing with a stale ETag")
		if got := body(t, key); got != "v2" {
			t.Errorf("after a refused replace: %q", got)
		}
		must(t, put(t, key, "v3", objstore.PutOptions{IfMatch: objstore.ETagValue(v2)})) // quotes are optional
		if got := body(t, key); got != "v3" {
			t.Errorf("after replacing: %q", got)
		}
	})

	t.Run("replace what is gone", func(t *testing.T) {
		key := k("gone")
		refused(t, put(t, key, "x", objstore.PutOptions{IfMatch: `"0123456789abcdef0123456789abcdef"`}), "replacing a missing object")
		if _, err := store.Head(ctx, bucket, key); !errors.Is(err, objstore.ErrNotFound) {
			t.Errorf("a refused replace wrote: %v", err)
		}
	})

	race := func(t *testing.T, key string, opts objstore.PutOptions) {
		const n = 8
		errs := make([]error, n)
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() { errs[i] = put(t, key, fmt.Sprint("writer ", i), opts) })
		}
		wg.Wait()
		winner := -1
		for i, err := range errs {
			switch {
			case err == nil && winner >= 0:
				t.Errorf("writers %d and %d both succeeded", winner, i)
			case err == nil:
				winner = i
			case !errors.Is(err, objstore.ErrPreconditionFailed) && !errors.Is(err, objstore.ErrConflict):
				t.Errorf("writer %d: %v, want ErrPreconditionFailed or ErrConflict", i, err)
			}
		}
		if winner < 0 {
			t.Fatal("no writer succeeded")
		}
		if got := body(t, key); got != fmt.Sprint("writer ", winner) {
			t.Errorf("stored %q, but writer %d won", got, winner)
		}
	}
	t.Run("racing creates: one wins", func(t *testing.T) {
		race(t, k("race-create"), objstore.PutOptions{IfNoneMatch: "*"})
	})
	t.Run("racing replaces of one version: one wins", func(t *testing.T) {
		key := k("race-swap")
		must(t, put(t, key, "base", objstore.PutOptions{}))
		race(t, key, objstore.PutOptions{IfMatch: head(t, key).ETag})
	})
}
