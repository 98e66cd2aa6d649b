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
