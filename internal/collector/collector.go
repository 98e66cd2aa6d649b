package collector

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/tracker"
)

// Config describes the load balancer the collector stands in for and
// where its logs go.
type Config struct {
	Response contract.FixedResponse
	Store    objstore.Store
	Bucket   string
	// LogPrefix is the access-log prefix, as on the load balancer.
	LogPrefix string
	Account   string // default 123456789012
	Region    string // default us-east-1
	// LoadBalancer is the name and ID as the log file names write them,
	// app.<name>.<id>; default app.pmdp-local.50dc6c495c0c9188.
	LoadBalancer string
	NodeIP       string        // the node address in file names; default 127.0.0.1
	Interval     time.Duration // how often a log file is delivered; default 10 s
	Log          *slog.Logger  // default: discard
}

func (c Config) withDefaults() Config {
	c.Response = c.Response.WithDefaults()
	if c.Account == "" {
		c.Account = "123456789012"
	}
	if c.Region == "" {
		c.Region = "us-east-1"
	}
	if c.LoadBalancer == "" {
		c.LoadBalancer = "app.pmdp-local.50dc6c495c0c9188"
	}
	if c.NodeIP == "" {
		c.NodeIP = "127.0.0.1"
	}
	if c.Interval == 0 {
		c.Interval = 10 * time.Second
	}
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	return c
}

// Collector answers requests and logs them like an ALB with no targets.
type Collector struct {
	cfg Config
	elb string // app/<name>/<id>, as the lines write it

	mu    sync.Mutex
	buf   bytes.Buffer // the current interval's lines, gzipped
	zw    *gzip.Writer
	lines int
	line  []byte

	// Flush moves the lines out of buf under mu, and uploads holding only
	// flushing, so that requests are logged while an upload runs.
	flushing  sync.Mutex
	file      []byte // gzip members taken from buf, not yet delivered
	fileLines int
}

// New returns a Collector; Run delivers its log files.
func New(cfg Config) *Collector {
	cfg = cfg.withDefaults()
	c := &Collector{cfg: cfg, elb: strings.ReplaceAll(cfg.LoadBalancer, ".", "/")}
	c.zw = gzip.NewWriter(&c.buf)
	return c
}

// ServeHTTP answers with the fixed response, or with the tracker's at its
// path as the stack's listener rule does, and logs the request.
func (c *Collector) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	received := time.Now().UTC()
	res := c.cfg.Response
	if r.URL.Path == tracker.Path {
		res = tracker.Response()
	}
	w.Header().Set("Content-Type", res.ContentType)
	w.Header().Set("Content-Length", strconv.Itoa(len(res.Body)))
	w.WriteHeader(res.Status)
	if r.Method != http.MethodHead {
		_, _ = w.Write([]byte(res.Body))
	}
	c.record(r, res, received, time.Now().UTC())
}

// record appends the access-log line of one request.
func (c *Collector) record(r *http.Request, res contract.FixedResponse, received, sent time.Time) {
	port := "80"
	if addr, ok := r.Context().Value(http.LocalAddrContextKey).(net.Addr); ok {
		if _, p, err := net.SplitHostPort(addr.String()); err == nil {
			port = p
		}
	}
	host := r.Host
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	client, clientPort, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		client, clientPort = r.RemoteAddr, "0"
	}
	var headerBytes int
	for k, vs := range r.Header {
		for _, v := range vs {
			headerBytes += len(k) + len(v) + 4
		}
	}
	receivedBytes := len(r.Method) + len(r.RequestURI) + len(r.Proto) + 4 + headerBytes + max(0, int(r.ContentLength))
	sentBytes := 17 + len(res.ContentType) + 40 + len(res.Body)

	c.mu.Lock()
	defer c.mu.Unlock()
	b := c.line[:0]
	b = append(b, "http "...)
	b = sent.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, ' ')
	b = append(b, c.elb...)
	b = append(b, ' ')
	b = append(b, client...) // IPv6 without brackets, as ALB writes it
	b = append(b, ':')
	b = append(b, clientPort...)
	b = append(b, " - -1 -1 -1 "...)
	b = strconv.AppendInt(b, int64(res.Status), 10)
	b = append(b, " - "...)
	b = strconv.AppendInt(b, int64(receivedBytes), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(sentBytes), 10)
	b = append(b, ` "`...)
	b = AppendEscaped(b, r.Method+" http://"+host+":"+port+r.RequestURI+" "+r.Proto)
	b = append(b, `" "`...)
	if ua := r.UserAgent(); ua != "" {
		b = AppendEscaped(b, ua)
	} else {
		b = append(b, '-')
	}
	b = fmt.Appendf(b, `" - - - "Root=1-%08x-%s" "-" "-" 0 `, sent.Unix(), randomHex(12))
	b = received.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = fmt.Appendf(b, ` "fixed-response" "-" "-" "-" "-" "-" "-" TID_%s "-" "-" "-"`+"\n", randomHex(16))
	c.line = b
	_, _ = c.zw.Write(b) // writes to a bytes.Buffer do not fail
	c.lines++
}

