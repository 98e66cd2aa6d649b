// Package rollup builds the daily rollups: for each UTC date, one object
// that merges every per-file summary of that date, committed with S3's
// conditional writes so that builders racing on a date, retries and late
// files can neither lose an input nor count one twice.
//
// A rollup is a pure function of its set of inputs (the summary objects
// under <summary prefix>dt=DATE/), and it records that set's digest. A
// build reads the rollup's ETag and digest first, then lists the inputs:
// if the digest is the listing's, the rollup is current and nothing is
// written; otherwise it merges every input from scratch and writes the
// result only over the rollup it read (If-Match), or only where there was
// none (If-None-Match: *). A write refused because another builder got
// there first (412, 409) starts the build again from the read. Because the
// read comes before the listing, a builder that commits has seen every
// input written before it began; so when every writer of an input builds
// after writing it, or a sweep runs later, the rollup ends up holding
// every input once.
package rollup

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/url"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/summary"
)

// The rollup's user metadata.
const (
	MetaInputs    = "pmdp-inputs"        // how many summary objects it merges
	MetaDigest    = "pmdp-inputs-digest" // Digest of them
	MetaGroupBy   = "pmdp-group-by"      // its columns, percent-encoded
	MetaRequests  = "pmdp-requests"      // the sum of its counts
	MetaOther     = "pmdp-other"         // of which in (other) rows; absent when none
	MetaMaxGroups = "pmdp-max-groups"    // its cap
	MetaDistinct  = "pmdp-distinct"      // what it counts distinct values of, percent-encoded; absent when nothing
)

// Name is the file name of every rollup.
const Name = "rollup.jsonl"

// Key is where the rollup of date goes: <prefix>dt=<date>/rollup.jsonl.
func Key(prefix, date string) string { return prefix + "dt=" + date + "/" + Name }

// InputPrefix is where the summaries of date are: <prefix>dt=<date>/.
func InputPrefix(summaryPrefix, date string) string { return summaryPrefix + "dt=" + date + "/" }

