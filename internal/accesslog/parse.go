package accesslog

import (
	"bytes"
	"errors"
	"fmt"
	"time"
)

// The fields a line needs. Counting needs the timestamp and the request, so a
// line must reach the request field: older ALB files have as few as 18
// fields, newer ones any number more, and the oldest Classic lines stop at
// the request.
const (
	albTime        = 1  // time
	albRequest     = 12 // "request"
	classicTime    = 0  // timestamp
	classicRequest = 11 // "request"

	knownALBFields = 33
	knownClassic   = 15
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
	const maxShown = 64
	v := string(value[:min(len(value), maxShown)])
	if len(value) > maxShown {
		v += "…"
	}
	return &ParseError{Field: field, Value: v, Err: ErrInvalidField}
}

// Parser parses the lines of one log file. The first line that parses as
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
	switch p.Format {
	case FormatALB:
		return parseALB(line, fields, r)
	case FormatClassic:
		return parseClassic(line, fields, r)
	}
	// Classic lines start with the timestamp, ALB lines with the type and
	// then the time, so no line parses as both.
	if parseClassic(line, fields, r) == nil {
		p.Format = FormatClassic
		return nil
	}
	if parseALB(line, fields, r) == nil {
		p.Format = FormatALB
		return nil
	}
	return &ParseError{Err: ErrUnknownFormat}
}

// checkShape reports whether fields, split from line, reach the request at
// index req, and whether the request is where it belongs: the line's first
// quoted field. A field before it that split in two (or went missing) moves
// the request, and then no other field can be trusted either.
func checkShape(line []byte, fields [][]byte, req int) error {
	if len(fields) <= req {
		return &ParseError{Value: fmt.Sprintf("%d, need at least %d", len(fields), req+1), Err: ErrTooFewFields}
	}
	// Fields alias line, so the difference of their capacities is where a
	// field starts; a quoted one starts right after its quote.
	start := cap(line) - cap(fields[req])
	if start == 0 || line[start-1] != '"' || bytes.IndexByte(line, '"') != start-1 {
		return fieldError("request", fields[req])
	}
	return nil
}

func parseALB(line []byte, f [][]byte, r *Record) error {
	if err := checkShape(line, f, albRequest); err != nil {
		return err
	}
	*r = Record{Format: FormatALB, Type: f[0], ELB: optional(f[2])}
	var ok bool
	if r.Time, ok = parseTime(f[albTime]); !ok {
		return fieldError("time", f[albTime])
	}
	parseCommon(f[3:], r)
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
	r.RequestCreationTime, _ = parseTime(opt(21))
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

func parseClassic(line []byte, f [][]byte, r *Record) error {
	if err := checkShape(line, f, classicRequest); err != nil {
		return err
	}
	*r = Record{Format: FormatClassic, ELB: optional(f[1])}
	var ok bool
	if r.Time, ok = parseTime(f[classicTime]); !ok {
		return fieldError("timestamp", f[classicTime])
	}
	parseCommon(f[2:], r)
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

// parseCommon reads the ten fields ALB and Classic lines share, from
// client:port to the request. None of them can fail the line: a value that
// does not read as what the documentation promises is taken as absent, or
// kept as logged where the field is text.
func parseCommon(f [][]byte, r *Record) {
	r.Client, r.ClientPort = parseHostPort(f[0])
	r.Target, r.TargetPort = parseHostPort(f[1])
	r.RequestProcessingTime = parseSeconds(f[2])
	r.TargetProcessingTime = parseSeconds(f[3])
	r.ResponseProcessingTime = parseSeconds(f[4])
	r.ELBStatusCode = parseStatus(f[5])
	r.TargetStatusCode = parseStatus(f[6])
	r.ReceivedBytes, _ = parseCount(f[7])
	r.SentBytes, _ = parseCount(f[8])
	r.Request = f[9]
	r.Method, r.URL, r.Version = SplitRequest(f[9])
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
// ALB writes without brackets, keep their colons; brackets, if present, are
// removed. `-` is absent. A value that does not end in a port is kept
// whole as the host, with port 0.
func parseHostPort(b []byte) (host []byte, port int) {
	if len(b) == 1 && b[0] == '-' {
		return nil, 0
	}
	host = b
	if i := bytes.LastIndexByte(b, ':'); i >= 0 {
		if p, ok := parseCount(b[i+1:]); ok && p <= 65535 {
			host, port = b[:i], int(p)
		}
	}
	if len(host) >= 2 && host[0] == '[' && host[len(host)-1] == ']' {
		host = host[1 : len(host)-1]
	}
	return host, port
}

// parseCount parses a non-negative decimal integer, reporting whether b is
// one.
func parseCount(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
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

// parseStatus parses an HTTP status code of any number of digits (load
// balancers log 3, but a stray "0" or "2000" is still a number); `-` and
// anything that is not a number are absent, 0.
func parseStatus(b []byte) int {
	if len(b) > 9 {
		return 0
	}
	n, _ := parseCount(b)
	return int(n)
}

// parseSeconds parses a processing time in seconds with a decimal fraction
// into an exact Duration (digits past nanoseconds are dropped). `-1`, `-`
// and anything else that is not such a number are Unmeasured.
func parseSeconds(b []byte) time.Duration {
	whole, frac := b, []byte(nil)
	if i := bytes.IndexByte(b, '.'); i >= 0 {
		whole, frac = b[:i], b[i+1:]
	}
	if len(whole) == 0 || len(whole) > 9 {
		return Unmeasured
	}
	s, ok := parseCount(whole)
	if !ok {
		return Unmeasured
	}
	d := time.Duration(s) * time.Second
	scale := time.Duration(100_000_000)
	for _, c := range frac {
		if c < '0' || c > '9' {
			return Unmeasured
		}
		d += time.Duration(c-'0') * scale
		scale /= 10
	}
	return d
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
