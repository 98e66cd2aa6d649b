package process

import (
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/summary"
)

func TestConfigFromEnv(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		wantErr []string
		check   func(t *testing.T, cfg Config)
	}{
		{"defaults", nil, nil, func(t *testing.T, cfg Config) {
			if cfg.SummaryBucket != "" || cfg.SummaryPrefix != "summaries/" || summary.Names(cfg.Dimensions) != "date,path" || cfg.Format != summary.CSV {
				t.Errorf("defaults %+v", cfg)
			}
		}},
		{"all set", map[string]string{EnvSummaryBucket: "out", EnvSummaryPrefix: "counts/", EnvGroupBy: "date,query:ev", EnvFormat: "jsonl"}, nil,
			func(t *testing.T, cfg Config) {
				if cfg.SummaryBucket != "out" || cfg.SummaryPrefix != "counts/" || summary.Names(cfg.Dimensions) != "date,query:ev" || cfg.Format != summary.JSONL {
					t.Errorf("config %+v", cfg)
				}
			}},
		{"everything wrong at once", map[string]string{EnvSummaryPrefix: "counts", EnvGroupBy: "date,colour", EnvFormat: "xml"},
			[]string{EnvSummaryPrefix, "must end in /", EnvGroupBy, `"colour"`, EnvFormat, `"xml"`}, nil},
		{"prefix where logs go", map[string]string{EnvSummaryPrefix: "AWSLogs/x/"}, []string{EnvSummaryPrefix, "AWSLogs"}, nil},
		{"absolute prefix", map[string]string{EnvSummaryPrefix: "/s/"}, []string{EnvSummaryPrefix, "start with /"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := ConfigFromEnv(func(k string) string { return tt.env[k] })
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, cfg)
				return
			}
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range tt.wantErr {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}