// AppendEscaped appends s as ALB writes quoted values: a double quote,
// a backslash, control characters and every byte outside ASCII become
// \xHH.
func AppendEscaped(dst []byte, s string) []byte {
	const hexDigits = "0123456789ABCDEF"
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			dst = append(dst, '\\', 'x', hexDigits[c>>4], hexDigits[c&0xf])
			continue
		}
		dst = append(dst, c)
	}
	return dst
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read does not fail
	return hex.EncodeToString(b)
}

// Run delivers a log file every interval until ctx is done, then delivers
// what is left and returns.
func (c *Collector) Run(ctx context.Context) {
	t := time.NewTicker(c.cfg.Interval)
	defer t.Stop()
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-t.C:
			if _, err := c.Flush(ctx); err != nil {
				c.cfg.Log.Error("delivering a log file; its lines stay for the next try", "error", err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if _, err := c.Flush(ctx); err != nil {
		c.cfg.Log.Error("delivering the last log file", "error", err)
	}
}

// Flush delivers the lines logged since the last delivery as one gzipped
// file, and returns its key ("" when there was nothing to deliver). On
// failure the lines are kept for the next Flush. Requests are logged
// while it uploads; one Flush runs at a time.
func (c *Collector) Flush(ctx context.Context) (string, error) {
	c.flushing.Lock()
	defer c.flushing.Unlock()
	c.takeLines()
	if c.fileLines == 0 {
		return "", nil
	}
	key := c.Key(time.Now())
	if err := c.cfg.Store.Put(ctx, c.cfg.Bucket, key, c.file, objstore.PutOptions{ContentType: "application/x-gzip"}); err != nil {
		return "", err // the lines stay in c.file, ahead of those logged since
	}
	c.cfg.Log.Info("delivered a log file", "key", key, "lines", c.fileLines)
	c.file, c.fileLines = c.file[:0], 0
	return key, nil
}

// takeLines closes the gzip member of the lines logged so far and appends
// it to c.file, after any member a failed delivery left there: readers
// take the members one after another as one stream.
func (c *Collector) takeLines() {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.lines == 0 {
		return
	}
	_ = c.zw.Close() // writes to a bytes.Buffer do not fail
	c.file = append(c.file, c.buf.Bytes()...)
	c.fileLines += c.lines
	c.buf.Reset()
	c.zw.Reset(&c.buf)
	c.lines = 0
}

// Key is where ALB would deliver a file whose interval ends at end:
// <prefix>/AWSLogs/<account>/elasticloadbalancing/<region>/yyyy/mm/dd/
// <account>_elasticloadbalancing_<region>_<lb>_<end>_<ip>_<random>.log.gz
func (c *Collector) Key(end time.Time) string {
	end = end.UTC()
	prefix := ""
	if c.cfg.LogPrefix != "" {
		prefix = c.cfg.LogPrefix + "/"
	}
	return fmt.Sprintf("%sAWSLogs/%s/elasticloadbalancing/%s/%s/%s_elasticloadbalancing_%s_%s_%s_%s_%s.log.gz",
		prefix, c.cfg.Account, c.cfg.Region, end.Format("2006/01/02"),
		c.cfg.Account, c.cfg.Region, c.cfg.LoadBalancer, end.Format("20060102T1504Z"), c.cfg.NodeIP, randomHex(4))
}
