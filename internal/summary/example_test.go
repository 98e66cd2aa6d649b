package summary_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/summary"
)

func Example() {
	log := `https 2026-11-25T23:59:59.5Z app/pmdp/0 203.0.113.9:4431 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443/e?ev=signup&uid=1 HTTP/1.1" "-"
https 2026-11-26T00:00:01Z app/pmdp/0 203.0.113.9:4432 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443/e?ev=sign+up&uid=2 HTTP/1.1" "-"
https 2026-11-26T00:00:02Z app/pmdp/0 2a02:a33c::f215:50718 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443/e?ev=click HTTP/1.1" "-"
this line is cut short`

	dims, err := summary.ParseDimensions("date,query:ev")
	if err != nil {
		panic(err)
	}
	s := summary.New(dims)
	var p accesslog.Parser
	var r accesslog.Record
	for _, line := range strings.Split(log, "\n") {
		if err := p.Parse([]byte(line), &r); err != nil {
			s.Reject(err.(*accesslog.ParseError).Reason())
			continue
		}
		s.Add(&r)
	}
	_ = s.Write(os.Stdout, summary.CSV)
	_ = s.Write(os.Stdout, summary.JSONL)
	fmt.Println("rejected:", s.RejectedLines(), s.Rejected)
	// Output:
	// date,query:ev,count
	// 2026-11-25,signup,1
	// 2026-11-26,click,1
	// 2026-11-26,sign up,1
	// {"date":"2026-11-25","query:ev":"signup","count":1}
	// {"date":"2026-11-26","query:ev":"click","count":1}
	// {"date":"2026-11-26","query:ev":"sign up","count":1}
	// rejected: 1 map[too few fields:1]
}

func ExampleSummary_Merge() {
	dims := summary.MustParseDimensions("path")
	monday, tuesday := summary.New(dims), summary.New(dims)
	var p accesslog.Parser
	var r accesslog.Record
	add := func(s *summary.Summary, path string) {
		line := `http 2026-11-26T00:00:00Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET http://c:80` + path + ` HTTP/1.1" "-"`
		if err := p.Parse([]byte(line), &r); err != nil {
			panic(err)
		}
		s.Add(&r)
	}
	add(monday, "/a")
	add(monday, "/b")
	add(tuesday, "/a")
	if err := monday.Merge(tuesday); err != nil {
		panic(err)
	}
	_ = monday.Write(os.Stdout, summary.CSV)
	// Output:
	// path,count
	// /a,2
	// /b,1
}

// With room for two groups, /a keeps its row: it keeps being requested.
// /b and /c are folded into the overflow row to make room for the next
// new path, and the second request of /b follows its first there, so that
// no row misses part of its count. /d, the newest, has its row.
func ExampleNewMaxGroups() {
	s := summary.NewMaxGroups(summary.MustParseDimensions("date,path"), 2)
	var p accesslog.Parser
	var r accesslog.Record
	for _, path := range []string{"/a", "/a", "/a", "/a", "/b", "/c", "/d", "/b"} {
		line := `http 2026-11-26T00:00:00Z app/p/0 1.2.3.4:5 - -1 -1 -1 204 - 1 2 "GET http://c:80` + path + ` HTTP/1.1" "-"`
		if err := p.Parse([]byte(line), &r); err != nil {
			panic(err)
		}
		s.Add(&r)
	}
	_ = s.Write(os.Stdout, summary.CSV)
	fmt.Println("requests:", s.Requests(), "in (other):", s.OtherRequests())
	// Output:
	// date,path,count
	// 2026-11-26,(other),3
	// 2026-11-26,/a,4
	// 2026-11-26,/d,1
	// requests: 8 in (other): 3
}

// An HTTP listener that redirects to HTTPS logs each request twice: the
// redirect on port 80, then the request itself on 443. Excluding the
// redirects counts each once; excluding bots keeps people's requests.
func ExampleFilter() {
	const firefox = `"Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"`
	const googlebot = `"Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"`
	line := func(port, status, userAgent, action string) string {
		return `http 2026-11-26T10:00:00Z app/pmdp/0 203.0.113.9:50712 - -1 -1 -1 ` + status + ` - 10 20 ` +
			`"GET http://c.example.com:` + port + `/e?ev=signup HTTP/1.1" ` + userAgent +
			` - - - "-" "-" "-" 0 2026-11-26T10:00:00Z "` + action + `" "-" "-" "-" "-" "-" "-"`
	}
	log := []string{
		line("80", "301", firefox, "redirect"),
		line("443", "204", firefox, "fixed-response"),
		line("80", "301", googlebot, "redirect"),
		line("443", "204", googlebot, "fixed-response"),
	}
	filter, err := summary.ParseFilter("", "action=redirect;bot=yes")
	if err != nil {
		panic(err)
	}
	s := summary.New(summary.MustParseDimensions("query:ev,action,bot"))
	var p accesslog.Parser
	var r accesslog.Record
	for _, l := range log {
		if err := p.Parse([]byte(l), &r); err != nil {
			panic(err)
		}
		if filter.Keep(&r) {
			s.Add(&r)
		}
	}
	_ = s.Write(os.Stdout, summary.CSV)
	// Output:
	// query:ev,action,bot,count
	// signup,fixed-response,no,1
}

// Distinct visitors per path: the first two lines are one visitor (same
// address and user agent), the third another.
func ExampleNewDistinct() {
	log := `https 2026-11-26T10:00:00Z app/pmdp/0 203.0.113.9:4431 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443/ HTTP/1.1" "curl/8.5.0"
https 2026-11-26T10:00:01Z app/pmdp/0 203.0.113.9:4432 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443/ HTTP/1.1" "curl/8.5.0"
https 2026-11-26T10:00:02Z app/pmdp/0 198.51.100.7:50718 - -1 -1 -1 204 - 10 20 "GET https://c.example.com:443/ HTTP/1.1" "curl/8.5.0"`

	visitor, err := summary.ParseDistinct("visitor")
	if err != nil {
		panic(err)
	}
	s := summary.NewDistinct(summary.MustParseDimensions("date,path"), 1000, visitor)
	var p accesslog.Parser
	var r accesslog.Record
	for _, line := range strings.Split(log, "\n") {
		if err := p.Parse([]byte(line), &r); err != nil {
			panic(err)
		}
		s.Add(&r)
	}
	_ = s.Write(os.Stdout, summary.JSONL)
	// Output:
	// {"date":"2026-11-26","path":"/","count":3,"distinct":2,"distinct_hll":"AgwCAMEqTSDA5Qq5"}
}
