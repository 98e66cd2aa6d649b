package objstoretest

import (
	"context"
	"crypto/md5"
	"encoding/hex"
	"errors"
	"io"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/pmdp/pmdp/internal/objstore"
)

var (
	_ objstore.Store = (*Store)(nil)
	_ Lister         = (*Store)(nil)
	_ Lister         = objstore.S3{}
)

func read(t *testing.T, s *Store, bucket, key string) string {
	t.Helper()
	obj, err := s.Get(context.Background(), bucket, key)
	if err != nil {
		t.Fatalf("Get(%s, %s): %v", bucket, key, err)
	}
	defer obj.Body.Close()
	b, err := io.ReadAll(obj.Body)
	if err != nil {
		t.Fatal(err)
	}
	if obj.Size != int64(len(b)) {
		t.Errorf("Size %d for %d bytes", obj.Size, len(b))
	}
	return string(b)
}

func TestGetPut(t *testing.T) {
	ctx := context.Background()
	var s Store
	_, err := s.Get(ctx, "logs", "a/x.log.gz")
	if !errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), "logs/a/x.log.gz") {
		t.Errorf("Get on an empty store: %v, want ErrNotFound naming logs/a/x.log.gz", err)
	}

	body := []byte("date,count\n")
	if err := s.Put(ctx, "logs", "a/x.csv", body, objstore.PutOptions{ContentType: "text/csv"}); err != nil {
		t.Fatal(err)
	}
	body[0] = 'D' // the store kept a copy
	if got := read(t, &s, "logs", "a/x.csv"); got != "date,count\n" {
		t.Errorf("read back %q", got)
	}
	obj, _ := s.Get(ctx, "logs", "a/x.csv")
	sum := md5.Sum([]byte("date,count\n"))
	if want := `"` + hex.EncodeToString(sum[:]) + `"`; obj.ETag != want {
		t.Errorf("ETag %s, want %s", obj.ETag, want)
	}
	if _, err := s.Get(ctx, "other", "a/x.csv"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("the key in another bucket: %v, want ErrNotFound", err)
	}

	if err := s.Put(ctx, "logs", "a/x.csv", []byte("new"), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &s, "logs", "a/x.csv"); got != "new" {
		t.Errorf("after replacing: %q", got)
	}
	if err := s.Put(ctx, "logs", "empty", nil, objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &s, "logs", "empty"); got != "" {
		t.Errorf("empty object: %q", got)
	}
}

func TestFailPuts(t *testing.T) {
	ctx := context.Background()
	var s Store
	s.Put(ctx, "logs", "k", []byte("old"), objstore.PutOptions{})
	refused := errors.New("AccessDenied")
	s.FailPuts(refused)
	err := s.Put(ctx, "logs", "k", []byte("new"), objstore.PutOptions{})
	if !errors.Is(err, refused) || !strings.Contains(err.Error(), "logs/k") {
		t.Errorf("Put while failing: %v, want an error wrapping AccessDenied and naming logs/k", err)
	}
	if err := s.Put(ctx, "logs", "other", []byte("x"), objstore.PutOptions{}); err == nil {
		t.Error("a second Put while failing succeeded")
	}
	if got := read(t, &s, "logs", "k"); got != "old" {
		t.Errorf("a failed Put wrote: %q", got)
	}
	if keys, _ := s.Keys(ctx, "logs", ""); !reflect.DeepEqual(keys, []string{"k"}) {
		t.Errorf("keys after failed puts: %q", keys)
	}
	s.FailPuts(nil)
	if err := s.Put(ctx, "logs", "k", []byte("new"), objstore.PutOptions{}); err != nil {
		t.Fatal(err)
	}
	if got := read(t, &s, "logs", "k"); got != "new" {
		t.Errorf("after FailPuts(nil): %q", got)
	}
}

func TestCancelledContext(t *testing.T) {
	var s Store
	s.Put(context.Background(), "b", "k", []byte("x"), objstore.PutOptions{})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := s.Get(ctx, "b", "k"); !errors.Is(err, context.Canceled) {
		t.Errorf("Get: %v", err)
	}
	if err := s.Put(ctx, "b", "k", []byte("y"), objstore.PutOptions{}); !errors.Is(err, context.Canceled) {
		t.Errorf("Put: %v", err)
	}
	if _, err := s.Keys(ctx, "b", ""); !errors.Is(err, context.Canceled) {
		t.Errorf("Keys: %v", err)
	}
	if got := read(t, &s, "b", "k"); got != "x" {
		t.Errorf("a cancelled Put wrote: %q", got)
	}
}

