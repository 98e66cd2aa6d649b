package summary

import (
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/errtest"
)

// Real-format lines for the filter tests: what a load balancer with an
// HTTP listener that redirects to HTTPS logs for one visit, and variations.
const (
	chrome    = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
	googlebot = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
)

// albLine is an ALB line from an instance-less load balancer: type,
// status, request, user agent and actions_executed as given ("-" absent).
func albLine(typ, status, request, userAgent, actions string) string {
	q := func(s string) string { return `"` + s + `"` }
	if actions != "-" {
		actions = q(actions)
	} else {
		actions = `"-"`
	}
	return typ + ` 2026-11-26T10:00:00.180000Z app/pmdp/50dc6c495c0c9188 203.0.113.9:50713 - -1 -1 -1 ` + status +
		` - 412 139 ` + q(request) + ` ` + q(userAgent) + ` - - - "Root=1-6745a1b2-0123456789abcdef01234567" "-" "-" 0 2026-11-26T10:00:00.179000Z ` +
		actions + ` "-" "-" "-" "-" "-" "-" TID_0123456789abcdef0123456789abcdef "-" "-" "-"`
}

var (
	redirectLine   = albLine("http", "301", "GET http://c.example.com:80/e?ev=signup HTTP/1.1", chrome, "redirect")
	redirectedLine = albLine("https", "204", "GET https://c.example.com:443/e?ev=signup HTTP/1.1", chrome, "fixed-response")
	classicLine    = `2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.000073 0.001048 0.000057 200 200 0 29 "GET http://www.example.com:80/ HTTP/1.1" "curl/7.38.0" - -`
)

func parsed(t testing.TB, line string) *accesslog.Record {
	t.Helper()
	var p accesslog.Parser
	r := new(accesslog.Record)
	if err := p.Parse([]byte(line), r); err != nil {
		t.Fatalf("%v: %s", err, line)
	}
	return r
}

