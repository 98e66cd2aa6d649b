package logkey

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
)

func TestClassify(t *testing.T) {
	const dir = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/"
	tests := []struct {
		name string
		key  string
		kind Kind
		lb   string
		end  string
	}{
		{"ALB access log", dir + "123456789012_elasticloadbalancing_us-east-2_app.my-loadbalancer.1234567890abcdef_20261126T0005Z_198.51.100.7_2soosksgsfk3ibei.log.gz", ALBAccess, "app.my-loadbalancer.1234567890abcdef", "2026-11-26T00:05:00Z"},
		{"ALB access log without prefix", "AWSLogs/123456789012/elasticloadbalancing/eu-central-1/2026/11/26/123456789012_elasticloadbalancing_eu-central-1_app.a.b_20261126T2355Z_10.0.0.1_x.log.gz", ALBAccess, "app.a.b", "2026-11-26T23:55:00Z"},
		{"Classic access log", dir + "123456789012_elasticloadbalancing_us-east-2_my-loadbalancer_20140215T2340Z_172.160.001.192_20sg8hgm.log", ClassicAccess, "my-loadbalancer", "2014-02-15T23:40:00Z"},
		{"connection log (underscore, as seen)", dir + "conn_log_123456789012_elasticloadbalancing_us-east-2_app.my-lb.5ede558f4b0e97a9_20240207T0955Z_10.43.1.2_b38hdhc6.log.gz", Connection, "app.my-lb.5ede558f4b0e97a9", "2024-02-07T09:55:00Z"},
		{"connection log (dot, as documented)", dir + "conn_log.123456789012_elasticloadbalancing_us-east-2_app.my-lb.5ede558f4b0e97a9_20240207T0955Z_10.43.1.2_b38hdhc6.log.gz", Connection, "app.my-lb.5ede558f4b0e97a9", "2024-02-07T09:55:00Z"},
		{"health-check log", dir + "health_check_log_123456789012_elasticloadbalancing_us-east-2_app.my-lb.5ede558f4b0e97a9_20250101T0000Z_10.0.0.1_abc.log.gz", HealthCheck, "app.my-lb.5ede558f4b0e97a9", "2025-01-01T00:00:00Z"},
		{"NLB log", dir + "123456789012_elasticloadbalancing_us-east-2_net.my-nlb.1234567890abcdef_20261126T0005Z_abcdef12.log.gz", NLBAccess, "net.my-nlb.1234567890abcdef", "2026-11-26T00:05:00Z"},
		{"test file", "logs/AWSLogs/123456789012/ELBAccessLogTestFile", TestFile, "", ""},
		{"summary", "summaries/dt=2026-11-26/123456789012_elasticloadbalancing_us-east-2_app.a.b_20261126T0005Z_10.0.0.1_x.csv", Other, "", ""},
		{"ALB name but plain text", dir + "123456789012_elasticloadbalancing_us-east-2_app.a.b_20261126T0005Z_10.0.0.1_x.log", Other, "", ""},
		{"Classic name but gzip", dir + "123456789012_elasticloadbalancing_us-east-2_my-lb_20261126T0005Z_10.0.0.1_x.log.gz", Other, "", ""},
		{"short account", dir + "1234_elasticloadbalancing_us-east-2_app.a.b_20261126T0005Z_10.0.0.1_x.log.gz", Other, "", ""},
		{"anything else", "notes/readme.txt", Other, "", ""},
		{"empty", "", Other, "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			info := Classify(tt.key)
			if info.Kind != tt.kind {
				t.Fatalf("Classify(%q).Kind = %v, want %v", tt.key, info.Kind, tt.kind)
			}
			if tt.lb == "" {
				return
			}
			if info.LoadBalancer != tt.lb || info.Account != "123456789012" {
				t.Errorf("load balancer %q account %q, want %q 123456789012", info.LoadBalancer, info.Account, tt.lb)
			}
			if got := info.End.Format(time.RFC3339); got != tt.end {
				t.Errorf("End = %s, want %s", got, tt.end)
			}
		})
	}
}

func TestBaseName(t *testing.T) {
	for key, want := range map[string]string{
		"a/b/x_20261126T0005Z_y.log.gz": "x_20261126T0005Z_y",
		"a/b/classic.log":               "classic",
		"c.csv":                         "c.csv",
	} {
		if got := BaseName(key); got != want {
			t.Errorf("BaseName(%q) = %q, want %q", key, got, want)
		}
	}
}

// No summary key can ever match the notification filter: summaries end in
// .csv or .jsonl, never .log.gz, whatever the prefixes and source keys.
// (The summary key layout itself is tested with the processing core; this
// checks contract's filter against every key shape BaseName can produce.)
func TestFilterNeverMatchesSummaries(t *testing.T) {
	rnd := rand.New(rand.NewPCG(1, 2))
	parts := []string{"logs", "AWSLogs", "summaries", "dt=2026-11-26", "x.log.gz", "a b", "é", ""}
	pick := func() string {
		var b strings.Builder
		for range rnd.IntN(4) + 1 {
			b.WriteString(parts[rnd.IntN(len(parts))])
			b.WriteByte('/')
		}
		return b.String()
	}
	for range 10000 {
		logPrefix := strings.Trim(pick(), "/")
		source := pick() + "x.log.gz"
		for _, ext := range []string{".csv", ".jsonl"} {
			key := pick() + "dt=2026-11-26/" + BaseName(source) + ext
			if contract.NotificationFilter(logPrefix).Matches(key) {
				t.Fatalf("summary key %q matches the filter for log prefix %q", key, logPrefix)
			}
		}
	}
}

func FuzzClassify(f *testing.F) {
	f.Add("AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/123456789012_elasticloadbalancing_us-east-2_app.a.b_20261126T0005Z_10.0.0.1_x.log.gz")
	f.Fuzz(func(t *testing.T, key string) {
		info := Classify(key)
		if info.Kind.String() == "unknown" {
			t.Fatalf("Classify(%q) gave kind %d", key, info.Kind)
		}
		if info.Kind.IsAccessLog() && info.End.IsZero() {
			t.Fatalf("Classify(%q): an access log without an interval end", key)
		}
	})
}

func ExampleClassify() {
	info := Classify("logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" +
		"123456789012_elasticloadbalancing_us-east-2_app.collector.50dc6c495c0c9188_20261126T0005Z_198.51.100.7_2soosksg.log.gz")
	fmt.Println(info.Kind, info.Kind.IsAccessLog(), info.Region, info.LoadBalancer, info.End.Format(time.RFC3339))
	fmt.Println(Classify("logs/AWSLogs/123456789012/ELBAccessLogTestFile").Kind)
	// Output:
	// alb-access true us-east-2 app.collector.50dc6c495c0c9188 2026-11-26T00:05:00Z
	// test-file
}
