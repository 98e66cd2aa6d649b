package accesslog_test

import (
	"fmt"

	"github.com/pmdp/pmdp/internal/accesslog"
)

func ExampleParser_Parse() {
	line := []byte(`https 2026-11-25T23:59:59.999999Z app/pmdp/0123456789abcdef 2a02:a33c::f215:50718 - -1 -1 -1 204 - 412 139 "GET https://collector.example.com:443/caf\xC3\xA9?ev=signup HTTP/1.1" "curl/8.5.0" TLS_AES_128_GCM_SHA256 TLSv1.3 - "Root=1-6745a1b2-0123456789abcdef01234567" "collector.example.com" "-" 0 2026-11-25T23:59:59.998000Z "fixed-response" "-" "-" "-" "-" "-" "-" TID_0123456789abcdef0123456789abcdef "-" "-" "-" 10.0.1.5 "-" "-"`)

	var p accesslog.Parser // one per file: the first line fixes the format
	var r accesslog.Record
	if err := p.Parse(line, &r); err != nil {
		fmt.Println(err)
		return
	}
	_, path, query := accesslog.SplitURL(r.URL)
	fmt.Printf("%v %s %d %s\n", p.Format, r.Time.Format("2006-01-02"), r.ELBStatusCode, r.Method)
	fmt.Printf("client %s port %d\n", r.Client, r.ClientPort)
	fmt.Printf("path %s query %s\n", accesslog.AppendUnescaped(nil, path), query)
	fmt.Println("processing time measured:", r.RequestProcessingTime != accesslog.Unmeasured)
	fmt.Printf("actions %s, %d fields past the known ones\n", r.ActionsExecuted, len(r.Extra))
	// Output:
	// alb 2026-11-25 204 GET
	// client 2a02:a33c::f215 port 50718
	// path /café query ev=signup
	// processing time measured: false
	// actions fixed-response, 3 fields past the known ones
}

func ExampleSplit() {
	fields, err := accesslog.Split(nil, []byte(`h2 "GET /a b HTTP/2.0" "say \x22hi\x22"`))
	fmt.Println(len(fields), err)
	fmt.Printf("%q\n", fields)
	fmt.Printf("%s\n", accesslog.AppendUnescaped(nil, fields[2]))
	// Output:
	// 3 <nil>
	// ["h2" "GET /a b HTTP/2.0" "say \\x22hi\\x22"]
	// say "hi"
}
