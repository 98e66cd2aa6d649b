package cfnguard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"
)

// fakeEnv names what the test binary does when Validate runs it as
// cfn-guard: see fakeCFNGuard.
const fakeEnv = "PMDP_TEST_FAKE_CFN_GUARD"

func TestMain(m *testing.M) {
	if mode := os.Getenv(fakeEnv); mode != "" {
		os.Exit(fakeCFNGuard(mode, os.Args[1:]))
	}
	os.Exit(m.Run())
}

// fakeCFNGuard answers as cfn-guard 3.1.1 does, with the exit status it
// gives for findings (19), for none (0) and for an error, after checking
// that it was asked for the structured JSON report Parse reads.
func fakeCFNGuard(mode string, args []string) int {
	want := []string{"validate", "--structured", "--output-format", "json", "--show-summary", "none", "--rules", "rules.guard", "--data"}
	if len(args) != len(want)+1 || !slices.Equal(args[:len(want)], want) {
		fmt.Fprintf(os.Stderr, "unexpected arguments %q\n", args)
		return 2
	}
	switch mode {
	case "findings":
		report, err := os.ReadFile(filepath.Join("testdata", "structured.json"))
		if err != nil {
			fmt.Fprintln(os.Stderr, err)
			return 2
		}
		os.Stdout.Write(report)
		return 19
	case "pass":
		fmt.Printf(`[{"name":%q,"status":"PASS","compliant":["r"],"not_applicable":["r","s"],"not_compliant":[]}]`, args[len(args)-1])
		return 0
	case "garbage":
		fmt.Print("Error occurred")
		return 0
	}
	fmt.Fprintln(os.Stderr, "Error: Parse Error on ruleset file rules.guard")
	return 5
}

func TestValidate(t *testing.T) {
	notJSON := filepath.Join(t.TempDir(), "template.json")
	if err := os.WriteFile(notJSON, []byte("Resources: {}"), 0o600); err != nil {
		t.Fatal(err)
	}
	template := filepath.Join("testdata", "template.json")
	tests := []struct {
		name     string
		mode     string // of the fake cfn-guard
		template string
		check    func(t *testing.T, res Result)
		wantErr  string
	}{
		{
			name: "findings: exit status 19 is a result", mode: "findings", template: template,
			check: func(t *testing.T, res Result) {
				if len(res.Findings) != 9 || len(res.Failed) != 5 {
					t.Errorf("%d findings of %d failed rules, want 9 of 5", len(res.Findings), len(res.Failed))
				}
				if f := res.Findings[0]; f.Resource != "PipelineFailureQueueAlarmC82A180B" || f.Path != "Pmdp/Pipeline/FailureQueueAlarm/Resource" {
					t.Errorf("first finding %+v, want the alarm named by the template's CDK path", f)
				}
			},
		},
		{
			name: "all passed: exit status 0", mode: "pass", template: template,
			check: func(t *testing.T, res Result) {
				if want := (Result{Passed: []string{"r"}, Skipped: []string{"s"}}); !reflect.DeepEqual(res, want) {
					t.Errorf("result %+v, want %+v", res, want)
				}
			},
		},
		{name: "cfn-guard fails", mode: "error", template: template,
			wantErr: "validate testdata/template.json: exit status 5: Error: Parse Error on ruleset file rules.guard"},
		{name: "a report that is not JSON", mode: "garbage", template: template,
			wantErr: "testdata/template.json: cfn-guard report: invalid character"},
		{name: "no template", mode: "pass", template: filepath.Join(t.TempDir(), "missing.json"),
			wantErr: "missing.json: no such file or directory"},
		{name: "a template that is not JSON", mode: "pass", template: notJSON,
			wantErr: notJSON + ": template: invalid character"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Setenv(fakeEnv, tt.mode)
			res, err := Validate(context.Background(), os.Args[0], "rules.guard", tt.template)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Validate() = %+v, %v; want an error with %q", res, err, tt.wantErr)
				}
				if !reflect.DeepEqual(res, Result{}) {
					t.Errorf("result %+v with the error, want none", res)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			tt.check(t, res)
		})
	}
}
