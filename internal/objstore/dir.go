package objstore

import (
	"bytes"
	"context"
	"crypto/md5"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
)

// Dir is a ListStore over local files, laid out as S3 keys are: bucket b
// is the directory Root/b and key k the file Root/b/k. So a directory of
// summaries (<bucket>/summaries/dt=YYYY-MM-DD/*.csv) is read and rolled up
// exactly as its copy in S3 would be.
//
// ETags are the quoted hex MD5 of the content, as S3 gives an object
// written in one PUT. Content type and metadata are kept beside the
// objects, in the bucket's hidden .pmdp directory. Files and directories
// whose names start with "." are not objects: they are never listed, and
// keys holding such a name are refused. Writes go to a temporary file
// renamed into place, under a lock on the bucket (flock on .pmdp/lock),
// so a conditional write is checked and done at once, even against other
// processes.
type Dir struct {
	Root string
}

// sidecar is what Dir keeps beside an object.
type sidecar struct {
	ETag        string            `json:"etag"` // of the content it describes
	ContentType string            `json:"contentType,omitempty"`
	Metadata    map[string]string `json:"metadata,omitempty"`
}

const dirMeta = ".pmdp"

// name is how errors name bucket/key: its file.
func (d Dir) name(bucket, key string) string {
	return filepath.Join(d.Root, bucket, filepath.FromSlash(key))
}

