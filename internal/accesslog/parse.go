package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// Minimum field counts: a line is usable when it has every field up to and
// including the request, which is all aggregation needs. Older ALB files
// have as few as 18 fields; newer ones any number more.
const (
	minALBFields     = 13
	minClassicFields = 12
	knownALBFields   = 33
	knownClassic     = 15
)

// ParseError reports why a line could not be used.
type ParseError struct {
	Field string // the field that failed, or "" when the line as a whole did
	Value string // the offending value, shortened; "" when not useful
	Err   error  // one of the Err* sentinels, possibly inside a *SplitError
}

func (e *ParseError) Error() string {
	switch {
	case e.Field == "" && e.Value == "":
		return e.Err.Error()
	case e.Field == "":
		return fmt.Sprintf("%v: %s", e.Err, e.Value)
	case e.Value == "":
		return fmt.Sprintf("%s: %v", e.Field, e.Err)
	}
	return fmt.Sprintf("%s: %v %q", e.Field, e.Err, e.Value)
}

func (e *ParseError) Unwrap() error { return e.Err }

// Reason is a short, stable description of the error for counting rejected
// lines by cause: it names the field but not the value or the position.
func (e *ParseError) Reason() string {
	var se *SplitError
	err := e.Err
	if errors.As(err, &se) {
		err = se.Err
	}
	if e.Field == "" {
		return err.Error()
	}
	return err.Error() + " " + e.Field
}

func fieldError(field string, value []byte) error {
	const max = 64
	v := string(value[:min(len(value), max)])
	if len(value) > max {
		v += "…"
	}
	return &ParseError{Field: field, Value: v, Err: ErrInvalidField}
}

// Parser parses the lines of one log file. The first line that looks like
// an ALB or a Classic line fixes the format for the rest of the file, so a
// stray line of the other shape is rejected instead of being misread.
// A Parser reuses its buffers and is not safe for concurrent use.
type Parser struct {
	// Format is the file's format: FormatUnknown until a line has shown it.
	// Set it before the first Parse to skip detection.
	Format Format

	fields [][]byte
}

// Parse parses one line into r. On error r is left in an unspecified state.
// The slices of r alias line and the Parser's buffers; both must stay
// unchanged while r is in use.
func (p *Parser) Parse(line []byte, r *Record) error {
	fields, err := Split(p.fields[:0], line)
	p.fields = fields[:0]
	if err != nil {
		return &ParseError{Err: err}
	}
	if p.Format == FormatUnknown {
		p.Format = detect(fields)
		if p.Format == FormatUnknown {
			return &ParseError{Err: ErrUnknownFormat}
		}
	}
	switch p.Format {
	case FormatALB:
		return parseALB(fields, r)
	case FormatClassic:
		return parseClassic(fields, r)
	}
	return &ParseError{Err: ErrUnknownFormat}
}

// detect tells the format from a line's shape: Classic lines start with the
// timestamp, ALB lines with the type and then the timestamp.
func detect(f [][]byte) Format {
	switch {
	case len(f) >= minClassicFields && looksLikeTime(f[0]):
		return FormatClassic
	case len(f) >= minALBFields && looksLikeTime(f[1]):
		return FormatALB
	}
	return FormatUnknown
}

func looksLikeTime(b []byte) bool {
	_, ok := parseTime(b)
	return ok
}

func tooFew(have, need int) error {
	return &ParseError{Value: fmt.Sprintf("%d, need at least %d", have, need), Err: ErrTooFewFields}
}