// Digest identifies a set of inputs: the hex SHA-256 of one line
// "<key>\t<ETag without quotes>\n" per input, in bytewise key order. A
// summary rewritten with other content has another ETag, so the digest
// changes with any input added, removed or changed.
func Digest(inputs []objstore.ObjectInfo) string {
	sorted := slices.Clone(inputs)
	slices.SortFunc(sorted, func(a, b objstore.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	h := sha256.New()
	for _, in := range sorted {
		fmt.Fprintf(h, "%s\t%s\n", in.Key, objstore.ETagValue(in.ETag))
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Outcome is what a build did.
type Outcome string

const (
	Written   Outcome = "written"   // the rollup was created or replaced
	Unchanged Outcome = "unchanged" // the rollup already merged exactly these inputs
	NoInputs  Outcome = "no-inputs" // no summaries and no rollup: nothing to write
)

// Result describes the build of one date.
type Result struct {
	Date, Key string
	Outcome   Outcome
	Inputs    int   // summary objects merged
	Rows      int   // rows written (Written only)
	Requests  int64 // the sum of the counts (Written only)
	Other     int64 // of them, those in (other) rows (Written only)
	Attempts  int   // 1 unless a race was lost
	Conflicts int   // writes refused (412, 409) or inputs that changed mid-build
}

// Defaults of a Builder.
const (
	DefaultMaxAttempts = 8
	DefaultBackoff     = 100 * time.Millisecond // before the second attempt, doubling
	DefaultMaxBackoff  = 5 * time.Second
)

// Builder builds the rollups of the summaries in one bucket.
type Builder struct {
	Store         objstore.ListStore
	Bucket        string // holds the summaries and the rollups
	SummaryPrefix string
	RollupPrefix  string
	// Dimensions the rollup groups by. Inputs with more columns are summed
	// down to these; an input without one of them fails the build, naming
	// it. Nil takes the inputs' own columns, which must then all be the
	// same.
	Dimensions []summary.Dimension
	// MaxGroups caps the rollup as summary.NewMaxGroups does; default
	// summary.DefaultMaxGroups. An input's (other) rows go to the rollup's,
	// and so does every group of those dates the input has no row for: the
	// input's (other) row may hold some of its requests (see
	// summary.Summary.EndInput).
	MaxGroups int
	// Distinct, when on, gives each row of the rollup the distinct_hll
	// sketch that merges the sketches of the inputs' rows it sums (never
	// adding their estimates), and its estimate. Every input must then
	// have the distinct columns: one without them fails the build, naming
	// it. Off, the inputs' distinct columns are left out.
	Distinct summary.Distinct

	// MaxAttempts bounds the attempts at one date when races are lost;
	// default DefaultMaxAttempts.
	MaxAttempts int
	// Backoff before the second attempt, doubling up to MaxBackoff; each
	// wait is drawn by Jitter. Defaults DefaultBackoff, DefaultMaxBackoff.
	Backoff, MaxBackoff time.Duration
	// Jitter draws a wait from 0 to max; default uniformly at random, so
	// that racing builders fall apart.
	Jitter func(max time.Duration) time.Duration
	// Wait waits d unless ctx ends first; default a timer.
	Wait func(ctx context.Context, d time.Duration) error
	// Progress, when set, is called after each input is read, with how
	// many of date's total inputs have been.
	Progress func(date string, read, total int)
}

// errInputChanged: an input listed was gone or rewritten when read.
var errInputChanged = errors.New("an input changed while being read")

// Build makes the rollup of date (YYYY-MM-DD) current: it merges every
// summary of date and writes the result, unless the rollup already holds
// exactly those inputs. A lost race starts again, after a back-off, at
// most MaxAttempts times in all. Other errors (an unreadable input, one
// without a rollup column, a refused write) end it at once; all name the
// date and the object.
func (b *Builder) Build(ctx context.Context, date string) (Result, error) {
	res := Result{Date: date, Key: Key(b.RollupPrefix, date)}
	if _, err := time.Parse(time.DateOnly, date); err != nil {
		return res, fmt.Errorf("rollup: date %q is not YYYY-MM-DD", date)
	}
	maxAttempts := cmp(b.MaxAttempts, DefaultMaxAttempts)
	backoff := cmp(b.Backoff, DefaultBackoff)
	for {
		res.Attempts++
		err := b.attempt(ctx, &res)
		lost := errors.Is(err, objstore.ErrPreconditionFailed) || errors.Is(err, objstore.ErrConflict) || errors.Is(err, errInputChanged)
		switch {
		case err == nil:
			return res, nil
		case !lost:
			return res, fmt.Errorf("rollup of %s: %w", date, err)
		case res.Attempts >= maxAttempts:
			return res, fmt.Errorf("rollup of %s: %s/%s: gave up after %d attempts, each overtaken by another writer: %w",
				date, b.Bucket, res.Key, res.Attempts, err)
		}
		res.Conflicts++
		if err := b.wait(ctx, b.jitter(backoff)); err != nil {
			return res, fmt.Errorf("rollup of %s: %s/%s: %w", date, b.Bucket, res.Key, err)
		}
		backoff = min(2*backoff, cmp(b.MaxBackoff, DefaultMaxBackoff))
	}
}

func cmp[T int | time.Duration](v, def T) T {
	if v > 0 {
		return v
	}
	return def
}

func (b *Builder) jitter(max time.Duration) time.Duration {
	if b.Jitter != nil {
		return b.Jitter(max)
	}
	return rand.N(max + 1)
}

func (b *Builder) wait(ctx context.Context, d time.Duration) error {
	if b.Wait != nil {
		return b.Wait(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// attempt is one read-merge-write of res.Date.
func (b *Builder) attempt(ctx context.Context, res *Result) error {
	// The rollup first, then its inputs: a rollup that another builder
	// commits after this read makes the write below fail, whatever it
	// merged. Listing first would let this builder overwrite a rollup of
	// inputs it never saw.
	cur, err := b.Store.Head(ctx, b.Bucket, res.Key)
	exists := err == nil
	if err != nil && !errors.Is(err, objstore.ErrNotFound) {
		return err
	}
	inputs, err := b.Store.List(ctx, b.Bucket, InputPrefix(b.SummaryPrefix, res.Date))
	if err != nil {
		return err
	}
	res.Inputs = len(inputs)
	digest := Digest(inputs)
	switch {
	case exists && cur.Metadata[MetaDigest] == digest && (b.Dimensions == nil || cur.Metadata[MetaGroupBy] == url.PathEscape(summary.Names(b.Dimensions))) &&
		cur.Metadata[MetaMaxGroups] == strconv.Itoa(b.maxGroups()) && cur.Metadata[MetaDistinct] == url.PathEscape(b.Distinct.String()):
		res.Outcome = Unchanged
		return nil
	case !exists && len(inputs) == 0:
		res.Outcome = NoInputs
		return nil
	}

	merged, err := b.merge(ctx, res.Date, inputs)
	if err != nil {
		return err
	}
	var body bytes.Buffer
	var rows []summary.Row
	groupBy := ""
	if merged != nil {
		rows = merged.Rows()
		if err := merged.Encode(&body, summary.JSONL, rows); err != nil {
			return fmt.Errorf("%s/%s: encoding: %w", b.Bucket, res.Key, err)
		}
		groupBy = summary.Names(merged.Dimensions())
	}
	var requests, other int64
	for _, r := range rows {
		requests += r.Count
	}
	if merged != nil {
		other = merged.OtherRequests()
	}
	opts := objstore.PutOptions{
		ContentType: "application/x-ndjson",
		Metadata: map[string]string{
			MetaInputs:    strconv.Itoa(len(inputs)),
			MetaDigest:    digest,
			MetaGroupBy:   url.PathEscape(groupBy),
			MetaRequests:  strconv.FormatInt(requests, 10),
			MetaMaxGroups: strconv.Itoa(b.maxGroups()),
		},
	}
	if other > 0 {
		opts.Metadata[MetaOther] = strconv.FormatInt(other, 10)
	}
	if b.Distinct.On() {
		opts.Metadata[MetaDistinct] = url.PathEscape(b.Distinct.String())
	}
	if exists {
		opts.IfMatch = cur.ETag
	} else {
		opts.IfNoneMatch = "*"
	}
	if err := b.Store.Put(ctx, b.Bucket, res.Key, body.Bytes(), opts); err != nil {
		if !exists && errors.Is(err, objstore.ErrPreconditionFailed) {
			// Usually another builder created it first; when every attempt
			// ends so, the server may be counting a delete marker as an
			// object, as versitygw does.
			return fmt.Errorf("%w: a create-only write was refused though no rollup was found (another writer created it first, or the server counts a delete marker as an object)", err)
		}
		return err
	}
	res.Outcome, res.Rows, res.Requests, res.Other = Written, len(rows), requests, other
	return nil
}

// maxGroups is the cap the rollup holds to, as its metadata records it:
// with distinct counts on, summary.NewDistinct lowers any larger one to
// summary.MaxDistinctGroups.
func (b *Builder) maxGroups() int {
	n := cmp(b.MaxGroups, summary.DefaultMaxGroups)
	if b.Distinct.On() {
		n = min(n, summary.MaxDistinctGroups)
	}
	return n
}

// merge sums every input into one summary; nil when no input has rows
// and the rollup has no dimensions of its own. The inputs are merged in
// key order: which groups keep their rows under the cap depends on the
// order, and the rollup must depend on the set of inputs alone.
func (b *Builder) merge(ctx context.Context, date string, inputs []objstore.ObjectInfo) (*summary.Summary, error) {
	inputs = slices.SortedFunc(slices.Values(inputs), func(a, b objstore.ObjectInfo) int { return strings.Compare(a.Key, b.Key) })
	var merged *summary.Summary
	var columnsFrom string // the input whose columns the rollup took
	if b.Dimensions != nil {
		merged = summary.NewDistinct(b.Dimensions, b.maxGroups(), b.Distinct)
	}
	var project []int
	var values []string
	for i, in := range inputs {
		name := b.Bucket + "/" + in.Key
		format, ok := formatOf(in.Key)
		if !ok {
			return nil, fmt.Errorf("%s: not a summary (.csv or .jsonl) but under the summary prefix; move it, or it would be left out of the rollup", name)
		}
		obj, err := b.Store.Get(ctx, b.Bucket, in.Key)
		if errors.Is(err, objstore.ErrNotFound) {
			return nil, fmt.Errorf("%s: %w: deleted since listed", name, errInputChanged)
		}
		if err != nil {
			return nil, err
		}
		err = func() error {
			defer obj.Body.Close()
			if objstore.ETagValue(obj.ETag) != objstore.ETagValue(in.ETag) {
				return fmt.Errorf("%s: %w: ETag %s listed, %s read", name, errInputChanged, in.ETag, obj.ETag)
			}
			r := summary.NewReader(obj.Body, format)
			cols, err := r.Columns()
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if cols == nil {
				return nil // JSON Lines without rows
			}
			if merged == nil {
				dims, err := summary.ParseDimensions(strings.Join(cols, ","))
				if err != nil && len(cols) > 0 {
					return fmt.Errorf("%s: %w", name, err)
				}
				merged, columnsFrom = summary.NewDistinct(dims, b.maxGroups(), b.Distinct), name
			}
			if project, err = projection(cols, merged.Dimensions(), b.Dimensions != nil); err != nil {
				if columnsFrom != "" {
					err = fmt.Errorf("%w, and %s has %q: pass the group-by to roll up to", err, columnsFrom, summary.Names(merged.Dimensions()))
				}
				return fmt.Errorf("%s: %w", name, err)
			}
			if b.Distinct.On() && !r.Distinct() {
				return fmt.Errorf("%s: no distinct columns, and the rollup counts distinct %s: reprocess its log with that distinct, or roll up without it", name, b.Distinct)
			}
			values = slices.Grow(values[:0], len(project))[:len(project)]
			for {
				row, n, err := r.Read()
				if err != nil {
					if err == io.EOF {
						merged.EndInput(len(cols) > len(project))
						return nil
					}
					return fmt.Errorf("%s: %w", name, err)
				}
				for i, j := range project {
					values[i] = summary.JSONText(row[j])
				}
				if !b.Distinct.On() {
					merged.AddCount(values, n)
					continue
				}
				sketch, err := r.Sketch()
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				merged.AddRow(values, n, sketch)
			}
		}()
		if err != nil {
			return nil, err
		}
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		if b.Progress != nil {
			b.Progress(date, i+1, len(inputs))
		}
	}
	return merged, nil
}

// projection maps the rollup's columns to an input's: project[i] is the
// input column of the rollup's column i. With sumDown, extra input
// columns are summed over; without it, the columns must be the same.
func projection(cols []string, dims []summary.Dimension, sumDown bool) ([]int, error) {
	names := make([]string, len(dims))
	for i, d := range dims {
		names[i] = d.Name()
	}
	if !sumDown && !slices.Equal(cols, names) {
		return nil, fmt.Errorf("its columns %q differ from the other inputs'", cols)
	}
	project := make([]int, len(dims))
	for i, d := range dims {
		j := slices.Index(cols, d.Name())
		if j < 0 {
			return nil, fmt.Errorf("no column %q, which the rollup groups by (its columns: %q); reprocess its log with that group-by, or roll up without it", d.Name(), cols)
		}
		project[i] = j
	}
	return project, nil
}

// formatOf tells a summary's format from its key.
func formatOf(key string) (summary.Format, bool) {
	switch path.Ext(key) {
	case summary.CSV.Extension():
		return summary.CSV, true
	case summary.JSONL.Extension():
		return summary.JSONL, true
	}
	return "", false
}
