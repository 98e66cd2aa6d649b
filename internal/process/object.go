package process

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/summary"
)

// ErrRecursion is returned for a key under the summary or rollup prefix:
// processing it would let the function trigger itself.
var ErrRecursion = errors.New("key is under the summary or rollup prefix; refusing to process the function's own output as a log")

// Outcome is what Process did with an object.
type Outcome string

const (
	Summarized Outcome = "summarized" // summaries written
	Skipped    Outcome = "skipped"    // not an access log
	Gone       Outcome = "gone"       // deleted before it could be read
	Refused    Outcome = "refused"    // under the summary or rollup prefix
)

// Report describes one processed object, for logs and metrics.
type Report struct {
	Bucket, Key string
	Kind        logkey.Kind
	Outcome     Outcome
	Bytes       int64         // bytes read from the store (compressed)
	Stats       Stats         // lines, rejections, lines filtered out
	Requests    int64         // requests counted
	Other       int64         // of them, those counted in (other) rows: beyond the cap
	Outputs     []string      // summary keys written, in date order
	Dates       []string      // their UTC dates, YYYY-MM-DD
	Duration    time.Duration // from start to the last summary written
	// Lag is the time from the end of the interval the log covers (from
	// its name) to the end of processing; 0 when the name has no interval.
	Lag time.Duration
}

// Processor turns log objects into per-date summary objects. Everything
// it writes is a function of the object's content and the Config, so the
// same object processed twice, concurrently, or again after a crash ends
// with the same summary objects.
type Processor struct {
	Store  objstore.Store
	Config Config
	Now    func() time.Time // time.Now when nil
}

func (p *Processor) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
}

// Process summarizes bucket/key (the key as stored, not URL-encoded). An
// object that is not an access log is Skipped and one already deleted is
// Gone, both without error. A key under the summary or rollup prefix
// returns ErrRecursion. Any other failure (unreadable, corrupt, a write refused,
// ctx done) is an error naming the object; summaries written before it are
// complete objects that a retry rewrites identically.
func (p *Processor) Process(ctx context.Context, bucket, key string) (Report, error) {
	start := p.now()
	info := logkey.Classify(key)
	rep := Report{Bucket: bucket, Key: key, Kind: info.Kind}
	out := p.Config.SummaryBucket
	if out == "" {
		out = bucket
	}
	if out == bucket && (strings.HasPrefix(key, p.Config.SummaryPrefix) || (p.Config.RollupPrefix != "" && strings.HasPrefix(key, p.Config.RollupPrefix))) {
		rep.Outcome = Refused
		return rep, fmt.Errorf("%s/%s: %w", bucket, key, ErrRecursion)
	}
	if !info.Kind.IsAccessLog() {
		rep.Outcome = Skipped
		return rep, nil
	}

	obj, err := p.Store.Get(ctx, bucket, key)
	if errors.Is(err, objstore.ErrNotFound) {
		rep.Outcome = Gone
		return rep, nil
	}
	if err != nil {
		return rep, err
	}
	defer obj.Body.Close()
	body := &countingReader{r: obj.Body, ctx: ctx}
	days := newByDate(p.Config.Dimensions, p.Config.MaxGroups, p.Config.Distinct)
	rep.Stats, err = ReadFilteredLog(body, days, p.Config.Filter)
	rep.Bytes = body.n
	if err != nil {
		if ctxErr := ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
		return rep, fmt.Errorf("%s/%s: %w", bucket, key, err)
	}

	common := map[string]string{
		"pmdp-source":   url.PathEscape(bucket + "/" + key),
		"pmdp-lines":    strconv.FormatInt(rep.Stats.Lines, 10),
		"pmdp-rejected": strconv.FormatInt(rep.Stats.Rejected, 10),
		"pmdp-group-by": url.PathEscape(summary.Names(p.Config.Dimensions)),
	}
	if f := p.Config.Filter; !f.KeepsAll() {
		common["pmdp-filtered"] = strconv.FormatInt(rep.Stats.Filtered, 10)
		if f.Include() != "" {
			common["pmdp-include"] = url.PathEscape(f.Include())
		}
		if f.Exclude() != "" {
			common["pmdp-exclude"] = url.PathEscape(f.Exclude())
		}
	}
	if p.Config.Distinct.On() {
		common["pmdp-distinct"] = url.PathEscape(p.Config.Distinct.String())
	}
	if obj.ETag != "" {
		common["pmdp-source-etag"] = strings.Trim(obj.ETag, `"`)
	}
	var buf bytes.Buffer
	for _, d := range days.dates() {
		s := days.byDay[d]
		buf.Reset()
		if err := s.Write(&buf, p.Config.Format); err != nil {
			return rep, fmt.Errorf("%s/%s: encoding %s: %w", bucket, key, d, err)
		}
		meta := maps.Clone(common)
		meta["pmdp-requests"] = strconv.FormatInt(s.Requests(), 10)
		if other := s.OtherRequests(); other > 0 {
			meta["pmdp-other"] = strconv.FormatInt(other, 10)
		}
		outKey := p.Config.SummaryKey(key, d)
		if err := ctx.Err(); err != nil {
			return rep, fmt.Errorf("%s/%s: before writing %s: %w", bucket, key, outKey, err)
		}
		err := p.Store.Put(ctx, out, outKey, buf.Bytes(), objstore.PutOptions{ContentType: contentType(p.Config.Format), Metadata: meta})
		if err != nil {
			return rep, fmt.Errorf("%s/%s: writing summary: %w", bucket, key, err)
		}
		rep.Outputs = append(rep.Outputs, outKey)
		rep.Dates = append(rep.Dates, d)
		rep.Requests += s.Requests()
		rep.Other += s.OtherRequests()
	}
	end := p.now()
	rep.Outcome = Summarized
	rep.Duration = end.Sub(start)
	if !info.End.IsZero() {
		rep.Lag = end.Sub(info.End)
	}
	return rep, nil
}