func parseALB(f [][]byte, r *Record) error {
	if len(f) < minALBFields {
		return tooFew(len(f), minALBFields)
	}
	*r = Record{Format: FormatALB, Type: f[0], ELB: optional(f[2])}
	var ok bool
	if r.Time, ok = parseTime(f[1]); !ok {
		return fieldError("time", f[1])
	}
	if err := parseCommon(f[3:], r); err != nil {
		return err
	}
	// Fields after the request are optional: older files stop early.
	opt := func(i int) []byte {
		if i < len(f) {
			return optional(f[i])
		}
		return nil
	}
	r.UserAgent = opt(13)
	r.SSLCipher = opt(14)
	r.SSLProtocol = opt(15)
	r.TargetGroupARN = opt(16)
	r.TraceID = opt(17)
	r.DomainName = opt(18)
	r.ChosenCertARN = opt(19)
	r.MatchedRulePriority = opt(20)
	if b := opt(21); b != nil {
		if r.RequestCreationTime, ok = parseTime(b); !ok {
			return fieldError("request_creation_time", b)
		}
	}
	r.ActionsExecuted = opt(22)
	r.RedirectURL = opt(23)
	r.ErrorReason = opt(24)
	r.TargetPortList = opt(25)
	r.TargetStatusCodeList = opt(26)
	r.Classification = opt(27)
	r.ClassificationReason = opt(28)
	r.ConnTraceID = opt(29)
	r.TransformedHost = opt(30)
	r.TransformedURI = opt(31)
	r.RequestTransformStatus = opt(32)
	if len(f) > knownALBFields {
		r.Extra = f[knownALBFields:]
	}
	return nil
}

func parseClassic(f [][]byte, r *Record) error {
	if len(f) < minClassicFields {
		return tooFew(len(f), minClassicFields)
	}
	*r = Record{Format: FormatClassic, ELB: optional(f[1])}
	var ok bool
	if r.Time, ok = parseTime(f[0]); !ok {
		return fieldError("timestamp", f[0])
	}
	if err := parseCommon(f[2:], r); err != nil {
		return err
	}
	if len(f) > 12 {
		r.UserAgent = optional(f[12])
	}
	if len(f) > 13 {
		r.SSLCipher = optional(f[13])
	}
	if len(f) > 14 {
		r.SSLProtocol = optional(f[14])
	}
	if len(f) > knownClassic {
		r.Extra = f[knownClassic:]
	}
	return nil
}

// parseCommon parses the ten fields ALB and Classic lines share, from
// client:port to the request.
func parseCommon(f [][]byte, r *Record) error {
	var ok bool
	if r.Client, r.ClientPort, ok = parseHostPort(f[0]); !ok {
		return fieldError("client:port", f[0])
	}
	if r.Target, r.TargetPort, ok = parseHostPort(f[1]); !ok {
		return fieldError("target:port", f[1])
	}
	if r.RequestProcessingTime, ok = parseSeconds(f[2]); !ok {
		return fieldError("request_processing_time", f[2])
	}
	if r.TargetProcessingTime, ok = parseSeconds(f[3]); !ok {
		return fieldError("target_processing_time", f[3])
	}
	if r.ResponseProcessingTime, ok = parseSeconds(f[4]); !ok {
		return fieldError("response_processing_time", f[4])
	}
	if r.ELBStatusCode, ok = parseStatus(f[5]); !ok {
		return fieldError("elb_status_code", f[5])
	}
	if r.TargetStatusCode, ok = parseStatus(f[6]); !ok {
		return fieldError("target_status_code", f[6])
	}
	if r.ReceivedBytes, ok = parseCount(f[7]); !ok {
		return fieldError("received_bytes", f[7])
	}
	if r.SentBytes, ok = parseCount(f[8]); !ok {
		return fieldError("sent_bytes", f[8])
	}
	r.Request = f[9]
	r.Method, r.URL, r.Version = SplitRequest(f[9])
	return nil
}

// SplitRequest splits a request field (`METHOD URL VERSION`) at its first
// and last space, so that a URL with spaces in it stays whole. Trailing
// spaces are ignored; the last part counts as the version only when it
// starts with "HTTP/", so a line without one keeps its whole URL. Parts
// logged as `-` are returned as nil.
func SplitRequest(req []byte) (method, url, version []byte) {
	for len(req) > 0 && req[len(req)-1] == ' ' {
		req = req[:len(req)-1]
	}
	if len(req) == 0 {
		return nil, nil, nil
	}
	sp := bytes.IndexByte(req, ' ')
	if sp < 0 {
		return optional(req), nil, nil
	}
	method, rest := req[:sp], req[sp+1:]
	if last := bytes.LastIndexByte(rest, ' '); last >= 0 {
		v := rest[last+1:]
		if bytes.HasPrefix(v, []byte("HTTP/")) || bytes.Equal(v, []byte("-")) {
			rest, version = rest[:last], v
		}
	}
	return optional(method), optional(rest), optional(version)
}

