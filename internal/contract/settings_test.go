package contract

import (
	"maps"
	"reflect"
	"strings"
	"testing"
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
			Include: "query:ev=signup|login", Exclude: "action=redirect;bot=yes"}, nil},
		{"spaces in the group-by", Settings{GroupBy: " date , path"}, nil},
		{"any bucket name", Settings{SummaryBucket: "${Token[TOKEN.123]}"}, nil},
		{"prefix without slash", Settings{SummaryPrefix: "counts"}, []string{EnvSummaryPrefix + ": ", "must end in /"}},
		{"absolute prefix", Settings{SummaryPrefix: "/s/"}, []string{EnvSummaryPrefix, "must not start with /"}},
		{"prefix where logs go", Settings{SummaryPrefix: "AWSLogs/x/"}, []string{EnvSummaryPrefix, "AWSLogs"}},
		{"unknown dimension", Settings{GroupBy: "date,colour"}, []string{EnvGroupBy + ": ", `"colour"`}},
		{"unknown format", Settings{Format: "xml"}, []string{EnvFormat + ": ", `"xml"`}},
		{"include without a value", Settings{Include: "bot"}, []string{EnvInclude + ": ", `clause "bot"`}},
		{"exclude by an unknown dimension", Settings{Exclude: "actions=redirect"}, []string{EnvExclude + ": ", `"actions"`}},
		{"everything wrong at once", Settings{SummaryPrefix: "counts", GroupBy: "date,,date", Format: "csv2", Include: "bot=maybe", Exclude: ";"},
			[]string{EnvSummaryPrefix, EnvGroupBy, "position 2", "given twice", EnvFormat, EnvInclude, EnvExclude}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			checkErr(t, tt.settings.Validate(), tt.wantErr...)
		})
	}
}

func TestValidateAs(t *testing.T) {
	bad := Settings{SummaryPrefix: "s", GroupBy: "x", Format: "y", Include: "i", Exclude: "e"}
	tests := []struct {
		name string
		by   func(Setting) string
		want []string
	}{
		{"environment", ByEnv, []string{"PMDP_SUMMARY_PREFIX: ", "PMDP_GROUP_BY: ", "PMDP_FORMAT: ", "PMDP_INCLUDE: ", "PMDP_EXCLUDE: "}},
		{"fields, as the construct's props", ByField, []string{"SummaryPrefix: ", "GroupBy: ", "Format: ", "Include: ", "Exclude: "}},
		{"flags", ByFlag, []string{"--summary-prefix: ", "--group-by: ", "--format: ", "--include: ", "--exclude: "}},
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
			EnvSummaryPrefix: DefaultSummaryPrefix, EnvGroupBy: DefaultGroupBy, EnvFormat: DefaultFormat}},
		{"everything", Settings{SummaryBucket: "out", SummaryPrefix: "c/", GroupBy: "hour", Format: "jsonl", Include: "bot=no;status=204", Exclude: ExcludeRedirects},
			map[string]string{EnvSummaryBucket: "out", EnvSummaryPrefix: "c/", EnvGroupBy: "hour", EnvFormat: "jsonl",
				EnvInclude: "bot=no;status=204", EnvExclude: "action=redirect"}},
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
	env := map[string]string{EnvSummaryBucket: "b", EnvSummaryPrefix: "p/", EnvGroupBy: "g", EnvFormat: "f", EnvInclude: "i", EnvExclude: "e", "PMDP_OTHER": "o"}
	got := SettingsFromEnv(func(k string) string { return env[k] })
	if want := (Settings{SummaryBucket: "b", SummaryPrefix: "p/", GroupBy: "g", Format: "f", Include: "i", Exclude: "e"}); got != want {
		t.Errorf("SettingsFromEnv = %+v, want %+v", got, want)
	}
	if got := SettingsFromEnv(func(string) string { return "" }); got != (Settings{}) {
		t.Errorf("empty environment gave %+v, want the zero Settings (defaults are filled in later)", got)
	}
}
