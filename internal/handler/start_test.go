package handler

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/pmdp/pmdp/internal/contract"
)

// An invalid configuration stops the function before its first
// invocation, reported once, as one structured log line naming every
// invalid variable.
func TestStartRefusesInvalidConfiguration(t *testing.T) {
	env := map[string]string{contract.EnvGroupBy: "date,colour", contract.EnvSummaryPrefix: "s", contract.EnvFormat: "xml",
		contract.EnvReport: "rollups/index.html"}
	var out bytes.Buffer
	if code := start(func(k string) string { return env[k] }, &out); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	lines := strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n")
	if len(lines) != 1 {
		t.Fatalf("%d log lines, want 1:\n%s", len(lines), &out)
	}
	var rec struct{ Level, Msg, Error string }
	if err := json.Unmarshal([]byte(lines[0]), &rec); err != nil {
		t.Fatal(err)
	}
	if rec.Level != "ERROR" || rec.Msg != "invalid configuration" {
		t.Errorf("logged %s", lines[0])
	}
	for _, name := range []string{contract.EnvGroupBy, contract.EnvSummaryPrefix, contract.EnvFormat, contract.EnvReport} {
		if !strings.Contains(rec.Error, name) {
			t.Errorf("error %q does not name %s", rec.Error, name)
		}
	}
}
