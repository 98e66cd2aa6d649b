// Package loggen writes realistic ALB access logs from a seed, together
// with the exact counts a correct parser must find in them. Tests and
// benchmarks generate their data with it instead of committing large files.
//
// The lines have the shape of an ALB with no targets answering with a fixed
// response: Zipf-distributed paths with query strings, IPv4 and unbracketed
// IPv6 clients, user agents with escaped quotes, non-ASCII and quotes
// written as \xHH, spaces in URIs, malformed requests, URLs without a path,
// bracketed IPv6 hosts, trailing fields of newer log versions, lines that
// span midnight, and a few lines no parser can use.
package loggen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Config says what to generate. The zero value of a field picks the default
// in its comment.
type Config struct {
	Seed  uint64        // 0 is a seed like any other
	Lines int           // lines to write; default 1000
	Start time.Time     // time of the first line; default 2026-11-25T23:55:00Z
	Span  time.Duration // time from first to last line; default 10 minutes
	Paths int           // distinct paths drawn from; default 2000
	// Distinct records every usable line's visitor and uid, so that
	// ExpectedDistinct can tell each group's distinct values. It costs
	// memory for each distinct value.
	Distinct bool
}

func (c Config) withDefaults() Config {
	if c.Lines == 0 {
		c.Lines = 1000
	}
	if c.Start.IsZero() {
		c.Start = time.Date(2026, 11, 25, 23, 55, 0, 0, time.UTC)
	}
	if c.Span == 0 {
		c.Span = 10 * time.Minute
	}
	if c.Paths == 0 {
		c.Paths = 2000
	}
	return c
}

// Truth is what a correct parser must derive from one generated line:
// the values of every dimension pmdp groups by.
type Truth struct {
	Date, Hour, Path, Method, Status, Host, Type string
	Action, Bot                                  string
	Query                                        map[string]string // first value of "ev", the one parameter tracked
	// Not dimensions, but the values distinct counts see: the client IP,
	// a space and the user agent as logged; the first value of "uid", ""
	// when absent.
	Visitor, UID string
}

// Value returns the truth for a dimension name as pmdp spells it.
func (t Truth) Value(dim string) (string, error) {
	switch dim {
	case "date":
		return t.Date, nil
	case "hour":
		return t.Hour, nil
	case "path":
		return t.Path, nil
	case "method":
		return t.Method, nil
	case "status":
		return t.Status, nil
	case "host":
		return t.Host, nil
	case "type":
		return t.Type, nil
	case "action":
		return t.Action, nil
	case "bot":
		return t.Bot, nil
	}
	if dim == "query:ev" {
		return t.Query["ev"], nil
	}
	return "", fmt.Errorf("loggen: unknown dimension %q", dim)
}

// Result is what Write produced: how many lines, how many of them are
// unusable, and the truth of every usable line, counted.
type Result struct {
	Lines    int
	Rejected int
	truths   map[string]*truthCount
}

type truthCount struct {
	truth Truth
	n     int64
	// The distinct visitors and uids of the lines counted, with
	// Config.Distinct.
	visitors, uids map[string]bool
}

// ExpectedRow is one group of the expected summary.
type ExpectedRow struct {
	Values []string
	Count  int64
	// Distinct holds the group's distinct values, sorted, from
	// ExpectedDistinct; nil from Expected.
	Distinct []string
}

// Expected returns the counts a summary grouped by dims must hold, sorted
// like pmdp sorts its rows (column by column, bytewise).
func (r *Result) Expected(dims []string) ([]ExpectedRow, error) { return r.expected(dims, "") }

// ExpectedDistinct is Expected with each row's distinct values of
// distinct: "visitor" or "query:uid". Write must have been given
// Config.Distinct.
func (r *Result) ExpectedDistinct(dims []string, distinct string) ([]ExpectedRow, error) {
	if distinct != "visitor" && distinct != "query:uid" {
		return nil, fmt.Errorf("loggen: no distinct values of %q recorded (want visitor or query:uid)", distinct)
	}
	return r.expected(dims, distinct)
}