func optional(b []byte) []byte {
	if len(b) == 1 && b[0] == '-' {
		return nil
	}
	return b
}

// parseHostPort splits ip:port at the last colon, so IPv6 addresses, which
// ALB writes without brackets, keep their colons. Brackets, if present, are
// removed. `-` is absent.
func parseHostPort(b []byte) (host []byte, port int, ok bool) {
	if len(b) == 1 && b[0] == '-' {
		return nil, 0, true
	}
	i := bytes.LastIndexByte(b, ':')
	if i <= 0 {
		return nil, 0, false
	}
	p, ok := parseCount(b[i+1:])
	if !ok || p > 65535 {
		return nil, 0, false
	}
	host = b[:i]
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, int(p), true
}

// parseCount parses a non-negative decimal integer; `-` is 0.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	if len(b) == 1 && b[0] == '-' {
		return 0, true
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	return n, true
}

// parseStatus parses an HTTP status code; `-` is 0.
func parseStatus(b []byte) (int, bool) {
	if len(b) == 1 && b[0] == '-' {
		return 0, true
	}
	if len(b) != 3 {
		return 0, false
	}
	n, ok := parseCount(b)
	return int(n), ok
}

// parseSeconds parses a processing time in seconds with a decimal fraction
// into an exact Duration (digits past nanoseconds are dropped). `-1` and `-`
// are Unmeasured.
func parseSeconds(b []byte) (time.Duration, bool) {
	if len(b) == 1 && b[0] == '-' || len(b) == 2 && b[0] == '-' && b[1] == '1' {
		return Unmeasured, true
	}
	whole, frac := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		whole, frac = b[:i], b[i+1:]
	}
	if len(whole) == 0 || len(whole) > 9 {
		return 0, false
	}
	s, ok := parseCount(whole)
	if !ok {
		return 0, false
	}
	d := time.Duration(s) * time.Second
	scale := time.Duration(100_000_000)
	for _, c := range frac {
		if c < '0' || c > '9' {
			return 0, false
		}
		d += time.Duration(c-'0') * scale
		scale /= 10
	}
	return d, true
}

// parseTime parses the RFC 3339 UTC timestamps load balancers write
// (2018-07-02T22:23:00.186641Z) without allocating; other offsets and
// precisions go through time.Parse.
func parseTime(b []byte) (time.Time, bool) {
	if len(b) < 20 || b[4] != '-' || b[7] != '-' || b[10] != 'T' || b[13] != ':' || b[16] != ':' {
		return time.Time{}, false
	}
	if b[len(b)-1] != 'Z' {
		t, err := time.Parse(time.RFC3339Nano, string(b))
		return t.UTC(), err == nil
	}
	year, ok1 := digits(b[0:4])
	month, ok2 := digits(b[5:7])
	day, ok3 := digits(b[8:10])
	hour, ok4 := digits(b[11:13])
	minute, ok5 := digits(b[14:16])
	sec, ok6 := digits(b[17:19])
	if !(ok1 && ok2 && ok3 && ok4 && ok5 && ok6) ||
		month < 1 || month > 12 || day < 1 || day > daysIn(month, year) ||
		hour > 23 || minute > 59 || sec > 59 {
		return time.Time{}, false
	}
	nsec := 0
	if rest := b[19 : len(b)-1]; len(rest) > 0 {
		if rest[0] != '.' || len(rest) < 2 || len(rest) > 10 {
			return time.Time{}, false
		}
		f, ok := digits(rest[1:])
		if !ok {
			return time.Time{}, false
		}
		for i := len(rest) - 1; i < 9; i++ {
			f *= 10
		}
		nsec = f
	}
	return time.Date(year, time.Month(month), day, hour, minute, sec, nsec, time.UTC), true
}

func digits(b []byte) (int, bool) {
	n := 0
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	return n, true
}

func daysIn(month, year int) int {
	switch month {
	case 2:
		if year%4 == 0 && (year%100 != 0 || year%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}