func TestKeys(t *testing.T) {
	ctx := context.Background()
	var s Store
	for _, k := range []string{"summaries/b", "summaries/a", "summaries/Z", "summaries/é", "summaries", "logs/x"} {
		s.Put(ctx, "bkt", k, nil, objstore.PutOptions{})
	}
	s.Put(ctx, "other", "summaries/c", nil, objstore.PutOptions{})
	tests := []struct {
		name, bucket, prefix string
		want                 []string
	}{
		{"prefix, bytewise order", "bkt", "summaries/", []string{"summaries/Z", "summaries/a", "summaries/b", "summaries/é"}},
		{"no prefix", "bkt", "", []string{"logs/x", "summaries", "summaries/Z", "summaries/a", "summaries/b", "summaries/é"}},
		{"nothing under it", "bkt", "nothing/", nil},
		{"bucket nobody wrote to", "empty", "", nil},
		{"other bucket", "other", "", []string{"summaries/c"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Keys(ctx, tt.bucket, tt.prefix)
			if err != nil || !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Keys(%q, %q) = %q, %v; want %q", tt.bucket, tt.prefix, got, err, tt.want)
			}
		})
	}
}

func TestConcurrentUse(t *testing.T) {
	ctx := context.Background()
	var s Store
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			key := string(rune('a' + i))
			for range 50 {
				if err := s.Put(ctx, "b", key, []byte(key), objstore.PutOptions{}); err != nil {
					t.Error(err)
				}
				if _, err := s.Get(ctx, "b", key); err != nil {
					t.Error(err)
				}
				s.Keys(ctx, "b", "")
			}
		})
	}
	wg.Go(func() {
		s.FailPuts(nil)
	})
	wg.Wait()
	if keys, _ := s.Keys(ctx, "b", ""); len(keys) != 8 {
		t.Errorf("keys %q, want 8", keys)
	}
}

// Objects reads the same from the in-memory store as from S3 (here an
// in-process S3 server, through the SDK).
func TestObjects(t *testing.T) {
	ctx := context.Background()
	client := FakeS3(t, "bkt")
	stores := []struct {
		name  string
		store Lister
	}{
		{"memory", &Store{}},
		{"S3", objstore.S3{Client: client}},
	}
	want := map[string]string{"summaries/dt=2026-11-26/a.csv": "a\n", "summaries/dt=2026-11-27/b.csv": "b\n", "summaries/empty": ""}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			for k, v := range want {
				if err := st.store.Put(ctx, "bkt", k, []byte(v), objstore.PutOptions{}); err != nil {
					t.Fatal(err)
				}
			}
			st.store.Put(ctx, "bkt", "logs/x.log.gz", []byte("not a summary"), objstore.PutOptions{})
			got, err := Objects(ctx, st.store, "bkt", "summaries/")
			if err != nil || !reflect.DeepEqual(got, want) {
				t.Errorf("Objects = %q, %v; want %q", got, err, want)
			}
			if got, err := Objects(ctx, st.store, "bkt", "nothing/"); err != nil || len(got) != 0 {
				t.Errorf("Objects under an empty prefix = %q, %v", got, err)
			}
		})
	}
	t.Run("listing fails", func(t *testing.T) {
		_, err := Objects(ctx, objstore.S3{Client: client}, "no-such-bucket", "")
		if err == nil || !strings.Contains(err.Error(), "no-such-bucket") {
			t.Errorf("Objects of a missing bucket: %v, want an error naming it", err)
		}
	})
}

func TestStoreBehavesLikeS3(t *testing.T) {
	TestListStore(t, &Store{}, "bkt", "conformance/")
}

