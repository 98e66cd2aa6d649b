// Package accesslog parses the access-log lines that AWS load balancers
// write: Application Load Balancer (ALB) lines, with any number of fields
// appended after the known ones, and Classic Load Balancer lines.
//
// A Parser splits and types one line at a time without allocating. The
// byte slices of a Record alias the line and are valid until the line's
// buffer is reused, like bufio.Scanner's Bytes.
package accesslog

import (
	"time"
)

// Format is the kind of load balancer that wrote a line.
type Format uint8

const (
	FormatUnknown Format = iota
	FormatALB            // Application Load Balancer
	FormatClassic        // Classic Load Balancer
)

func (f Format) String() string {
	switch f {
	case FormatALB:
		return "alb"
	case FormatClassic:
		return "classic"
	}
	return "unknown"
}

// Unmeasured is the processing time of a Record when the log says -1 (the
// load balancer could not dispatch the request, or answered it itself).
const Unmeasured time.Duration = -1

// Record is one access-log line. Fields the log marks absent (`-`, `"-"`)
// are nil slices, zero numbers, the zero time, or Unmeasured durations.
// Quoted values keep their escapes as logged; decode what you output with
// AppendUnescaped. Fields a line's format lacks stay zero.
type Record struct {
	Format Format

	Type       []byte    // ALB only: http, https, h2, grpcs, ws, wss, or any other token
	Time       time.Time // ALB: when the response was sent; Classic: when the request was received
	ELB        []byte    // ALB: app/<name>/<id>; Classic: the load balancer's name
	Client     []byte    // client IP, IPv6 without brackets
	ClientPort int
	Target     []byte // target (Classic: back end) IP; nil when absent
	TargetPort int

	RequestProcessingTime  time.Duration
	TargetProcessingTime   time.Duration // Classic: backend_processing_time
	ResponseProcessingTime time.Duration

	ELBStatusCode    int // 0 when absent (Classic TCP listeners)
	TargetStatusCode int // 0 when absent
	ReceivedBytes    int64
	SentBytes        int64

	// Request is the request line as logged; Method, URL and Version are its
	// parts: split at the first and the last space, so the URL may contain
	// spaces. Version is nil when the line has none.
	Request []byte
	Method  []byte
	URL     []byte
	Version []byte

	UserAgent   []byte
	SSLCipher   []byte
	SSLProtocol []byte

	// ALB only, in log order.
	TargetGroupARN         []byte
	TraceID                []byte
	DomainName             []byte
	ChosenCertARN          []byte
	MatchedRulePriority    []byte // "0" default rule, "-1" rule-evaluation error
	RequestCreationTime    time.Time
	ActionsExecuted        []byte
	RedirectURL            []byte
	ErrorReason            []byte
	TargetPortList         []byte
	TargetStatusCodeList   []byte
	Classification         []byte
	ClassificationReason   []byte
	ConnTraceID            []byte
	TransformedHost        []byte
	TransformedURI         []byte
	RequestTransformStatus []byte

	// Extra holds the fields after the last known one, which AWS appends
	// from time to time and tells readers to ignore.
	Extra [][]byte
}

// Malformed reports whether the load balancer could not parse the request
// line (it then logs `-` as the method).
func (r *Record) Malformed() bool {
	return len(r.Method) == 0
}
