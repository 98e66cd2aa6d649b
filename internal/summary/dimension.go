package summary

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/contract"
)

type dimKind uint8

const (
	dimDate dimKind = iota + 1
	dimHour
	dimPath
	dimMethod
	dimStatus
	dimHost
	dimType
	dimAction
	dimBot
	dimQuery
)

var dimNames = map[string]dimKind{
	"date":   dimDate,
	"hour":   dimHour,
	"path":   dimPath,
	"method": dimMethod,
	"status": dimStatus,
	"host":   dimHost,
	"type":   dimType,
	"action": dimAction,
	"bot":    dimBot,
}

// A Dimension is one column to group requests by:
//
//   - date: the UTC date (YYYY-MM-DD) of the line's own timestamp
//   - hour: the UTC hour, YYYY-MM-DDTHH
//   - path: the URL without scheme, host, port and query; percent-encoding
//     as logged, ALB's \xHH escapes decoded; "/" when the URL has no path,
//     "-" when the request is malformed
//   - method, status (elb_status_code, in decimal), host (from the URL,
//     without port), type (ALB's connection type): "-" when absent
//   - action: ALB's actions_executed as logged, a comma list such as
//     "fixed-response", "redirect" or "waf,forward"; "-" when absent and on
//     Classic
//   - bot: "yes" when the user agent is a crawler's (see IsBot), else "no"
//   - query:NAME: the first value of query parameter NAME, percent-decoded
//     ("+" is a space); empty when absent; kept as logged when its
//     percent-encoding is invalid
type Dimension struct {
	name  string
	kind  dimKind
	param string // the parameter name of a query: dimension
}

// Name is the dimension as written in a group-by list and as a column header.
func (d Dimension) Name() string { return d.name }

// isTime tells the time columns, date and hour: an overflow row keeps
// their values, so that each date and hour keeps its exact total.
func (d Dimension) isTime() bool { return d.kind == dimDate || d.kind == dimHour }

// ParseDimensions parses a comma-separated group-by list such as
// "date,path,query:ev". Every problem is reported, not just the first; the
// rules are contract.ParseGroupBy's.
func ParseDimensions(list string) ([]Dimension, error) {
	names, err := contract.ParseGroupBy(list)
	if err != nil {
		return nil, err
	}
	dims := make([]Dimension, len(names))
	for i, name := range names {
		if param, ok := strings.CutPrefix(name, contract.QueryPrefix); ok {
			dims[i] = Dimension{name: name, kind: dimQuery, param: param}
			continue
		}
		kind, ok := dimNames[name]
		if !ok {
			return nil, fmt.Errorf("dimension %q: the contract allows it but summary cannot extract it", name)
		}
		dims[i] = Dimension{name: name, kind: kind}
	}
	return dims, nil
}

// MustParseDimensions is ParseDimensions for lists known to be valid; it
// panics otherwise. It exists for tests and package-level defaults.
func MustParseDimensions(list string) []Dimension {
	dims, err := ParseDimensions(list)
	if err != nil {
		panic(err)
	}
	return dims
}

// extractor appends dimension values of records to a buffer, caching the
// formatted date and hour because consecutive lines nearly always share them.
type extractor struct {
	day, hour periodText
	scratch   []byte
}

// periodText is the text of the last period (a day, an hour) formatted.
type periodText struct {
	period int64
	text   []byte
	have   bool
}

// of is the text of the period of seconds that holds t, formatted with
// layout in UTC; it formats only when t is in another period than the last.
func (p *periodText) of(t time.Time, seconds int64, layout string) []byte {
	period := floorDiv(t.Unix(), seconds)
	if !p.have || period != p.period {
		p.period, p.have = period, true
		p.text = t.UTC().AppendFormat(p.text[:0], layout)
	}
	return p.text
}

var dash = []byte("-")

// appendValue is the package-level appendValue with the formatted date and
// hour cached, and a query unescaped into a buffer kept for the next line.
func (x *extractor) appendValue(dst []byte, d Dimension, r *accesslog.Record) []byte {
	switch d.kind {
	case dimDate:
		return append(dst, x.day.of(r.Time, 86400, "2006-01-02")...)
	case dimHour:
		return append(dst, x.hour.of(r.Time, 3600, "2006-01-02T15")...)
	case dimQuery:
		if r.Malformed() {
			return dst
		}
		_, _, query := accesslog.SplitURL(r.URL)
		if bytes.IndexByte(query, '\\') >= 0 {
			x.scratch = accesslog.AppendUnescaped(x.scratch[:0], query)
			query = x.scratch
		}
		return appendQueryValue(dst, query, d.param)
	}
	return appendValue(dst, d, r)
}

// appendValue appends the value of dimension d for r.
func appendValue(dst []byte, d Dimension, r *accesslog.Record) []byte {
	switch d.kind {
	case dimDate:
		return r.Time.UTC().AppendFormat(dst, "2006-01-02")
	case dimHour:
		return r.Time.UTC().AppendFormat(dst, "2006-01-02T15")
	case dimPath:
		if r.Malformed() || r.URL == nil {
			return append(dst, '-')
		}
		_, path, _ := accesslog.SplitURL(r.URL)
		if len(path) == 0 {
			return append(dst, '/')
		}
		return accesslog.AppendUnescaped(dst, path)
	case dimMethod:
		return accesslog.AppendUnescaped(dst, orDash(r.Method))
	case dimStatus:
		if r.ELBStatusCode == 0 {
			return append(dst, '-')
		}
		return strconv.AppendInt(dst, int64(r.ELBStatusCode), 10)
	case dimHost:
		host, _, _ := accesslog.SplitURL(r.URL)
		if r.Malformed() || len(host) == 0 {
			return append(dst, '-')
		}
		return accesslog.AppendUnescaped(dst, host)
	case dimType:
		return append(dst, orDash(r.Type)...)
	case dimAction:
		return accesslog.AppendUnescaped(dst, orDash(r.ActionsExecuted))
	case dimBot:
		if IsBot(r.UserAgent) {
			return append(dst, "yes"...)
		}
		return append(dst, "no"...)
	case dimQuery:
		if r.Malformed() {
			return dst
		}
		_, _, query := accesslog.SplitURL(r.URL)
		if bytes.IndexByte(query, '\\') >= 0 {
			var buf [512]byte
			query = accesslog.AppendUnescaped(buf[:0], query)
		}
		return appendQueryValue(dst, query, d.param)
	}
	return dst
}

func orDash(b []byte) []byte {
	if len(b) == 0 {
		return dash
	}
	return b
}

func floorDiv(a, b int64) int64 {
	q := a / b
	if a%b < 0 {
		q--
	}
	return q
}
