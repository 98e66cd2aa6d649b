package pipeline

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/tracker"
)

// Every listener that answers with the fixed response serves t.js at
// /t.js first, byte for byte the tracker package's; an HTTP listener
// that redirects has no rule (its redirect comes first, and the script
// is served over HTTPS), and DisableTracker leaves every rule out.
func TestTrackerRule(t *testing.T) {
	tests := []struct {
		name  string
		props *Props
		ports []float64 // the listeners that serve t.js
	}{
		{"default: HTTP", nil, []float64{80}},
		{"HTTP and HTTPS", &Props{DomainName: "collector.example.com", CertificateArn: testCert}, []float64{80, 443}},
		{"HTTP redirected to HTTPS", &Props{DomainName: "collector.example.com", CertificateArn: testCert, RedirectHTTPToHTTPS: true}, []float64{443}},
		{"disabled", &Props{DisableTracker: true}, nil},
		{"disabled with HTTPS", &Props{DomainName: "collector.example.com", CertificateArn: testCert, DisableTracker: true}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := synth(t, tt.props).template
			listenerPorts := map[string]float64{}
			for id, l := range tm.resources("AWS::ElasticLoadBalancingV2::Listener") {
				listenerPorts[id] = props(l)["Port"].(float64)
			}
			var ports []float64
			for id, r := range tm.resources("AWS::ElasticLoadBalancingV2::ListenerRule") {
				rule := props(r)
				listener, _ := rule["ListenerArn"].(map[string]any)["Ref"].(string)
				port, ok := listenerPorts[listener]
				if !ok {
					t.Fatalf("%s: on %v, not a listener of the load balancer", id, rule["ListenerArn"])
				}
				ports = append(ports, port)
				delete(rule, "ListenerArn")
				jsonEq(t, id, rule, map[string]any{
					"Priority":   TrackerRulePriority,
					"Conditions": []any{map[string]any{"Field": "path-pattern", "PathPatternConfig": map[string]any{"Values": []any{"/t.js"}}}},
					"Actions": []any{map[string]any{"Type": "fixed-response", "FixedResponseConfig": map[string]any{
						"StatusCode": "200", "ContentType": "application/javascript", "MessageBody": tracker.Script}}},
				})
				// jsonEq compares through JSON: check the bytes as they
				// are in the template too.
				if body := rule["Actions"].([]any)[0].(map[string]any)["FixedResponseConfig"].(map[string]any)["MessageBody"]; body != tracker.Script {
					t.Errorf("%s: message body differs from t.js", id)
				}
			}
			slices.Sort(ports)
			if !slices.Equal(ports, tt.ports) {
				t.Errorf("t.js served on ports %v, want %v", ports, tt.ports)
			}
		})
	}
}

// The script fits a fixed response, and the construct would refuse one
// that did not.
func TestTrackerFitsAFixedResponse(t *testing.T) {
	if n := utf8.RuneCountInString(tracker.Script); n > contract.MaxResponseBody || n == 0 {
		t.Errorf("t.js is %d characters, want 1 to %d", n, contract.MaxResponseBody)
	}
	if err := (&Props{}).Validate(); err != nil {
		t.Errorf("default props: %v", err)
	}
}

// PublishReport: the function is told the key, and may write that one
// object, and nothing else more than without it.
func TestPublishReport(t *testing.T) {
	tm := synth(t, &Props{PublishReport: true}).template
	vars := tm.function(t)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if vars[contract.EnvReport] != "report/index.html" {
		env, _ := json.Marshal(vars)
		t.Errorf("environment %s, want %s=report/index.html", env, contract.EnvReport)
	}
	bucket := logBucketID(tm, t)
	objects := func(key string) map[string]any {
		return map[string]any{"Fn::Join": []any{"", []any{arnOf(bucket), "/" + key}}}
	}
	statements := tm.statements(t, "PipelineFunctionRole").([]any)
	var added []any
	for _, s := range statements {
		b, _ := json.Marshal(s)
		if strings.Contains(string(b), "report") {
			added = append(added, s)
		}
	}
	jsonEq(t, "the report's statement", added, []any{
		map[string]any{"Effect": "Allow", "Action": "s3:PutObject", "Resource": objects("report/index.html")},
	})
	off := synth(t, nil).template
	without := off.statements(t, "PipelineFunctionRole").([]any)
	if len(statements) != len(without)+1 {
		t.Errorf("%d statements, want the %d without a report and one more", len(statements), len(without))
	}
	vars = off.function(t)["Environment"].(map[string]any)["Variables"].(map[string]any)
	if _, ok := vars[contract.EnvReport]; ok {
		t.Errorf("%s set without PublishReport", contract.EnvReport)
	}
}
