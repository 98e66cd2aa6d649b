package objstore_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

func TestDirBehavesLikeS3(t *testing.T) {
	objstoretest.TestListStore(t, objstore.Dir{Root: t.TempDir()}, "bkt", "conformance/")
}

func TestDirLayout(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := objstore.Dir{Root: root}
	write := func(rel, body string) {
		p := filepath.Join(root, filepath.FromSlash(rel))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// Files put there by hand are objects, as in versitygw's posix layout;
	// hidden ones are not.
	write("bkt/summaries/dt=2026-11-26/a.csv", "date,count\n")
	write("bkt/summaries/dt=2026-11-26/.a.csv.tmp123", "half")
	write("bkt/summaries/.DS_Store", "x")
	write("bkt/summaries/.hidden/b.csv", "x")
	write("bkt/summaries/dt=2026-11-26.csv", "x")
	write("bkt/summaries-old/c.csv", "x")
	write("other/summaries/d.csv", "x")

	keys := func(prefix string) []string {
		t.Helper()
		objects, err := d.List(ctx, "bkt", prefix)
		if err != nil {
			t.Fatal(err)
		}
		var keys []string
		for _, o := range objects {
			keys = append(keys, o.Key)
		}
		return keys
	}
	tests := []struct {
		prefix string
		want   []string
	}{
		{"summaries/", []string{"summaries/dt=2026-11-26.csv", "summaries/dt=2026-11-26/a.csv"}},
		{"summaries", []string{"summaries-old/c.csv", "summaries/dt=2026-11-26.csv", "summaries/dt=2026-11-26/a.csv"}},
		{"summaries/dt=2026-11-26/", []string{"summaries/dt=2026-11-26/a.csv"}},
		{"summaries/dt=2026-11-26", []string{"summaries/dt=2026-11-26.csv", "summaries/dt=2026-11-26/a.csv"}},
		{"nothing/", nil},
		{".pmdp/", nil},
	}
	for _, tt := range tests {
		if got := keys(tt.prefix); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("List(%q) = %q, want %q", tt.prefix, got, tt.want)
		}
	}
	if objects, err := d.List(ctx, "missing", ""); err != nil || len(objects) != 0 {
		t.Errorf("List of a missing bucket: %v, %v", objects, err)
	}
	for _, key := range []string{"summaries/.hidden/b.csv", "a//b", "/a", "../bkt/x", "a/"} {
		if err := d.Put(ctx, "bkt", key, nil, objstore.PutOptions{}); err == nil {
			t.Errorf("Put(%q) succeeded", key)
		}
	}
	if _, err := d.Get(ctx, "bkt", "summaries"); !errors.Is(err, objstore.ErrNotFound) {
		t.Errorf("Get of a directory: %v, want ErrNotFound", err)
	}
	_, err := d.Get(ctx, "bkt", "summaries/missing.csv")
	if !errors.Is(err, objstore.ErrNotFound) || !strings.Contains(err.Error(), filepath.Join(root, "bkt", "summaries", "missing.csv")) {
		t.Errorf("Get of a missing file: %v, want ErrNotFound naming the file", err)
	}
}

// Metadata written for other content than the file holds (a crash between
// the two writes, or the file changed by hand) is not reported: a rollup
// must never look up to date when it is not.
func TestDirMetadataFollowsContent(t *testing.T) {
	ctx := context.Background()
	root := t.TempDir()
	d := objstore.Dir{Root: root}
	key := "rollups/dt=2026-11-26/rollup.jsonl"
	if err := d.Put(ctx, "bkt", key, []byte("{}\n"), objstore.PutOptions{Metadata: map[string]string{"pmdp-inputs": "1"}}); err != nil {
		t.Fatal(err)
	}
	if info, _ := d.Head(ctx, "bkt", key); info.Metadata["pmdp-inputs"] != "1" {
		t.Fatalf("metadata %v", info.Metadata)
	}
	if err := os.WriteFile(filepath.Join(root, "bkt", filepath.FromSlash(key)), []byte("edited\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	info, err := d.Head(ctx, "bkt", key)
	if err != nil || info.Metadata != nil {
		t.Errorf("after the file changed: metadata %v, %v; want none", info.Metadata, err)
	}
}
