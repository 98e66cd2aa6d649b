package cfnguard_test

import (
	"log"
	"os"

	"github.com/pmdp/pmdp/infra/cfnguard"
)

func ExampleCheck() {
	exceptions, err := cfnguard.ParseExceptions([]byte(`[
		{"control": "CT.S3.PR.2", "resource": "Pmdp/Pipeline/LogBucket/Resource",
		 "reason": "Logging access to the log bucket would need another bucket, and its own logs."},
		{"control": "CT.SQS.PR.1", "resource": "Pmdp/Pipeline/FailureQueue/Resource",
		 "reason": "The failure queue is the end of the line."}
	]`))
	if err != nil {
		log.Fatal(err)
	}
	// In make guard, cfnguard.Validate runs cfn-guard for each template.
	result := cfnguard.Result{
		Passed:  []string{"alb_desync_mode_check"},
		Failed:  []string{"s3_bucket_logging_enabled_check", "subnet_auto_assign_public_ip_disabled_check"},
		Skipped: []string{"api_gw_cache_encrypted_check"},
		Findings: []cfnguard.Finding{
			{Control: "CT.EC2.PR.11", Rule: "subnet_auto_assign_public_ip_disabled_check", Resource: "Subnet1", Path: "Pmdp/Pipeline/Vpc/PublicSubnet1/Subnet",
				Message: "[CT.EC2.PR.11]: Require that an Amazon EC2 subnet does not automatically assign public IP addresses\n[FIX]: Set 'MapPublicIpOnLaunch' to 'false'."},
			{Control: "CT.S3.PR.2", Rule: "s3_bucket_logging_enabled_check", Resource: "LogBucket1", Path: "Pmdp/Pipeline/LogBucket/Resource"},
		},
	}
	verdicts, err := cfnguard.Check([]cfnguard.Stack{{Name: "default", Result: result}}, exceptions)
	if err != nil {
		log.Fatal(err)
	}
	if err := cfnguard.WriteReport(os.Stdout, verdicts); err != nil {
		log.Fatal(err)
	}
	// Output:
	// default: 4 rules evaluated: 1 passed, 2 failed (1 wholly excepted), 1 not applicable; 2 findings, 1 excepted
	//   excepted CT.S3.PR.2                     Pmdp/Pipeline/LogBucket/Resource
	//   FAILED   CT.EC2.PR.11                   Pmdp/Pipeline/Vpc/PublicSubnet1/Subnet (subnet_auto_assign_public_ip_disabled_check)
	//            [CT.EC2.PR.11]: Require that an Amazon EC2 subnet does not automatically assign public IP addresses
	//            [FIX]: Set 'MapPublicIpOnLaunch' to 'false'.
	//   STALE    exception CT.SQS.PR.1 Pmdp/Pipeline/FailureQueue/Resource accepts no finding: remove it, or narrow its stacks
}