// file is the path of bucket/key, or an error for a key that cannot be a
// file here.
func (d Dir) file(bucket, key string) (string, error) {
	if bucket == "" || strings.ContainsAny(bucket, `/\`) || strings.HasPrefix(bucket, ".") {
		return "", fmt.Errorf("bucket %q: not a directory name", bucket)
	}
	for _, part := range strings.Split(key, "/") {
		if part == "" || strings.HasPrefix(part, ".") {
			return "", fmt.Errorf("%s: key has an empty or hidden path element", d.name(bucket, key))
		}
	}
	return filepath.Join(d.Root, bucket, filepath.FromSlash(key)), nil
}

func (d Dir) sidecarFile(bucket, key string) string {
	return filepath.Join(d.Root, bucket, dirMeta, "meta", filepath.FromSlash(key)+".json")
}

// lock takes the bucket's lock, exclusive or shared, and returns its
// release.
func (d Dir) lock(bucket string, exclusive bool) (func(), error) {
	dir := filepath.Join(d.Root, bucket, dirMeta)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	f, err := os.OpenFile(filepath.Join(dir, "lock"), os.O_CREATE|os.O_RDWR, 0o644)
	if err != nil {
		return nil, err
	}
	how := syscall.LOCK_SH
	if exclusive {
		how = syscall.LOCK_EX
	}
	if err := syscall.Flock(int(f.Fd()), how); err != nil {
		f.Close()
		return nil, fmt.Errorf("locking %s: %w", f.Name(), err)
	}
	return func() { f.Close() }, nil // closing releases the lock
}

// hashFile returns the ETag and size of the file name, read through buf.
func hashFile(name string, buf []byte) (string, int64, error) {
	f, err := os.Open(name)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := md5.New()
	// Hide File.WriteTo, which would copy through a buffer of its own.
	n, err := io.CopyBuffer(h, struct{ io.Reader }{f}, buf)
	if err != nil {
		return "", 0, err
	}
	return `"` + hex.EncodeToString(h.Sum(nil)) + `"`, n, nil
}

func etagOf(body []byte) string {
	sum := md5.Sum(body)
	return `"` + hex.EncodeToString(sum[:]) + `"`
}

// read returns the content of bucket/key and its ETag.
func (d Dir) read(bucket, key string) ([]byte, string, error) {
	file, err := d.file(bucket, key)
	if err != nil {
		return nil, "", err
	}
	body, err := os.ReadFile(file)
	switch {
	case errors.Is(err, fs.ErrNotExist) || errors.Is(err, syscall.EISDIR) || errors.Is(err, syscall.ENOTDIR):
		// A directory is a prefix of other keys, not an object.
		return nil, "", fmt.Errorf("%s: %w", d.name(bucket, key), ErrNotFound)
	case err != nil:
		return nil, "", fmt.Errorf("%s: get: %w", d.name(bucket, key), err)
	}
	return body, etagOf(body), nil
}

// Get reads bucket/key whole; local summaries are small.
func (d Dir) Get(ctx context.Context, bucket, key string) (*Object, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("%s: get: %w", d.name(bucket, key), err)
	}
	body, etag, err := d.read(bucket, key)
	if err != nil {
		return nil, err
	}
	return &Object{Body: io.NopCloser(bytes.NewReader(body)), Size: int64(len(body)), ETag: etag}, nil
}

// Head describes bucket/key. Metadata kept for other content than the
// file's (a crash between writing the two) is not reported.
func (d Dir) Head(ctx context.Context, bucket, key string) (ObjectInfo, error) {
	if err := ctx.Err(); err != nil {
		return ObjectInfo{}, fmt.Errorf("%s: head: %w", d.name(bucket, key), err)
	}
	if _, err := d.file(bucket, key); err != nil {
		return ObjectInfo{}, err
	}
	unlock, err := d.lock(bucket, false)
	if err != nil {
		return ObjectInfo{}, fmt.Errorf("%s: head: %w", d.name(bucket, key), err)
	}
	defer unlock()
	body, etag, err := d.read(bucket, key)
	if err != nil {
		return ObjectInfo{}, err
	}
	info := ObjectInfo{Key: key, ETag: etag, Size: int64(len(body))}
	if b, err := os.ReadFile(d.sidecarFile(bucket, key)); err == nil {
		var sc sidecar
		if json.Unmarshal(b, &sc) == nil && sc.ETag == etag {
			info.Metadata = sc.Metadata
		}
	}
	return info, nil
}

// Put writes bucket/key through a temporary file renamed into place,
// checking p's condition under the bucket's lock.
func (d Dir) Put(ctx context.Context, bucket, key string, body []byte, p PutOptions) error {
	name := d.name(bucket, key)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s: put: %w", name, err)
	}
	if p.IfMatch != "" && p.IfNoneMatch != "" {
		return fmt.Errorf("%s: put: %w", name, errBothConditions)
	}
	if p.IfNoneMatch != "" && p.IfNoneMatch != "*" {
		return fmt.Errorf("%s: put: IfNoneMatch %q: only * is supported, as on S3", name, p.IfNoneMatch)
	}
	file, err := d.file(bucket, key)
	if err != nil {
		return err
	}
	unlock, err := d.lock(bucket, true)
	if err != nil {
		return fmt.Errorf("%s: put: %w", name, err)
	}
	defer unlock()
	if p.IfMatch != "" || p.IfNoneMatch != "" {
		_, etag, err := d.read(bucket, key)
		exists := err == nil
		if err != nil && !errors.Is(err, ErrNotFound) {
			return err
		}
		switch {
		case p.IfNoneMatch == "*" && exists:
			return fmt.Errorf("%s: put: %w: the object exists", name, ErrPreconditionFailed)
		case p.IfMatch != "" && !exists:
			return fmt.Errorf("%s: put: %w: no object to match %s", name, ErrPreconditionFailed, p.IfMatch)
		case p.IfMatch != "" && ETagValue(etag) != ETagValue(p.IfMatch):
			return fmt.Errorf("%s: put: %w: ETag is %s, not %s", name, ErrPreconditionFailed, etag, p.IfMatch)
		}
	}
	// The content first, then what describes it: Head ignores a sidecar
	// whose ETag is not the content's, so a crash between the two leaves
	// an object without metadata, never metadata that lies.
	if err := writeFile(file, body); err != nil {
		return fmt.Errorf("%s: put: %w", name, err)
	}
	sc, _ := json.Marshal(sidecar{ETag: etagOf(body), ContentType: p.ContentType, Metadata: p.Metadata})
	if err := writeFile(d.sidecarFile(bucket, key), sc); err != nil {
		return fmt.Errorf("%s: put: metadata: %w", name, err)
	}
	return nil
}

// writeFile writes name whole through a hidden temporary file in its
// directory, renamed into place.
func writeFile(name string, body []byte) error {
	if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(name), "."+filepath.Base(name)+".tmp*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op once renamed
	if _, err := tmp.Write(body); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), name)
}

// List describes the files under prefix in bucket, hidden ones aside, in
// bytewise key order; a missing bucket lists nothing.
func (d Dir) List(ctx context.Context, bucket, prefix string) ([]ObjectInfo, error) {
	if _, err := d.file(bucket, "x"); err != nil {
		return nil, err
	}
	root := filepath.Join(d.Root, bucket)
	// Walk only the deepest directory the prefix names.
	start := path.Dir(prefix + "x")
	if start == "." {
		start = ""
	}
	var objects []ObjectInfo
	buf := make([]byte, 64<<10)
	err := filepath.WalkDir(filepath.Join(root, filepath.FromSlash(start)), func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil
			}
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if strings.HasPrefix(e.Name(), ".") && p != root {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !e.Type().IsRegular() {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		key := filepath.ToSlash(rel)
		if !strings.HasPrefix(key, prefix) {
			return nil
		}
		etag, size, err := hashFile(p, buf)
		if err != nil {
			return err
		}
		objects = append(objects, ObjectInfo{Key: key, ETag: etag, Size: size})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("%s: list: %w", d.name(bucket, prefix), err)
	}
	// WalkDir's lexical order puts "a/b" after "a.b"; S3 compares bytes.
	slices.SortFunc(objects, func(a, b ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	return objects, nil
}
