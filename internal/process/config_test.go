package process

import (
	"reflect"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/errtest"
	"github.com/pmdp/pmdp/internal/summary"
)

func TestNewConfig(t *testing.T) {
	tests := []struct {
		name     string
		settings contract.Settings
		wantErr  []string
		check    func(t *testing.T, cfg Config)
	}{
		{"defaults", contract.Settings{}, nil, func(t *testing.T, cfg Config) {
			if cfg.SummaryBucket != "" || cfg.SummaryPrefix != "summaries/" || summary.Names(cfg.Dimensions) != "date,path" || cfg.Format != summary.CSV ||
				cfg.RollupPrefix != "rollups/" || cfg.RollupDays != 3 || cfg.MaxGroups != 100000 || cfg.Distinct.On() {
				t.Errorf("defaults %+v", cfg)
			}
		}},
		{"all set", contract.Settings{SummaryBucket: "out", SummaryPrefix: "counts/", GroupBy: "date, query:ev", Format: "jsonl", Include: "bot = no", Exclude: "action=redirect",
			RollupPrefix: "daily/", RollupDays: "7", MaxGroups: "2500", Distinct: "query:uid"}, nil,
			func(t *testing.T, cfg Config) {
				if cfg.SummaryBucket != "out" || cfg.SummaryPrefix != "counts/" || summary.Names(cfg.Dimensions) != "date,query:ev" || cfg.Format != summary.JSONL ||
					cfg.RollupPrefix != "daily/" || cfg.RollupDays != 7 || cfg.MaxGroups != 2500 || cfg.Distinct.String() != "query:uid" {
					t.Errorf("config %+v", cfg)
				}
				if cfg.Filter.Include() != "bot=no" || cfg.Filter.Exclude() != "action=redirect" {
					t.Errorf("filter include %q exclude %q", cfg.Filter.Include(), cfg.Filter.Exclude())
				}
			}},
		// Every dimension the contract allows is one summary can count.
		{"every dimension", contract.Settings{GroupBy: strings.Join(contract.Dimensions, ",") + ",query:ev"}, nil,
			func(t *testing.T, cfg Config) {
				if len(cfg.Dimensions) != len(contract.Dimensions)+1 {
					t.Errorf("dimensions %q", summary.Names(cfg.Dimensions))
				}
			}},
		{"everything wrong at once", contract.Settings{SummaryPrefix: "counts", GroupBy: "date,colour", Format: "xml", Include: "bot=maybe", Exclude: "action",
			RollupPrefix: "summaries/", RollupDays: "0", MaxGroups: "-5", Distinct: "ip"},
			[]string{contract.EnvSummaryPrefix, "must end in /", contract.EnvGroupBy, `"colour"`, contract.EnvFormat, `"xml"`,
				contract.EnvInclude + `: clause "bot=maybe"`, contract.EnvExclude + `: clause "action"`, contract.EnvRollupDays + ": ", contract.EnvMaxGroups + ": ", contract.EnvDistinct + `: unknown distinct "ip"`}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg, err := NewConfig(tt.settings)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatal(err)
				}
				tt.check(t, cfg)
				return
			}
			errtest.Mentions(t, err, tt.wantErr...)
		})
	}
}

func TestConfigFromEnv(t *testing.T) {
	env := map[string]string{contract.EnvSummaryBucket: "out", contract.EnvGroupBy: "hour", contract.EnvFormat: "jsonl", contract.EnvExclude: "action=redirect;bot=yes"}
	cfg, err := ConfigFromEnv(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if cfg.SummaryBucket != "out" || cfg.SummaryPrefix != "summaries/" || summary.Names(cfg.Dimensions) != "hour" || cfg.Format != summary.JSONL {
		t.Errorf("config %+v", cfg)
	}
	if cfg.Filter.Include() != "" || cfg.Filter.Exclude() != "action=redirect;bot=yes" {
		t.Errorf("filter include %q exclude %q", cfg.Filter.Include(), cfg.Filter.Exclude())
	}
	_, err = ConfigFromEnv(func(k string) string { return map[string]string{contract.EnvSummaryPrefix: "/s/"}[k] })
	if err == nil || !strings.Contains(err.Error(), contract.EnvSummaryPrefix+": ") {
		t.Errorf("error %v does not name the variable", err)
	}
}

func TestDefaultConfig(t *testing.T) {
	want, err := NewConfig(contract.Settings{})
	if err != nil {
		t.Fatal(err)
	}
	if got := DefaultConfig(); !reflect.DeepEqual(got, want) {
		t.Errorf("DefaultConfig() = %+v, want the zero settings' %+v", got, want)
	}
}

func TestSummaryKey(t *testing.T) {
	const dir = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-2/2026/11/26/"
	tests := []struct {
		name, prefix string
		format       summary.Format
		key, want    string
	}{
		{"ALB log as CSV", "summaries/", summary.CSV, dir + "a_20261126T0005Z_10.0.1.5_a1.log.gz", "summaries/dt=2026-11-25/a_20261126T0005Z_10.0.1.5_a1.csv"},
		{"Classic log as JSON Lines", "counts/x/", summary.JSONL, dir + "b_20261126T0005Z_10.0.1.5_b2.log", "counts/x/dt=2026-11-25/b_20261126T0005Z_10.0.1.5_b2.jsonl"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := Config{SummaryPrefix: tt.prefix, Format: tt.format}
			if got := cfg.SummaryKey(tt.key, "2026-11-25"); got != tt.want {
				t.Errorf("SummaryKey = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestRollups(t *testing.T) {
	cfg := DefaultConfig()
	cfg.Dimensions = summary.MustParseDimensions("hour,query:ev")
	cfg.MaxGroups = 42
	cfg.Distinct = summary.MustParseDistinct("visitor")
	b := cfg.Rollups(nil, "logs")
	if b.Bucket != "logs" || b.SummaryPrefix != "summaries/" || b.RollupPrefix != "rollups/" || summary.Names(b.Dimensions) != "hour,query:ev" || b.MaxGroups != 42 ||
		b.Distinct.String() != "visitor" {
		t.Errorf("builder %+v", b)
	}
	cfg.SummaryBucket = "reports"
	if b := cfg.Rollups(nil, "logs"); b.Bucket != "reports" {
		t.Errorf("with a summary bucket: %q", b.Bucket)
	}
}
