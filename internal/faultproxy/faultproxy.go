// Package faultproxy is an HTTP proxy in front of an S3-compatible server
// that fails chosen requests the way S3 can fail them: answers of 503
// SlowDown or 500 InternalError, a write that happens but whose answer
// never reaches the client, and a read whose connection drops halfway
// through the body. Faults are targeted (the Nth request of a method to an
// object key) so that a test that makes its requests in a known order is
// deterministic. Faults a TCP proxy can make on every connection (resets,
// latency, cut streams) are left to one, such as toxiproxy.
//
// Requests must use path-style addressing (/bucket/key), as clients of
// S3-compatible servers do. The proxy passes the Host header through
// unchanged, so signatures made for the proxy's address still hold.
package faultproxy

import (
	"encoding/xml"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"slices"
	"strings"
	"sync"
)

// Fault is what happens to a request a Rule picks.
type Fault int

const (
	// SlowDown answers 503 SlowDown without passing the request on, as S3
	// does when asked too fast. SDKs retry it.
	SlowDown Fault = iota + 1
	// InternalError answers 500 InternalError without passing the
	// request on. SDKs retry it.
	InternalError
	// LoseAnswer passes the request on, waits for the server's whole
	// answer, then resets the client's connection instead of answering:
	// the request took effect, and the client cannot know it.
	LoseAnswer
	// CutBody passes the request on and answers the status, the headers
	// and the first half of the body, then resets the connection. SDKs
	// do not retry a body that fails while it is being read.
	CutBody
)

func (f Fault) String() string {
	switch f {
	case SlowDown:
		return "503 SlowDown"
	case InternalError:
		return "500 InternalError"
	case LoseAnswer:
		return "answer lost"
	case CutBody:
		return "body cut"
	}
	return fmt.Sprintf("Fault(%d)", int(f))
}

// Rule picks requests to fail.
type Rule struct {
	Method string // such as GET or PUT
	Key    string // the object key, exactly (not URL-encoded)
	// Nth lists which requests matching Method and Key fail, counting
	// from 1; nil fails every one.
	Nth   []int
	Fault Fault
}

// Injection is one fault injected.
type Injection struct {
	Rule        int // index of the rule in Proxy.Rules
	Nth         int // the request's number among those its rule matches
	Fault       Fault
	Method, Key string
}

// Proxy is an http.Handler that passes requests to an S3-compatible
// server and fails those its rules pick. Set Rules before serving.
type Proxy struct {
	Rules []Rule

	upstream  *url.URL
	transport *http.Transport
	forward   *httputil.ReverseProxy

	mu       sync.Mutex
	matched  []int          // by rule: requests matched so far
	requests map[string]int // by "METHOD key": requests seen
	injected []Injection
}

// New returns a Proxy to the server at upstream, an http:// URL.
func New(upstream string) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil {
		return nil, err
	}
	if u.Scheme != "http" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: upstream %q is not http://host:port", upstream)
	}
	p := &Proxy{upstream: u, transport: http.DefaultTransport.(*http.Transport).Clone(), requests: map[string]int{}}
	p.forward = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(u)
			r.Out.Host = r.In.Host // signed by the client
		},
		Transport: p.transport,
	}
	return p, nil
}

// Close closes the idle connections to the server.
func (p *Proxy) Close() { p.transport.CloseIdleConnections() }

// Injected returns the faults injected so far, in order.
func (p *Proxy) Injected() []Injection {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.injected)
}

// Requests returns how many requests of method to key the proxy has
// seen, failed or not: a client's retries show here.
func (p *Proxy) Requests(method, key string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[method+" "+key]
}

// pick counts r against the rules and returns the fault to inject, if any.
func (p *Proxy) pick(method, key string) (Fault, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.requests[method+" "+key]++
	if p.matched == nil {
		p.matched = make([]int, len(p.Rules))
	}
	for i, rule := range p.Rules {
		if rule.Method != method || rule.Key != key {
			continue
		}
		p.matched[i]++
		if n := p.matched[i]; rule.Nth == nil || slices.Contains(rule.Nth, n) {
			p.injected = append(p.injected, Injection{Rule: i, Nth: n, Fault: rule.Fault, Method: method, Key: key})
			return rule.Fault, true
		}
	}
	return 0, false
}

// objectKey is the key of a path-style request path, "" for a bucket.
func objectKey(path string) string {
	_, key, _ := strings.Cut(strings.TrimPrefix(path, "/"), "/")
	return key
}

func (p *Proxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	key := objectKey(r.URL.Path)
	fault, ok := p.pick(r.Method, key)
	if !ok || key == "" {
		p.forward.ServeHTTP(w, r)
		return
	}
	switch fault {
	case SlowDown:
		answerError(w, r, http.StatusServiceUnavailable, "SlowDown", "Please reduce your request rate.")
	case InternalError:
		answerError(w, r, http.StatusInternalServerError, "InternalError", "We encountered an internal error. Please try again.")
	case LoseAnswer:
		resp, err := p.roundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		reset(w)
	case CutBody:
		resp, err := p.roundTrip(r)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		half := resp.ContentLength / 2
		if resp.ContentLength < 0 {
			half = 1 // unknown length: cut after the first byte
		}
		io.CopyN(w, resp.Body, half)
		http.NewResponseController(w).Flush()
		reset(w)
	default:
		p.forward.ServeHTTP(w, r)
	}
}

// roundTrip passes r to the server as the proxy does, and returns its
// answer.
func (p *Proxy) roundTrip(r *http.Request) (*http.Response, error) {
	out := r.Clone(r.Context())
	out.RequestURI = ""
	out.URL.Scheme, out.URL.Host = p.upstream.Scheme, p.upstream.Host
	out.Host = r.Host
	return p.transport.RoundTrip(out)
}

// answerError reads the request's body, as a server does before it
// answers, and answers an S3 error.
func answerError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "application/xml")
	w.WriteHeader(status)
	fmt.Fprintf(w, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>faultproxy</RequestId></Error>",
		code, message, escapeXML(r.URL.Path))
}

func escapeXML(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(s)) // a strings.Builder does not fail
	return b.String()
}

// reset takes the connection from the server and closes it with a TCP
// reset (no lingering), dropping whatever was not sent.
func reset(w http.ResponseWriter) {
	conn, _, err := http.NewResponseController(w).Hijack()
	if err != nil {
		return // HTTP/2; the proxy serves HTTP/1.1, which S3 clients speak
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}