func TestActionAndBotValues(t *testing.T) {
	tests := []struct {
		name string
		line string
		want string // action|bot
	}{
		{"redirect", redirectLine, "redirect|no"},
		{"fixed response", redirectedLine, "fixed-response|no"},
		{"actions as logged", albLine("https", "204", "GET https://c:443/ HTTP/1.1", chrome, "waf,forward"), "waf,forward|no"},
		{"no actions", albLine("https", "204", "GET https://c:443/ HTTP/1.1", chrome, "-"), "-|no"},
		{"empty actions", albLine("https", "204", "GET https://c:443/ HTTP/1.1", chrome, ""), "-|no"},
		{"crawler", albLine("https", "204", "GET https://c:443/ HTTP/1.1", googlebot, "fixed-response"), "fixed-response|yes"},
		{"no user agent", albLine("https", "204", "GET https://c:443/ HTTP/1.1", "-", "fixed-response"), "fixed-response|yes"},
		{"Classic", classicLine, "-|yes"},
		{"Classic TCP", `2015-05-13T23:39:43.945958Z lb 192.168.131.39:2817 10.0.0.1:80 0.001 0.000028 0.000041 - - 82 305 "- - - " "-" - -`, "-|yes"},
	}
	dims := MustParseDimensions("action,bot")
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := New(dims)
			s.Add(parsed(t, tt.line))
			rows := s.Rows()
			if len(rows) != 1 {
				t.Fatalf("rows = %v", rows)
			}
			if got := strings.Join(rows[0].Values, "|"); got != tt.want {
				t.Errorf("action|bot = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name, include, exclude string
		wantInclude            string // normalized
		wantExclude            string
		wantErr                []string
	}{
		{"none", "", "", "", "", nil},
		{"normalized", " bot = no ; status = 200 | 204 ", "action=redirect", "bot=no;status=200|204", "action=redirect", nil},
		{"include error", "colour=red", "", "", "", []string{`include: clause "colour=red": unknown dimension "colour"`}},
		{"exclude error", "", "bot=maybe", "", "", []string{`exclude: clause "bot=maybe"`}},
		{"both", "x=1", "y", "", "", []string{"include: ", "exclude: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f, err := ParseFilter(tt.include, tt.exclude)
			if tt.wantErr != nil {
				errtest.Mentions(t, err, tt.wantErr...)
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if f.Include() != tt.wantInclude || f.Exclude() != tt.wantExclude {
				t.Errorf("Include() = %q, Exclude() = %q; want %q and %q", f.Include(), f.Exclude(), tt.wantInclude, tt.wantExclude)
			}
			if f.KeepsAll() != (tt.include == "" && tt.exclude == "") {
				t.Errorf("KeepsAll() = %v", f.KeepsAll())
			}
		})
	}
}

func TestFilterKeep(t *testing.T) {
	get := func(url, actions string) string {
		return albLine("https", "204", "GET "+url+" HTTP/1.1", chrome, actions)
	}
	tests := []struct {
		name, include, exclude string
		line                   string
		want                   bool
	}{
		{"no filter keeps a redirect", "", "", redirectLine, true},
		{"redirect excluded", "", "action=redirect", redirectLine, false},
		{"its second request kept", "", "action=redirect", redirectedLine, true},
		{"a redirect after WAF excluded", "", "action=redirect", get("https://c:443/", "waf,redirect"), false},
		{"any action of the list", "action=forward", "", get("https://c:443/", "waf,forward"), true},
		{"the whole list", "action=waf,forward", "", get("https://c:443/", "waf,forward"), true},
		{"the whole list, not another", "action=waf,forward", "", get("https://c:443/", "forward"), false},
		{"a whole action, not part of one", "action=fixed", "", redirectedLine, false},
		{"Classic has no action", "", "action=redirect", classicLine, true},
		{"Classic's action is -", "action=-", "", classicLine, true},
		{"absent action is -", "action=-", "", get("https://c:443/", "-"), true},
		{"browser is no bot", "bot=no", "", redirectedLine, true},
		{"crawler is a bot", "bot=no", "", albLine("https", "204", "GET https://c:443/ HTTP/1.1", googlebot, "fixed-response"), false},
		{"no user agent is a bot", "", "bot=yes", get("https://c:443/", "fixed-response"), true},
		{"crawler excluded", "", "bot=yes", albLine("https", "204", "GET https://c:443/ HTTP/1.1", googlebot, "fixed-response"), false},
		{"one of the values", "status=200|204", "", redirectedLine, true},
		{"none of the values", "status=200|204", "", redirectLine, false},
		{"every include clause must match", "method=GET;status=204", "", redirectLine, false},
		{"every include clause matches", "method=GET;status=204", "", redirectedLine, true},
		{"any exclude clause drops", "", "bot=yes;action=redirect", redirectLine, false},
		{"no exclude clause matches", "", "bot=yes;action=redirect", redirectedLine, true},
		{"include and exclude", "query:ev=signup", "action=redirect", redirectedLine, true},
		{"absent parameter is empty", "", "query:ev=", get("https://c:443/", "fixed-response"), false},
		{"present parameter is not", "", "query:ev=", redirectedLine, true},
		{"decoded query value", "query:ev=sign up", "", get("https://c:443/e?ev=sign+up", "fixed-response"), true},
		{"query value with ALB escapes", `query:ev="q"`, "", get(`https://c:443/e?ev=\x22q\x22`, "fixed-response"), true},
		{"path as summaries show it", "path=/café", "", get(`https://c:443/caf\xC3\xA9`, "fixed-response"), true},
		{"date", "date=2026-11-26", "", redirectLine, true},
		{"another date", "date=2026-11-25", "", redirectLine, false},
		{"hour", "hour=2026-11-26T10", "", redirectLine, true},
		{"host", "host=c.example.com", "", redirectLine, true},
		{"type", "type=https", "", redirectLine, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := MustParseFilter(tt.include, tt.exclude)
			if got := f.Keep(parsed(t, tt.line)); got != tt.want {
				t.Errorf("Keep = %v, want %v", got, tt.want)
			}
		})
	}
}

// A filter compares what a summary grouped by the same dimension shows.
func TestFilterSeesWhatSummariesShow(t *testing.T) {
	dims := MustParseDimensions("date,hour,path,method,status,host,type,action,bot,query:ev,query:uid")
	lines := generated(t, 7, 3000)
	lines = append(lines, []byte(redirectLine), []byte(classicLine), []byte(albLine("https", "204", `GET https://c:443/e?ev=\x22q\x22 HTTP/1.1`, googlebot, "waf,forward")))
	var p accesslog.Parser
	var r accesslog.Record
	var x extractor
	n := 0
	for _, l := range lines {
		if p.Parse(l, &r) != nil {
			continue
		}
		n++
		for _, d := range dims {
			cached, fresh := x.appendValue(nil, d, &r), appendValue(nil, d, &r)
			if string(cached) != string(fresh) {
				t.Fatalf("%s of %s: summaries show %q, filters see %q", d.Name(), l, cached, fresh)
			}
		}
	}
	if n < 2900 {
		t.Fatalf("only %d lines parsed", n)
	}
}

// A redirect and the request it leads to are one visit; excluding
// redirects counts it once.
func TestExcludeRedirectsCountsOnce(t *testing.T) {
	for _, tt := range []struct {
		exclude string
		want    int64
	}{{"", 2}, {"action=redirect", 1}} {
		f := MustParseFilter("", tt.exclude)
		s := New(MustParseDimensions("date,path,query:ev"))
		for _, line := range []string{redirectLine, redirectedLine} {
			if r := parsed(t, line); f.Keep(r) {
				s.Add(r)
			}
		}
		if got := s.Requests(); got != tt.want {
			t.Errorf("exclude %q: %d requests, want %d", tt.exclude, got, tt.want)
		}
	}
}

func TestKeepDoesNotAllocate(t *testing.T) {
	f := MustParseFilter("bot=no;query:ev=signup|login;date=2026-11-26", "action=redirect;path=/health")
	r := parsed(t, redirectedLine)
	f.Keep(r) // learns the user agent
	if allocs := testing.AllocsPerRun(100, func() { f.Keep(r) }); allocs != 0 {
		t.Errorf("Keep allocates %.1f times a request, want 0", allocs)
	}
}

// BenchmarkKeep gives the cost of filtering one parsed request, to set
// against parsing it (BenchmarkParse in accesslog).
func BenchmarkKeep(b *testing.B) {
	recs := parseAll(generated(b, 5, 10000))
	for _, bb := range []struct{ name, include, exclude string }{
		{"none", "", ""},
		{"action", "", "action=redirect"},
		{"bot", "bot=no", ""},
		{"query", "query:ev=signup|login", ""},
		{"all", "bot=no;query:ev=signup|login", "action=redirect"},
	} {
		f := MustParseFilter(bb.include, bb.exclude)
		b.Run(bb.name, func(b *testing.B) {
			b.ReportAllocs()
			for i := 0; b.Loop(); i++ {
				f.Keep(&recs[i%len(recs)])
			}
		})
	}
}
