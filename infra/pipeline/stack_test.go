package pipeline

// Tests of the deployable stack and the App it is built in.

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/jsii-runtime-go"
)

// The deployable stack: its outputs, and no cdk-nag finding left
// unexplained, CDK's own notification handler included.
func TestStackOutputs(t *testing.T) {
	app := NewApp(nil, t.TempDir())
	stack := NewStack(app, "Pmdp", &StackProps{StackProps: awscdk.StackProps{Env: &awscdk.Environment{Region: jsii.String("eu-west-1")}}})
	tm := templateOf(t, stack)
	outputs := tm["Outputs"].(map[string]any)
	for _, name := range []string{"CollectorUrl", "LoadBalancerDnsName", "LogBucketName", "SummaryBucketName", "FunctionName", "FailureQueueUrl",
		"AlarmTopicArn", "RollupPrefix", "AthenaDatabase", "AthenaTable", "AthenaWorkGroup"} {
		if _, ok := outputs[name]; !ok {
			t.Errorf("no output %s (have %v)", name, keysOf(outputs))
		}
	}
	dbID, _ := tm.one(t, "AWS::Glue::Database")
	wgID, _ := tm.one(t, "AWS::Athena::WorkGroup")
	topicID, _ := tm.one(t, "AWS::SNS::Topic")
	for name, want := range map[string]any{"AlarmTopicArn": ref(topicID), "AthenaDatabase": ref(dbID), "AthenaTable": "rollups", "AthenaWorkGroup": ref(wgID), "RollupPrefix": "rollups/"} {
		if o, ok := outputs[name].(map[string]any); ok {
			jsonEq(t, name, o["Value"], want)
		}
	}
	// The backfill is off by default: no state machine, no output.
	if n := len(tm.resources("AWS::StepFunctions::StateMachine")); n != 0 {
		t.Errorf("%d state machines without Backfill", n)
	}
	if _, ok := outputs["BackfillStateMachineArn"]; ok {
		t.Error("BackfillStateMachineArn output without Backfill")
	}
	url, _ := json.Marshal(outputs["CollectorUrl"])
	if !strings.Contains(string(url), `"http://"`) || !strings.Contains(string(url), "DNSName") || !strings.Contains(string(url), `"/e"`) {
		t.Errorf("collector URL %s", url)
	}
}

// The embedded feature flags are aws-cdk-lib's own recommendation, read
// from the library tarball that the aws-cdk-go version in go.mod embeds.
func TestFeatureFlagsMatchTheLibrary(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-cdk-go/awscdk/v2").Output()
	if err != nil {
		t.Fatal(err)
	}
	tarballs, _ := filepath.Glob(filepath.Join(strings.TrimSpace(string(out)), "jsii", "aws-cdk-lib-*.tgz"))
	if len(tarballs) != 1 {
		t.Fatalf("aws-cdk-lib tarballs: %v", tarballs)
	}
	f, err := os.Open(tarballs[0])
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err != nil {
			t.Fatalf("no package/recommended-feature-flags.json in %s: %v", tarballs[0], err)
		}
		if h.Name != "package/recommended-feature-flags.json" {
			continue
		}
		var want map[string]any
		if err := json.NewDecoder(tr).Decode(&want); err != nil {
			t.Fatal(err)
		}
		jsonEq(t, "feature flags (copy the library's file to feature-flags.json after an upgrade)", FeatureFlags(), want)
		return
	}
}
