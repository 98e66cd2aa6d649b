package loggen

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/accesslog"
)

func TestDeterministic(t *testing.T) {
	var a, b, c bytes.Buffer
	cfg := Config{Seed: 3, Lines: 2000}
	if _, err := Write(&a, cfg); err != nil {
		t.Fatal(err)
	}
	Write(&b, cfg)
	cfg.Seed = 4
	Write(&c, cfg)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same seed gave different files")
	}
	if bytes.Equal(a.Bytes(), c.Bytes()) {
		t.Error("different seeds gave the same file")
	}
}

func TestResultAddsUp(t *testing.T) {
	var buf bytes.Buffer
	res, err := Write(&buf, Config{Seed: 8, Lines: 10_000})
	if err != nil {
		t.Fatal(err)
	}
	if n := bytes.Count(buf.Bytes(), []byte("\n")); n != res.Lines || res.Lines != 10_000 {
		t.Fatalf("%d lines written, result says %d", n, res.Lines)
	}
	rows, err := res.Expected([]string{"date"})
	if err != nil {
		t.Fatal(err)
	}
	var total int64
	var dates []string
	for _, r := range rows {
		total += r.Count
		dates = append(dates, r.Values[0])
	}
	if total != int64(res.Lines-res.Rejected) {
		t.Errorf("expected counts add up to %d, want %d", total, res.Lines-res.Rejected)
	}
	if res.Rejected == 0 {
		t.Error("no unusable lines in 10,000")
	}
	if strings.Join(dates, ",") != "2026-11-25,2026-11-26" {
		t.Errorf("dates %v: the default span must cross midnight", dates)
	}
	for _, feature := range []string{`\x22`, `"- https://`, "2a02:a33c:", "/space in uri", ` HTTP/1.0 "`, "TID_", `"x y"`} {
		if !bytes.Contains(buf.Bytes(), []byte(feature)) {
			t.Errorf("no line contains %q", feature)
		}
	}
	if _, err := res.Expected([]string{"query:uid"}); err == nil {
		t.Error("Expected accepted a dimension it does not track")
	}
}

func ExampleWrite() {
	res, err := Write(os.Stdout, Config{Seed: 1, Lines: 1, Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)})
	if err != nil {
		panic(err)
	}
	rows, _ := res.Expected([]string{"date", "path", "query:ev"})
	fmt.Println(rows)
	// Output:
	// https 2026-01-02T03:04:05.000930Z app/pmdp-collector/50dc6c495c0c9188 8.19.106.21:46870 - -1 -1 -1 204 - 559 100 "GET https://events.example.org:443/?ev=caf%C3%A9&uid=38310 HTTP/1.1" "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1" TLS_AES_128_GCM_SHA256 TLSv1.3 - "Root=1-695735a5-ca20b4c89d09fddb12583403" "events.example.org" "arn:aws:acm:us-east-2:123456789012:certificate/8c1f3a5e-4b2d-4e8f-9a6b-2d7c0e1f3a4b" 0 2026-01-02T03:04:04.999930Z "fixed-response" "-" "-" "-" "-" "-" "-" TID_55fb383f6eae803d78dece4b11c2ca8a "-" "-" "-"
	// [{[2026-01-02 / café] 1 []}]
}

func TestFlood(t *testing.T) {
	cfg := FloodConfig{Seed: 2, OneOff: 5000, Frequent: 8, PerPath: 300}
	var a, b bytes.Buffer
	res, err := WriteFlood(&a, cfg)
	if err != nil {
		t.Fatal(err)
	}
	WriteFlood(&b, cfg)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Error("the same seed gave different floods")
	}
	lines := strings.Split(strings.TrimSuffix(a.String(), "\n"), "\n")
	if len(lines) != res.Lines || res.Lines != 5000+8*300 {
		t.Fatalf("%d lines, result says %d, want %d", len(lines), res.Lines, 5000+8*300)
	}
	var p accesslog.Parser
	var r accesslog.Record
	seen, first := map[string]int{}, map[string]int{}
	var last time.Time
	for i, l := range lines {
		if err := p.Parse([]byte(l), &r); err != nil {
			t.Fatalf("line %d: %v", i+1, err)
		}
		if r.Time.Before(last) {
			t.Fatalf("line %d: time goes back", i+1)
		}
		last = r.Time
		_, path, _ := accesslog.SplitURL(r.URL)
		if _, ok := first[string(path)]; !ok {
			first[string(path)] = i
		}
		seen[string(path)]++
	}
	want := map[string]int64{}
	for _, row := range res.Frequent() {
		want[row.Values[1]] = row.Count
		if row.Values[0] != "2026-11-26" {
			t.Errorf("row %v: want the date of the default start", row.Values)
		}
	}
	oneOff := 0
	for path, n := range seen {
		switch {
		case strings.HasPrefix(path, "/flood/"):
			oneOff++
			if n != 1 {
				t.Errorf("one-off path %s requested %d times", path, n)
			}
		case int64(n) != want[path] || n != 300:
			t.Errorf("%s requested %d times, result says %d, want 300", path, n, want[path])
		}
	}
	if oneOff != 5000 || len(want) != 8 {
		t.Errorf("%d one-off paths, %d frequent ones; want 5000 and 8", oneOff, len(want))
	}
	// The last quarter of the frequent paths appears only halfway through.
	for _, path := range []string{"/page/6", "/page/7"} {
		if first[path] < len(lines)/2-300 {
			t.Errorf("%s first requested on line %d of %d: want the second half", path, first[path]+1, len(lines))
		}
	}
	if first["/page/0"] > len(lines)/4 {
		t.Errorf("/page/0 first requested on line %d of %d: want it early", first["/page/0"]+1, len(lines))
	}
}