func TestBefore(t *testing.T) {
	ctx := context.Background()
	var s Store
	s.Put(ctx, "b", "k", []byte("v1"), objstore.PutOptions{})
	v1, _ := s.Head(ctx, "b", "k")

	// Two 409s, then the write goes through.
	s.Before(OpPut, "k", func() error { return objstore.ErrConflict })
	s.Before(OpPut, "k", func() error { return objstore.ErrConflict })
	for i := range 2 {
		err := s.Put(ctx, "b", "k", []byte("v2"), objstore.PutOptions{IfMatch: v1.ETag})
		if !errors.Is(err, objstore.ErrConflict) || !strings.Contains(err.Error(), "b/k: put:") {
			t.Fatalf("put %d: %v, want ErrConflict naming b/k", i+1, err)
		}
	}
	if got := read(t, &s, "b", "k"); got != "v1" {
		t.Errorf("a put failed by its hook wrote %q", got)
	}
	// Another key is not affected by a hook for k.
	s.Before(OpPut, "k", func() error { return objstore.ErrConflict })
	if err := s.Put(ctx, "b", "other", nil, objstore.PutOptions{}); err != nil {
		t.Errorf("put of another key: %v", err)
	}
	s.Put(ctx, "b", "k", []byte("v2"), objstore.PutOptions{}) // takes the third hook
	if got := read(t, &s, "b", "k"); got != "v1" {
		t.Errorf("the third hook did not fail its put: %q", got)
	}

	// A racing writer, run by the hook, changes the object between a
	// read and the conditional write that depends on it.
	s.Before(OpPut, "k", func() error {
		return s.Put(ctx, "b", "k", []byte("racer"), objstore.PutOptions{})
	})
	err := s.Put(ctx, "b", "k", []byte("v2"), objstore.PutOptions{IfMatch: v1.ETag})
	if !errors.Is(err, objstore.ErrPreconditionFailed) {
		t.Errorf("put after a racing write: %v, want ErrPreconditionFailed", err)
	}
	if got := read(t, &s, "b", "k"); got != "racer" {
		t.Errorf("after the race: %q, want the racer's", got)
	}

	// Hooks on the other calls, each used once.
	var calls []Op
	for _, op := range []Op{OpGet, OpHead, OpList} {
		key := "k"
		if op == OpList {
			key = "pre/"
		}
		s.Before(op, key, func() error { calls = append(calls, op); return nil })
	}
	for range 2 {
		s.Get(ctx, "b", "k")
		s.Head(ctx, "b", "k")
		s.List(ctx, "b", "pre/")
		s.List(ctx, "b", "pre") // another prefix: not the hook's
	}
	if want := []Op{OpGet, OpHead, OpList}; !reflect.DeepEqual(calls, want) {
		t.Errorf("hooks ran for %v, want %v once each", calls, want)
	}
	s.Before(OpHead, "k", func() error { return errors.New("SlowDown") })
	if _, err := s.Head(ctx, "b", "k"); err == nil || !strings.Contains(err.Error(), "b/k: head: SlowDown") {
		t.Errorf("Head with a failing hook: %v", err)
	}
}

func TestKeepsWhatPutSays(t *testing.T) {
	ctx := context.Background()
	var s Store
	meta := map[string]string{"pmdp-inputs": "3"}
	s.Put(ctx, "b", "k", []byte("x"), objstore.PutOptions{ContentType: "text/csv", Metadata: meta})
	meta["pmdp-inputs"] = "changed by the caller"
	info, err := s.Head(ctx, "b", "k")
	if err != nil || info.Metadata["pmdp-inputs"] != "3" || s.ContentType("b", "k") != "text/csv" {
		t.Errorf("Head = %+v, %v; content type %q", info, err, s.ContentType("b", "k"))
	}
	info.Metadata["pmdp-inputs"] = "changed by a reader"
	if again, _ := s.Head(ctx, "b", "k"); again.Metadata["pmdp-inputs"] != "3" {
		t.Error("a reader changed the stored metadata")
	}
	s.Delete("b", "k")
	if _, err := s.Head(ctx, "b", "k"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("after Delete: %v", err)
	}
	if err := s.Put(ctx, "b", "k", nil, objstore.PutOptions{IfMatch: `"x"`, IfNoneMatch: "*"}); err == nil {
		t.Error("a put with both conditions succeeded")
	}
	if err := s.Put(ctx, "b", "k", nil, objstore.PutOptions{IfNoneMatch: `"x"`}); err == nil {
		t.Error("If-None-Match with an ETag succeeded; S3 takes only *")
	}
}
