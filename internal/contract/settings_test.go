package contract

import (
	"maps"
	"reflect"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/errtest"
)

// Every field of Settings has its row in the table, pointing at that
// field, under names no other setting uses.
func TestEverySettingIsListed(t *testing.T) {
	typ := reflect.TypeFor[Settings]()
	if len(settings) != typ.NumField() {
		t.Fatalf("%d settings listed, Settings has %d fields", len(settings), typ.NumField())
	}
	envs, flags := map[string]bool{}, map[string]bool{}
	for i, st := range settings {
		field := typ.Field(i)
		if st.Field != field.Name {
			t.Errorf("row %d is %s, want %s in field order", i, st.Field, field.Name)
		}
		var s Settings
		*st.value(&s) = "x"
		if got := reflect.ValueOf(s).Field(i).String(); got != "x" {
			t.Errorf("%s: value points at another field", st.Field)
		}
		if !strings.HasPrefix(st.Env, "PMDP_") || envs[st.Env] {
			t.Errorf("%s: environment variable %q not PMDP_ or used twice", st.Field, st.Env)
		}
		if st.Flag == "" || flags[st.Flag] {
			t.Errorf("%s: flag %q empty or used twice", st.Field, st.Flag)
		}
		envs[st.Env], flags[st.Flag] = true, true
		if st.check != nil && st.Default != "" {
			if err := st.check(st.Default); err != nil {
				t.Errorf("%s: default %q is invalid: %v", st.Field, st.Default, err)
			}
		}
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		wantErr  []string // each must appear; none means valid
	}{
		{"zero value", Settings{}, nil},
		{"everything set", Settings{SummaryBucket: "out", SummaryPrefix: "counts/", GroupBy: "hour,query:ev", Format: "jsonl",
			Include: "query:ev=signup|login", Exclude: "action=redirect;bot=yes", RollupPrefix: "daily/", RollupDays: "7", MaxGroups: "5000", Distinct: "visitor"}, nil},
		{"rollups in a sibling folder", Settings{SummaryPrefix: "pmdp/summaries/", RollupPrefix: "pmdp/rollups/"}, nil},
		{"rollup prefix without slash", Settings{RollupPrefix: "rollups"}, []string{EnvRollupPrefix + ": ", "rollup prefix", "must end in /"}},
		{"rollup prefix where logs go", Settings{RollupPrefix: "x/AWSLogs/"}, []string{EnvRollupPrefix, "AWSLogs"}},
		{"rollups among the summaries", Settings{RollupPrefix: "summaries/rollups/"}, []string{EnvRollupPrefix + ": ", "overlap"}},
		{"summaries among the rollups", Settings{SummaryPrefix: "r/s/", RollupPrefix: "r/"}, []string{EnvRollupPrefix + ": ", "overlap"}},
		{"one prefix for both", Settings{SummaryPrefix: "out/", RollupPrefix: "out/"}, []string{EnvRollupPrefix + ": ", "overlap"}},
		{"a window of one day", Settings{RollupDays: "1"}, nil},
		{"a window of no days", Settings{RollupDays: "0"}, []string{EnvRollupDays + ": ", `"0"`, "from 1 to 366"}},
		{"a window of a leap year", Settings{RollupDays: "366"}, nil},
		{"a window over a year", Settings{RollupDays: "367"}, []string{EnvRollupDays, "from 1 to 366"}},
		{"a window that is not a number", Settings{RollupDays: "3d"}, []string{EnvRollupDays, `"3d"`}},
		{"a cap of one group", Settings{MaxGroups: "1"}, nil},
		{"the largest cap", Settings{MaxGroups: "10000000"}, nil},
		{"no cap", Settings{MaxGroups: "0"}, []string{EnvMaxGroups + ": ", `"0"`, "from 1 to 10000000"}},
		{"a cap too large", Settings{MaxGroups: "10000001"}, []string{EnvMaxGroups, "from 1 to 10000000"}},
		{"a cap with a separator", Settings{MaxGroups: "100_000"}, []string{EnvMaxGroups, `"100_000"`}},
		{"distinct visitors", Settings{Distinct: "visitor"}, nil},
		{"distinct values of a query parameter", Settings{Distinct: "query:uid"}, nil},
		{"distinct without a parameter name", Settings{Distinct: "query:"}, []string{EnvDistinct + ": ", `"query:"`, "missing parameter name"}},
		{"distinct by a dimension", Settings{Distinct: "path"}, []string{EnvDistinct + ": ", `"path"`, "visitor or query:NAME"}},
		{"distinct visitors capitalised", Settings{Distinct: "Visitor"}, []string{EnvDistinct, `"Visitor"`}},
		{"spaces in the group-by", Settings{GroupBy: " date , path"}, nil},
		{"any bucket name", Settings{SummaryBucket: "${Token[TOKEN.123]}"}, nil},
		{"prefix without slash", Settings{SummaryPrefix: "counts"}, []string{EnvSummaryPrefix + ": ", "must end in /"}},
		{"absolute prefix", Settings{SummaryPrefix: "/s/"}, []string{EnvSummaryPrefix, "must not start with /"}},
		{"prefix where logs go", Settings{SummaryPrefix: "AWSLogs/x/"}, []string{EnvSummaryPrefix, "AWSLogs"}},
		{"unknown dimension", Settings{GroupBy: "date,colour"}, []string{EnvGroupBy + ": ", `"colour"`}},
		{"unknown format", Settings{Format: "xml"}, []string{EnvFormat + ": ", `"xml"`}},
		{"include without a value", Settings{Include: "bot"}, []string{EnvInclude + ": ", `clause "bot"`}},
		{"exclude by an unknown dimension", Settings{Exclude: "actions=redirect"}, []string{EnvExclude + ": ", `"actions"`}},
		{"everything wrong at once", Settings{SummaryPrefix: "counts", GroupBy: "date,,date", Format: "csv2", Include: "bot=maybe", Exclude: ";",
			RollupPrefix: "/r/", RollupDays: "-1", MaxGroups: "many", Distinct: "ip"},
			[]string{EnvSummaryPrefix, EnvGroupBy, "position 2", "given twice", EnvFormat, EnvInclude, EnvExclude, EnvRollupPrefix, EnvRollupDays, EnvMaxGroups, EnvDistinct}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errtest.Mentions(t, tt.settings.Validate(), tt.wantErr...)
		})
	}
}

