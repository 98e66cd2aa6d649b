// Package accesslog parses the access-log lines that AWS load balancers
// write: Application Load Balancer (ALB) lines, with any number of fields
// appended after the known ones, and Classic Load Balancer lines.
//
// A Parser splits and types one line at a time without allocating. The
// byte slices of a Record alias the line and are valid until the line's
// buffer is reused, like bufio.Scanner's Bytes.
//
// # What a line needs
//
// A counter must not drop a request because a field it does not count holds
// a value the documentation does not list, so a line is rejected only when
// what counting needs cannot be read:
//
//   - its shape: the line splits into fields (every quote is closed and
//     followed by a space or the end), and the request is the line's first
//     quoted field, at its place (the 13th field on ALB, the 12th on
//     Classic). A field before it that is missing or split in two moves the
//     request, and then no field of the line can be trusted;
//   - its timestamp (ALB time, Classic timestamp): RFC 3339;
//   - nothing more: the request's content is counted as logged, a malformed
//     one (`"- - - "`, `"- http://host:80- -"`) included.
//
// Every other field is accepted as logged. Text fields are kept raw, `-`
// being absent. Numbers are read leniently: a status code or byte count
// that is not a decimal number is 0 (absent), a processing time that is not
// one is Unmeasured, a host:port whose port is missing or odd keeps the
// whole value as the host with port 0, an unreadable request_creation_time
// is the zero time. Fields after the request may be missing (older files)
// or more than known (newer ones, in Extra).
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
// load balancer could not dispatch the request, or answered it itself), or
// anything else that is not a time.
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
	Client     []byte    // client IP, IPv6 without brackets; the whole field when it has no port
	ClientPort int       // 0 when absent
	Target     []byte    // target (Classic: back end) IP; nil when absent
	TargetPort int

	RequestProcessingTime  time.Duration
	TargetProcessingTime   time.Duration // Classic: backend_processing_time
	ResponseProcessingTime time.Duration

	ELBStatusCode    int   // 0 when absent (Classic TCP listeners) or not a number
	TargetStatusCode int   // 0 when absent or not a number
	ReceivedBytes    int64 // 0 when absent or not a number
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
	MatchedRulePriority    []byte    // "0" default rule, "-1" rule-evaluation error
	RequestCreationTime    time.Time // zero when absent or unreadable
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
