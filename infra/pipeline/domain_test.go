package pipeline

// Template tests of the collector's own domain: certificate, DNS record,
// HTTPS listener and collector URL.

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/jsii-runtime-go"
)

// A domain in a hosted zone named by ID and name, as CDK context gives
// them: a DNS-validated certificate, an HTTPS listener with it, an alias
// record, and https://<domain>/e as the collector URL.
func TestDomainInHostedZone(t *testing.T) {
	app := NewApp(nil, t.TempDir())
	stack := NewStack(app, "Pmdp", &StackProps{
		StackProps: awscdk.StackProps{Env: testEnv},
		Pipeline:   &Props{DomainName: "collector.example.com", HostedZoneId: "Z0123456789ABCDEFGHIJ", HostedZoneName: "example.com"},
	})
	tm := templateOf(t, stack)

	certID, cert := tm.one(t, "AWS::CertificateManager::Certificate")
	jsonEq(t, "certificate", props(cert), map[string]any{
		"DomainName": "collector.example.com", "ValidationMethod": "DNS",
		"DomainValidationOptions": []any{map[string]any{"DomainName": "collector.example.com", "HostedZoneId": "Z0123456789ABCDEFGHIJ"}},
		"Tags":                    []any{map[string]any{"Key": "Name", "Value": "Pmdp/Pipeline/Certificate"}},
	})
	https := listenerOn(t, tm, 443)
	jsonEq(t, "HTTPS listener certificate", https["Certificates"], []any{map[string]any{"CertificateArn": ref(certID)}})
	if https["Protocol"] != "HTTPS" || https["SslPolicy"] != "ELBSecurityPolicy-TLS13-1-2-2021-06" {
		t.Errorf("HTTPS listener %v", https)
	}
	// Without RedirectHTTPToHTTPS, HTTP still answers.
	if a, _ := json.Marshal(listenerOn(t, tm, 80)["DefaultActions"]); !strings.Contains(string(a), "fixed-response") {
		t.Errorf("HTTP listener actions %s, want the fixed response", a)
	}

	lbID := idOf(tm, t, "AWS::ElasticLoadBalancingV2::LoadBalancer")
	_, rec := tm.one(t, "AWS::Route53::RecordSet")
	jsonEq(t, "alias record", props(rec), map[string]any{
		"Name": "collector.example.com.", "Type": "A", "HostedZoneId": "Z0123456789ABCDEFGHIJ", "Comment": "pmdp collector",
		"AliasTarget": map[string]any{
			"DNSName":      map[string]any{"Fn::Join": []any{"", []any{"dualstack.", map[string]any{"Fn::GetAtt": []any{lbID, "DNSName"}}}}},
			"HostedZoneId": map[string]any{"Fn::GetAtt": []any{lbID, "CanonicalHostedZoneID"}},
		},
	})
	if n := len(tm.resources("AWS::Route53::RecordSet")); n != 1 {
		t.Errorf("%d records, want the A record only (the load balancer has no IPv6)", n)
	}
	jsonEq(t, "CollectorUrl", tm["Outputs"].(map[string]any)["CollectorUrl"].(map[string]any)["Value"], "https://collector.example.com/e")
}

// A certificate of one's own: no certificate is created; with a zone the
// record still is, without one DNS is the caller's.
func TestDomainWithCertificate(t *testing.T) {
	tests := []struct {
		name    string
		zone    bool
		records int
	}{
		{"in a hosted zone passed as a construct", true, 1},
		{"with DNS elsewhere", false, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tm := synthWith(t, nil, func(stack awscdk.Stack) *Props {
				p := &Props{DomainName: "example.com", CertificateArn: testCert}
				if tt.zone {
					p.HostedZone = awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
						HostedZoneId: jsii.String("Z123"), ZoneName: jsii.String("example.com"),
					})
				}
				return p
			}).template
			if n := len(tm.resources("AWS::CertificateManager::Certificate")); n != 0 {
				t.Errorf("%d certificates created although one was given", n)
			}
			jsonEq(t, "HTTPS listener certificate", listenerOn(t, tm, 443)["Certificates"], []any{map[string]any{"CertificateArn": testCert}})
			records := tm.resources("AWS::Route53::RecordSet")
			if len(records) != tt.records {
				t.Fatalf("%d records, want %d", len(records), tt.records)
			}
			for _, r := range records {
				if p := props(r); p["Name"] != "example.com." || p["HostedZoneId"] != "Z123" || p["Type"] != "A" {
					t.Errorf("record %v, want example.com. in Z123", p)
				}
			}
		})
	}
}

// The hosted zone can be given one way only; the check needs a construct,
// hence Node, unlike the other validation cases.
func TestHostedZoneGivenTwice(t *testing.T) {
	stack := awscdk.NewStack(awscdk.NewApp(nil), jsii.String("S"), nil)
	zone := awsroute53.HostedZone_FromHostedZoneAttributes(stack, jsii.String("Zone"), &awsroute53.HostedZoneAttributes{
		HostedZoneId: jsii.String("Z123"), ZoneName: jsii.String("example.com"),
	})
	err := (&Props{DomainName: "example.com", HostedZone: zone, HostedZoneId: "Z123", HostedZoneName: "example.com"}).Validate()
	if err == nil || !strings.Contains(err.Error(), "HostedZone and HostedZoneId/HostedZoneName are both set") {
		t.Errorf("Validate() = %v, want the zone given twice", err)
	}
	if err := (&Props{DomainName: "example.com", HostedZone: zone}).Validate(); err != nil {
		t.Errorf("Validate() with the zone as a construct = %v", err)
	}
}

// listenerOn returns the properties of the listener on port.
func listenerOn(t *testing.T, tm template, port float64) map[string]any {
	t.Helper()
	var found []map[string]any
	for _, l := range tm.resources("AWS::ElasticLoadBalancingV2::Listener") {
		if props(l)["Port"] == port {
			found = append(found, props(l))
		}
	}
	if len(found) != 1 {
		t.Fatalf("%d listeners on port %v, want 1", len(found), port)
	}
	return found[0]
}