func TestValidateAs(t *testing.T) {
	bad := Settings{SummaryPrefix: "s", GroupBy: "x", Format: "y", Include: "i", Exclude: "e", RollupPrefix: "r", RollupDays: "d"}
	tests := []struct {
		name string
		by   func(Setting) string
		want []string
	}{
		{"environment", ByEnv, []string{"PMDP_SUMMARY_PREFIX: ", "PMDP_GROUP_BY: ", "PMDP_FORMAT: ", "PMDP_INCLUDE: ", "PMDP_EXCLUDE: ", "PMDP_ROLLUP_PREFIX: ", "PMDP_ROLLUP_DAYS: "}},
		{"fields, as the construct's props", ByField, []string{"SummaryPrefix: ", "GroupBy: ", "Format: ", "Include: ", "Exclude: ", "RollupPrefix: ", "RollupDays: "}},
		{"flags", ByFlag, []string{"--summary-prefix: ", "--group-by: ", "--format: ", "--include: ", "--exclude: ", "--rollup-prefix: ", "--rollup-days: "}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := bad.ValidateAs(tt.by)
			if err == nil {
				t.Fatal("no error")
			}
			lines := strings.Split(err.Error(), "\n")
			if len(lines) != len(tt.want) {
				t.Fatalf("%d lines, want one a setting:\n%v", len(lines), err)
			}
			for i, w := range tt.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %q does not start with %q", lines[i], w)
				}
			}
		})
	}
}

func TestEnv(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		want     map[string]string
	}{
		{"defaults spelled out, no bucket", Settings{}, map[string]string{
			EnvSummaryPrefix: DefaultSummaryPrefix, EnvGroupBy: DefaultGroupBy, EnvFormat: DefaultFormat,
			EnvRollupPrefix: DefaultRollupPrefix, EnvRollupDays: DefaultRollupDays, EnvMaxGroups: DefaultMaxGroups}},
		{"everything", Settings{SummaryBucket: "out", SummaryPrefix: "c/", GroupBy: "hour", Format: "jsonl", Include: "bot=no;status=204", Exclude: ExcludeRedirects,
			RollupPrefix: "d/", RollupDays: "5", MaxGroups: "2500", Distinct: "query:uid"},
			map[string]string{EnvSummaryBucket: "out", EnvSummaryPrefix: "c/", EnvGroupBy: "hour", EnvFormat: "jsonl",
				EnvInclude: "bot=no;status=204", EnvExclude: "action=redirect", EnvRollupPrefix: "d/", EnvRollupDays: "5", EnvMaxGroups: "2500",
				EnvDistinct: "query:uid"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			env := tt.settings.Env()
			if !maps.Equal(env, tt.want) {
				t.Fatalf("Env() = %v, want %v", env, tt.want)
			}
			// The function reads back what the construct wrote.
			if got := SettingsFromEnv(func(k string) string { return env[k] }); got != tt.settings.WithDefaults() {
				t.Errorf("SettingsFromEnv(Env()) = %+v, want %+v", got, tt.settings.WithDefaults())
			}
		})
	}
}

func TestSettingsFromEnv(t *testing.T) {
	env := map[string]string{EnvSummaryBucket: "b", EnvSummaryPrefix: "p/", EnvGroupBy: "g", EnvFormat: "f", EnvInclude: "i", EnvExclude: "e",
		EnvRollupPrefix: "r/", EnvRollupDays: "9", EnvDistinct: "visitor", "PMDP_OTHER": "o"}
	got := SettingsFromEnv(func(k string) string { return env[k] })
	if want := (Settings{SummaryBucket: "b", SummaryPrefix: "p/", GroupBy: "g", Format: "f", Include: "i", Exclude: "e", RollupPrefix: "r/", RollupDays: "9", Distinct: "visitor"}); got != want {
		t.Errorf("SettingsFromEnv = %+v, want %+v", got, want)
	}
	if got := SettingsFromEnv(func(string) string { return "" }); got != (Settings{}) {
		t.Errorf("empty environment gave %+v, want the zero Settings (defaults are filled in later)", got)
	}
}