func (r *Result) expected(dims []string, distinct string) ([]ExpectedRow, error) {
	groups := map[string]*ExpectedRow{}
	sets := map[string]map[string]bool{}
	for _, tc := range r.truths {
		values := make([]string, len(dims))
		for i, d := range dims {
			v, err := tc.truth.Value(d)
			if err != nil {
				return nil, err
			}
			values[i] = v
		}
		k := strings.Join(values, "\x00")
		if g, ok := groups[k]; ok {
			g.Count += tc.n
		} else {
			groups[k] = &ExpectedRow{Values: values, Count: tc.n}
			sets[k] = map[string]bool{}
		}
		if distinct != "" && tc.visitors == nil {
			return nil, errors.New("loggen: distinct values not recorded: generate with Config.Distinct")
		}
		from := tc.visitors
		if distinct == "query:uid" {
			from = tc.uids
		}
		for v := range from {
			sets[k][v] = true
		}
	}
	rows := make([]ExpectedRow, 0, len(groups))
	for k, g := range groups {
		if distinct != "" {
			g.Distinct = slices.Sorted(maps.Keys(sets[k]))
		}
		rows = append(rows, *g)
	}
	sort.Slice(rows, func(i, j int) bool {
		a, b := rows[i].Values, rows[j].Values
		for k := range a {
			if a[k] != b[k] {
				return a[k] < b[k]
			}
		}
		return false
	})
	return rows, nil
}

// Write writes cfg.Lines lines of plain text to w.
func Write(w io.Writer, cfg Config) (*Result, error) {
	cfg = cfg.withDefaults()
	g := &gen{
		cfg:  cfg,
		rnd:  rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		res:  &Result{truths: map[string]*truthCount{}},
		bw:   bufio.NewWriterSize(w, 64<<10),
		keyb: &strings.Builder{},
	}
	g.zipf = rand.NewZipf(g.rnd, 1.2, 1, uint64(cfg.Paths-1))
	g.paths = makePaths(cfg.Paths)
	for i := range cfg.Lines {
		g.line(i)
		if _, err := g.bw.Write(g.buf); err != nil {
			return nil, err
		}
	}
	return g.res, g.bw.Flush()
}

type gen struct {
	cfg   Config
	rnd   *rand.Rand
	zipf  *rand.Zipf
	paths []pathSpec
	res   *Result
	bw    *bufio.Writer
	buf   []byte
	keyb  *strings.Builder
}

// pathSpec is a path as ALB logs it and as pmdp must output it.
type pathSpec struct{ logged, truth string }

func makePaths(n int) []pathSpec {
	fixed := []pathSpec{
		{"/e", "/e"},
		{"/", "/"},
		{"/signup", "/signup"},
		{"/search/caf%C3%A9", "/search/caf%C3%A9"}, // percent-encoding stays
		{`/caf\xC3\xA9`, "/caf\xc3\xa9"},           // raw UTF-8, logged as \xHH
		{`/say/\x22hi\x22`, `/say/"hi"`},           // a quote
		{`/back\x5Cslash`, `/back\slash`},          // a backslash
		{"/space in uri", "/space in uri"},         // SpaceInUri
		{"/a,b", "/a,b"},                           // CSV must quote it
		{"/" + strings.Repeat("long/", 400) + "end", "/" + strings.Repeat("long/", 400) + "end"},
	}
	paths := make([]pathSpec, 0, n)
	for i := 0; len(paths) < n; i++ {
		if i < len(fixed) {
			paths = append(paths, fixed[i])
			continue
		}
		var p string
		switch i % 4 {
		case 0:
			p = "/p/" + strconv.Itoa(i)
		case 1:
			p = "/api/v1/items/" + strconv.Itoa(i*7919%100000)
		case 2:
			p = "/blog/2026/post-" + strconv.Itoa(i)
		default:
			p = "/static/app." + strconv.FormatInt(int64(i)*2654435761%0xffffff, 16) + ".js"
		}
		paths = append(paths, pathSpec{p, p})
	}
	return paths
}

