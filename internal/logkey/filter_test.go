package logkey

import (
	"math/rand/v2"
	"strings"
	"testing"
)

func TestNotificationFilter(t *testing.T) {
	const name = "123456789012_elasticloadbalancing_us-east-2_app.pmdp.50dc6c495c0c9188_20261126T0005Z_10.0.1.5_a1.log.gz"
	tests := []struct {
		name, logPrefix, key string
		want                 bool
	}{
		{"access log", "logs", "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" + name, true},
		{"access log at the root", "", "AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/" + name, true},
		{"other prefix", "logs", "other/AWSLogs/123456789012/x/" + name, false},
		{"plain-text log", "logs", "logs/AWSLogs/1/x.log", false},
		{"test file", "logs", "logs/AWSLogs/123456789012/ELBAccessLogTestFile", false},
		{"summary", "logs", "summaries/dt=2026-11-26/x.csv", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := NotificationFilter(tt.logPrefix).Matches(tt.key); got != tt.want {
				t.Errorf("Matches(%q) = %v, want %v", tt.key, got, tt.want)
			}
		})
	}
}

func TestValidateLogPrefix(t *testing.T) {
	for _, ok := range []string{"", "logs", "alb/prod"} {
		if err := ValidateLogPrefix(ok); err != nil {
			t.Errorf("ValidateLogPrefix(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"AWSLogs", "x/AWSLogs/y", "/logs", "logs/", "a//b"} {
		if err := ValidateLogPrefix(bad); err == nil {
			t.Errorf("ValidateLogPrefix(%q) accepted", bad)
		}
	}
}

// No summary key can ever match the notification filter: summaries end in
// .csv or .jsonl, never .log.gz, whatever the prefixes and source keys.
// (The summary key layout itself is tested with the processing core; this
// checks the filter against every key shape it can produce.)
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
			if NotificationFilter(logPrefix).Matches(key) {
				t.Fatalf("summary key %q matches the filter for log prefix %q", key, logPrefix)
			}
		}
	}
}
