package contract

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/pmdp/pmdp/internal/errtest"
)

func TestReportSetting(t *testing.T) {
	tests := []struct {
		name     string
		settings Settings
		wantErr  []string // each must appear; none means valid
	}{
		{"none", Settings{}, nil},
		{"the stack's key", Settings{Report: "report/index.html"}, nil},
		{"at the bucket's root", Settings{Report: "index.html"}, nil},
		{"beside custom prefixes", Settings{SummaryPrefix: "pmdp/s/", RollupPrefix: "pmdp/r/", Report: "pmdp/report.html"}, nil},
		{"a name that starts like a prefix", Settings{Report: "summaries.html"}, nil},
		{"absolute", Settings{Report: "/report/index.html"}, []string{EnvReport + ": ", "must not start or end with /"}},
		{"a folder", Settings{Report: "report/"}, []string{EnvReport + ": ", "must not start or end with /"}},
		{"where logs go", Settings{Report: "logs/AWSLogs/report.html"}, []string{EnvReport + ": ", "AWSLogs/"}},
		{"among the summaries", Settings{Report: "summaries/report.html"}, []string{EnvReport + ": ", `summary prefix "summaries/"`}},
		{"among the rollups", Settings{Report: "rollups/dt=2026-11-26/index.html"}, []string{EnvReport + ": ", `rollup prefix "rollups/"`}},
		{"among custom rollups", Settings{RollupPrefix: "daily/", Report: "daily/report.html"}, []string{EnvReport + ": ", `rollup prefix "daily/"`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			errtest.Mentions(t, tt.settings.Validate(), tt.wantErr...)
		})
	}
}

func TestReportSettingNames(t *testing.T) {
	bad := Settings{Report: "/r"}
	errtest.Mentions(t, bad.ValidateAs(ByField), "Report: ")
	errtest.Mentions(t, bad.ValidateAs(ByFlag), "--report: ")
	env := Settings{Report: "report/index.html"}.Env()
	if env[EnvReport] != "report/index.html" {
		t.Errorf("Env() = %v, want %s=report/index.html", env, EnvReport)
	}
	if _, ok := (Settings{}).Env()[EnvReport]; ok {
		t.Errorf("Env() of no report sets %s", EnvReport)
	}
	if got := SettingsFromEnv(func(k string) string { return env[k] }).Report; got != "report/index.html" {
		t.Errorf("SettingsFromEnv(Env()).Report = %q", got)
	}
}

// What a schedule sends is the plain sweep: the window's dates, in the
// function's own summary bucket.
func TestScheduledSweep(t *testing.T) {
	var ev SweepEvent
	if err := json.Unmarshal([]byte(ScheduledSweep), &ev); err != nil {
		t.Fatal(err)
	}
	if want := (SweepEvent{Op: SweepOp}); !reflect.DeepEqual(ev, want) {
		t.Errorf("ScheduledSweep reads as %+v, want %+v", ev, want)
	}
	b, err := json.Marshal(SweepEvent{Op: SweepOp})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != ScheduledSweep {
		t.Errorf("a plain SweepEvent is %s, want %s", b, ScheduledSweep)
	}
}