var (
	events    = []string{"pageview", "signup", "click", "purchase", "sign+up", "caf%C3%A9", "a%26b"}
	eventTrue = []string{"pageview", "signup", "click", "purchase", "sign up", "caf\u00e9", "a&b"}
	agents    = []string{
		"Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
		"Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
		"curl/8.5.0",
		`Go-http-client/1.1`,
		`Mozilla/5.0 (compatible; \x22quoted\x22 bot/2.1)`,
		"-",
	}
	// agentIsBot is the bot dimension of each of agents: only the two
	// browsers are people; tools, crawlers and a missing user agent are not.
	agentIsBot = []string{"no", "no", "yes", "yes", "yes", "yes"}
	hosts      = []string{"collector.example.com", "events.example.org"}
)

func (g *gen) line(i int) {
	r := g.rnd
	// Evenly spread over the span, so a span across midnight gives lines on
	// both dates.
	t := g.cfg.Start.Add(time.Duration(int64(g.cfg.Span) * int64(i) / int64(max(1, g.cfg.Lines-1))))
	t = t.Add(time.Duration(r.IntN(1000)) * time.Microsecond)
	b := g.buf[:0]

	if r.IntN(1000) == 0 { // a line no parser can use
		g.res.Lines++
		g.res.Rejected++
		switch r.IntN(3) {
		case 0:
			b = append(b, "https "...)
			b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
			b = append(b, " app/pmdp/0123 1.2.3.4:5 - -1 -1"...) // cut short
		case 1:
			b = append(b, `https not-a-time app/pmdp/0123 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET http://x:80/ HTTP/1.1" "-"`...)
		default:
			b = append(b, "https "...)
			b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
			b = append(b, ` app/pmdp/0123 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET http://x:80/ HTTP/1.1 "curl`...) // unterminated
		}
		g.buf = append(b, '\n')
		return
	}

	tr := Truth{Date: t.Format("2006-01-02"), Hour: t.Format("2006-01-02T15"), Query: map[string]string{}}
	scheme, typ, port := "https", "https", "443"
	switch r.IntN(10) {
	case 0:
		scheme, typ, port = "http", "http", "80"
	case 1, 2:
		typ = "h2"
	}
	tr.Type = typ
	host := hosts[r.IntN(len(hosts))]
	tr.Host = host
	status := "204"
	method := "GET"
	switch m := r.IntN(100); {
	case m < 8:
		method = "POST"
	case m < 10:
		method = "HEAD"
	case m < 11:
		method = "PROPFIND" // methods can be any token
	}
	tr.Method = method

	var request string
	switch k := r.IntN(1000); {
	case k < 3: // malformed: ALB logs "- http://host:80- -"
		request = "- " + scheme + "://" + host + ":" + port + "- -"
		tr.Path, tr.Method, tr.Host = "-", "-", "-"
		status = "400"
	case k < 6: // no path at all
		request = method + " " + scheme + "://" + host + ":" + port + " HTTP/1.1"
		tr.Path = "/"
	case k < 9: // bracketed IPv6 host
		request = method + " " + scheme + "://[2001:db8::1]:" + port + "/e?ev=click HTTP/1.1"
		tr.Path, tr.Host = "/e", "2001:db8::1"
		tr.Query["ev"] = "click"
	default:
		p := g.paths[g.zipf.Uint64()]
		tr.Path = p.truth
		url := scheme + "://" + host + ":" + port + p.logged
		if r.IntN(4) != 0 {
			e := r.IntN(len(events))
			uid := strconv.Itoa(r.IntN(100000))
			url += "?ev=" + events[e] + "&uid=" + uid
			tr.UID = uid
			if r.IntN(10) == 0 {
				url += "&ev=second" // only the first value counts
			}
			tr.Query["ev"] = eventTrue[e]
		}
		version := " HTTP/1.1"
		switch v := r.IntN(100); {
		case v < 20:
			version = " HTTP/2.0"
		case v < 21:
			version = " HTTP/1.0 " // a stray trailing space
		case v < 22:
			version = "" // none at all
		}
		request = method + " " + url + version
	}
	tr.Status = status

	b = append(b, typ...)
	b = append(b, ' ')
	b = t.AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, " app/pmdp-collector/50dc6c495c0c9188 "...)
	clientAt := len(b)
	if r.IntN(5) == 0 {
		b = fmt.Appendf(b, "2a02:a33c:%x::%x", r.IntN(0xffff), r.IntN(0xffff))
	} else {
		b = fmt.Appendf(b, "%d.%d.%d.%d", 1+r.IntN(223), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	}
	client := string(b[clientAt:])
	b = fmt.Appendf(b, ":%d", 1024+r.IntN(60000))
	b = append(b, " - -1 -1 -1 "...)
	b = append(b, status...)
	b = append(b, " - "...)
	b = strconv.AppendInt(b, int64(200+r.IntN(800)), 10)
	b = append(b, ' ')
	b = strconv.AppendInt(b, int64(100+r.IntN(100)), 10)
	b = append(b, ` "`...)
	b = append(b, request...)
	b = append(b, `" "`...)
	agent := r.IntN(len(agents))
	b = append(b, agents[agent]...)
	tr.Bot = agentIsBot[agent]
	tr.Visitor = client + " " + agents[agent]
	b = append(b, `" `...)
	if scheme == "https" {
		b = append(b, "TLS_AES_128_GCM_SHA256 TLSv1.3 - "...)
	} else {
		b = append(b, "- - - "...)
	}
	b = fmt.Appendf(b, `"Root=1-%08x-%08x%016x" `, t.Unix(), r.Uint32(), r.Uint64())
	if scheme == "https" {
		b = fmt.Appendf(b, `"%s" "arn:aws:acm:us-east-2:123456789012:certificate/8c1f3a5e-4b2d-4e8f-9a6b-2d7c0e1f3a4b" 0 `, host)
	} else {
		b = append(b, `"-" "-" 0 `...)
	}
	b = t.Add(-time.Millisecond).AppendFormat(b, "2006-01-02T15:04:05.000000Z")
	b = append(b, ` "fixed-response" "-" "-" "-" "-" "-" "-"`...)
	tr.Action = "fixed-response"
	switch v := r.IntN(100); {
	case v < 90: // 2024 fields and the 2025 transform fields
		b = fmt.Appendf(b, ` TID_%016x%016x "-" "-" "-"`, r.Uint64(), r.Uint64())
	case v < 95: // lines seen in 2026: more fields after those
		b = fmt.Appendf(b, ` TID_%016x%016x "-" "-" "-" 10.0.1.%d "-" "x y"`, r.Uint64(), r.Uint64(), r.IntN(255))
	default: // an older line that stops at classification_reason
	}
	g.buf = append(b, '\n')

	g.res.Lines++
	g.count(tr)
}

func (g *gen) count(tr Truth) {
	k := g.keyb
	k.Reset()
	for _, s := range []string{tr.Date, tr.Hour, tr.Path, tr.Method, tr.Status, tr.Host, tr.Type, tr.Action, tr.Bot, tr.Query["ev"]} {
		k.WriteString(strconv.Itoa(len(s)))
		k.WriteByte(':')
		k.WriteString(s)
	}
	tc, ok := g.res.truths[k.String()]
	if ok {
		tc.n++
	} else {
		tc = &truthCount{truth: tr, n: 1}
		g.res.truths[k.String()] = tc
	}
	if g.cfg.Distinct {
		if tc.visitors == nil {
			tc.visitors, tc.uids = map[string]bool{}, map[string]bool{}
		}
		tc.visitors[tr.Visitor] = true
		if tr.UID != "" {
			tc.uids[tr.UID] = true
		}
	}
}
