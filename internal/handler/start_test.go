package handler

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
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

// AWS configuration that cannot be loaded stops the function before its
// first invocation, as an invalid one of its own does.
func TestStartRefusesAWSConfiguration(t *testing.T) {
	empty := filepath.Join(t.TempDir(), "config")
	if err := os.WriteFile(empty, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("AWS_CONFIG_FILE", empty)
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", empty)
	t.Setenv("AWS_PROFILE", "pmdp-no-such-profile")
	var out bytes.Buffer
	if code := start(func(string) string { return "" }, &out); code != 1 {
		t.Errorf("exit status %d, want 1", code)
	}
	var rec struct{ Level, Msg, Error string }
	if err := json.Unmarshal(out.Bytes(), &rec); err != nil {
		t.Fatalf("%v: %s", err, &out)
	}
	if rec.Level != "ERROR" || rec.Msg != "configuring S3" || !strings.Contains(rec.Error, "pmdp-no-such-profile") {
		t.Errorf("logged %s, want the S3 configuration's error naming the profile", &out)
	}
}

func TestUnderLambda(t *testing.T) {
	tests := []struct {
		name, runtimeAPI string
		want             bool
	}{
		{"started by the runtime", "127.0.0.1:9001", true},
		{"started by hand", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv("AWS_LAMBDA_RUNTIME_API", tt.runtimeAPI)
			if got := UnderLambda(); got != tt.want {
				t.Errorf("UnderLambda() = %t with AWS_LAMBDA_RUNTIME_API=%q, want %t", got, tt.runtimeAPI, tt.want)
			}
		})
	}
}