func contentType(f summary.Format) string {
	if f == summary.JSONL {
		return "application/x-ndjson"
	}
	return "text/csv; charset=utf-8"
}

// byDate counts each UTC date of a log into its own Summary, because each
// date's summary is its own object. Each is capped at maxGroups; a log
// file covers five minutes, so it has one or two dates.
type byDate struct {
	dims      []summary.Dimension
	maxGroups int
	distinct  summary.Distinct
	byDay     map[string]*summary.Summary
	lastDay   int64
	last      *summary.Summary
}

func newByDate(dims []summary.Dimension, maxGroups int, distinct summary.Distinct) *byDate {
	return &byDate{dims: dims, maxGroups: maxGroups, distinct: distinct, byDay: map[string]*summary.Summary{}}
}

func (b *byDate) Add(r *accesslog.Record) {
	day := r.Time.Unix() / 86400
	if r.Time.Unix() < 0 && r.Time.Unix()%86400 != 0 {
		day--
	}
	if b.last == nil || day != b.lastDay {
		date := r.Time.UTC().Format("2006-01-02")
		s, ok := b.byDay[date]
		if !ok {
			s = summary.NewDistinct(b.dims, b.maxGroups, b.distinct)
			b.byDay[date] = s
		}
		b.last, b.lastDay = s, day
	}
	b.last.Add(r)
}

// Reject does nothing: a rejected line has no date to file it under, and
// ReadLog's Stats already count rejections and keep samples.
func (b *byDate) Reject(string) {}

func (b *byDate) dates() []string {
	ds := make([]string, 0, len(b.byDay))
	for d := range b.byDay {
		ds = append(ds, d)
	}
	slices.Sort(ds)
	return ds
}

// countingReader counts the bytes read and stops reading once ctx is done,
// so a file too large for the invocation's time stops cleanly.
type countingReader struct {
	r   io.Reader
	ctx context.Context
	n   int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	if err := c.ctx.Err(); err != nil {
		return 0, err
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
