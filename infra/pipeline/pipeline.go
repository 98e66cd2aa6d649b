// Package pipeline is pmdp as a CDK construct: an Application Load Balancer
// with no targets that answers every request with a fixed response and
// logs it to S3, a Lambda function that turns each delivered log file
// into per-date summaries and, on a schedule, merges them into daily
// rollups, and an Athena table over the rollups. Import it into any Go
// CDK app; NewStack wraps it as the stack `cdk deploy` deploys.
package pipeline

import (
	"fmt"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsathena"
	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsec2"
	elbv2 "github.com/aws/aws-cdk-go/awscdk/v2/awselasticloadbalancingv2"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsglue"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsiam"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambda"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslambdadestinations"
	"github.com/aws/aws-cdk-go/awscdk/v2/awslogs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3"
	"github.com/aws/aws-cdk-go/awscdk/v2/awss3notifications"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsscheduler"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssns"
	"github.com/aws/aws-cdk-go/awscdk/v2/awssqs"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsstepfunctions"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/tracker"
)

// Pipeline is the whole pmdp pipeline. Its child construct IDs are stable:
// renaming one would replace a deployed resource.
type Pipeline struct {
	constructs.Construct

	vpc           awsec2.IVpc
	securityGroup awsec2.SecurityGroup
	loadBalancer  elbv2.ApplicationLoadBalancer
	httpListener  elbv2.ApplicationListener
	httpsListener elbv2.ApplicationListener
	hostedZone    awsroute53.IHostedZone
	cert          awscertificatemanager.ICertificate
	logBucket     awss3.IBucket
	summaryBucket awss3.IBucket
	logGroup      awslogs.LogGroup
	role          awsiam.Role
	function      awslambda.Function
	failureQueue  awssqs.Queue
	alarmTopic    awssns.ITopic
	collectorURL  *string

	schedule           awsscheduler.CfnSchedule
	rollupScheduleRole awsiam.Role

	// nil with DisableAthena
	athenaDatabase  awsglue.CfnDatabase
	rollupTable     awsglue.CfnTable
	athenaResults   awss3.Bucket
	athenaWorkGroup awsathena.CfnWorkGroup

	// nil without Backfill
	backfillRole         awsiam.Role
	backfillStateMachine awsstepfunctions.StateMachine

	props Props

	// logKeyPrefix is where the load balancer delivers its logs under
	// LogPrefix: the keys the function is notified of and may read.
	logKeyPrefix string
}

// New creates the pipeline in scope. Invalid props panic with every problem
// listed, as CDK constructs do; call props.Validate first to handle them.
func New(scope constructs.Construct, id string, props *Props) *Pipeline {
	if err := props.Validate(); err != nil {
		panic(fmt.Sprintf("pmdp pipeline %q: invalid props:\n%v", id, err))
	}
	var p Props
	if props != nil {
		p = *props
	}
	p = p.withDefaults()

	pl := &Pipeline{Construct: constructs.NewConstruct(scope, &id), props: p}
	pl.network()
	pl.buckets()
	pl.certificate()
	pl.collector()
	pl.dnsRecord()
	pl.processing()
	pl.failures()
	pl.rollupSchedule()
	pl.backfill()
	pl.athena()
	pl.alarms()
	pl.explainFindings()
	return pl
}

func (pl *Pipeline) network() {
	pl.vpc = pl.props.Vpc
	if pl.vpc != nil {
		return
	}
	vpc := awsec2.NewVpc(pl.Construct, jsii.String("Vpc"), &awsec2.VpcProps{
		MaxAzs:      jsii.Number(2),
		NatGateways: jsii.Number(0),
		// Public: the subnets route to the internet gateway, so the load
		// balancer in them is reachable. Nothing else is ever launched
		// there, and the load balancer gets its addresses whatever this
		// says, so no instance is handed a public address by accident.
		SubnetConfiguration: &[]*awsec2.SubnetConfiguration{{
			Name:                jsii.String("Public"),
			SubnetType:          awsec2.SubnetType_PUBLIC,
			CidrMask:            jsii.Number(24),
			MapPublicIpOnLaunch: jsii.Bool(false),
		}},
	})
	pl.vpc = vpc
}

func (pl *Pipeline) buckets() {
	p := pl.props
	pl.logBucket = p.LogBucket
	if pl.logBucket == nil {
		pl.logBucket = pl.privateBucket("LogBucket", &awss3.LifecycleRule{
			Id:         jsii.String("ExpireRawLogs"),
			Prefix:     jsii.String(contract.NotificationFilter(p.LogPrefix).Prefix),
			Expiration: awscdk.Duration_Days(jsii.Number(float64(p.RawLogExpirationDays))),
		})
	}
	pl.summaryBucket = p.SummaryBucket
	if pl.summaryBucket == nil {
		pl.summaryBucket = pl.logBucket
	}
}

// NoncurrentVersionDays is how long a created bucket keeps an object's
// version after it was overwritten or deleted (or expired by rule): a week
// to notice a mistake and undo it. Logs and summaries are written once,
// so only rollups, which sweeps rewrite, and the report leave old versions
// behind in the normal course.
const NoncurrentVersionDays = 7

// privateBucket is a bucket only this account reaches, over TLS, whose
// objects expire by rule and whose unfinished uploads are dropped after a
// day. It is versioned, and the versions an overwrite, a deletion or the
// rule's expiry leaves behind are deleted NoncurrentVersionDays later
// (then the delete markers left alone, too). Load balancers can deliver
// logs only to SSE-S3 buckets.
func (pl *Pipeline) privateBucket(id string, rule *awss3.LifecycleRule) awss3.Bucket {
	rule.AbortIncompleteMultipartUploadAfter = awscdk.Duration_Days(jsii.Number(1))
	return awss3.NewBucket(pl.Construct, jsii.String(id), &awss3.BucketProps{
		Encryption:        awss3.BucketEncryption_S3_MANAGED,
		BlockPublicAccess: awss3.BlockPublicAccess_BLOCK_ALL(),
		EnforceSSL:        jsii.Bool(true),
		ObjectOwnership:   awss3.ObjectOwnership_BUCKET_OWNER_ENFORCED,
		RemovalPolicy:     pl.props.RemovalPolicy,
		Versioned:         jsii.Bool(true),
		LifecycleRules: &[]*awss3.LifecycleRule{rule, {
			Id:                          jsii.String("ExpireOldVersions"),
			NoncurrentVersionExpiration: awscdk.Duration_Days(jsii.Number(NoncurrentVersionDays)),
			ExpiredObjectDeleteMarker:   jsii.Bool(true),
		}},
	})
}

func (pl *Pipeline) collector() {
	p := pl.props
	sg := awsec2.NewSecurityGroup(pl.Construct, jsii.String("LoadBalancerSecurityGroup"), &awsec2.SecurityGroupProps{
		Vpc:              pl.vpc,
		Description:      jsii.String("pmdp collector: HTTP(S) from anywhere, nothing out (no targets)"),
		AllowAllOutbound: jsii.Bool(false),
	})
	pl.securityGroup = sg

	lb := elbv2.NewApplicationLoadBalancer(pl.Construct, jsii.String("LoadBalancer"), &elbv2.ApplicationLoadBalancerProps{
		Vpc:                     pl.vpc,
		InternetFacing:          jsii.Bool(true),
		VpcSubnets:              &awsec2.SubnetSelection{SubnetType: awsec2.SubnetType_PUBLIC},
		SecurityGroup:           sg,
		DropInvalidHeaderFields: jsii.Bool(!p.AllowInvalidHeaderFields),
		DesyncMitigationMode:    desyncMode(p.DesyncMitigationMode),
		DeletionProtection:      jsii.Bool(p.DeletionProtection),
		IdleTimeout:             awscdk.Duration_Seconds(jsii.Number(p.IdleTimeout.Seconds())),
	})
	lb.LogAccessLogs(pl.logBucket, jsii.String(p.LogPrefix))
	pl.loadBalancer = lb

	respond := elbv2.ListenerAction_FixedResponse(jsii.Number(float64(p.FixedResponseStatus)), &elbv2.FixedResponseOptions{
		ContentType: jsii.String(p.FixedResponseContentType),
		MessageBody: optionalString(p.FixedResponseBody),
	})
	httpAction := respond
	if p.redirectsHTTP() {
		// Everything but the scheme and port stays as the client sent
		// it: the host is the one the certificate covers.
		httpAction = elbv2.ListenerAction_Redirect(&elbv2.RedirectOptions{
			Protocol: jsii.String("HTTPS"), Port: jsii.String("443"),
			Host: jsii.String("#{host}"), Path: jsii.String("/#{path}"), Query: jsii.String("#{query}"),
			Permanent: jsii.Bool(true),
		})
	}
	pl.httpListener = lb.AddListener(jsii.String("HttpListener"), &elbv2.BaseApplicationListenerProps{
		Port:          jsii.Number(80),
		Protocol:      elbv2.ApplicationProtocol_HTTP,
		Open:          jsii.Bool(true),
		DefaultAction: httpAction,
	})
	pl.collectorURL = awscdk.Fn_Join(jsii.String(""), &[]*string{
		jsii.String("http://"), lb.LoadBalancerDnsName(), jsii.String("/e"),
	})
	if p.servesHTTPS() {
		pl.httpsListener = lb.AddListener(jsii.String("HttpsListener"), &elbv2.BaseApplicationListenerProps{
			Port:          jsii.Number(443),
			Protocol:      elbv2.ApplicationProtocol_HTTPS,
			Open:          jsii.Bool(true),
			Certificates:  &[]elbv2.IListenerCertificate{elbv2.ListenerCertificate_FromCertificateManager(pl.cert)},
			SslPolicy:     p.SslPolicy,
			DefaultAction: respond,
		})
		// The certificate covers DomainName, not the load balancer's
		// own name: clients must use the domain.
		pl.collectorURL = jsii.String("https://" + p.DomainName + "/e")
	}
	if !p.DisableTracker {
		if !p.redirectsHTTP() {
			pl.serveTracker(pl.httpListener)
		}
		if pl.httpsListener != nil {
			pl.serveTracker(pl.httpsListener)
		}
	}
}

// TrackerRulePriority is the priority of the rule that serves t.js; the
// listener's default action answers everything else.
const TrackerRulePriority = 10

// serveTracker adds to listener the rule that answers tracker.Path with
// t.js, from the tracker package as it is (a fixed response holds it
// whole), ahead of the listener's default fixed response.
func (pl *Pipeline) serveTracker(listener elbv2.ApplicationListener) {
	r := tracker.Response()
	elbv2.NewApplicationListenerRule(listener, jsii.String("TrackerRule"), &elbv2.ApplicationListenerRuleProps{
		Listener:   listener,
		Priority:   jsii.Number(TrackerRulePriority),
		Conditions: &[]elbv2.ListenerCondition{elbv2.ListenerCondition_PathPatterns(jsii.Strings(tracker.Path))},
		Action: elbv2.ListenerAction_FixedResponse(jsii.Number(float64(r.Status)), &elbv2.FixedResponseOptions{
			ContentType: jsii.String(r.ContentType),
			MessageBody: jsii.String(r.Body),
		}),
	})
}

func desyncMode(mode string) elbv2.DesyncMitigationMode {
	switch mode {
	case "monitor":
		return elbv2.DesyncMitigationMode_MONITOR
	case "strictest":
		return elbv2.DesyncMitigationMode_STRICTEST
	}
	return elbv2.DesyncMitigationMode_DEFENSIVE
}

func optionalString(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func (pl *Pipeline) processing() {
	p := pl.props
	logGroup := awslogs.NewLogGroup(pl.Construct, jsii.String("FunctionLogGroup"), &awslogs.LogGroupProps{
		Retention:     p.FunctionLogRetention,
		RemovalPolicy: awscdk.RemovalPolicy_DESTROY,
	})
	pl.logGroup = logGroup
	role := awsiam.NewRole(pl.Construct, jsii.String("FunctionRole"), &awsiam.RoleProps{
		AssumedBy:   awsiam.NewServicePrincipal(jsii.String("lambda.amazonaws.com"), nil),
		Description: jsii.String("pmdp function: read access logs, read and write summaries and rollups, write its own logs"),
	})
	filter := contract.NotificationFilter(p.LogPrefix)
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("WriteOwnLogs"),
		Actions:   jsii.Strings("logs:CreateLogStream", "logs:PutLogEvents"),
		Resources: jsii.Strings(*logGroup.LogGroupArn()),
	}))
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("ReadAccessLogs"),
		Actions:   jsii.Strings("s3:GetObject"),
		Resources: jsii.Strings(*pl.logBucket.ArnForObjects(jsii.String(filter.Prefix + "*"))),
	}))
	// For a key that does not exist, S3 answers GetObject with 404 only
	// to a caller allowed s3:ListBucket on the bucket, and with 403 to
	// anyone else: without it the function cannot tell a deleted log
	// ("gone", nothing to count) from a denied one. The grant cannot be
	// narrowed to the log prefix: S3 checks it within the GetObject
	// request, which carries no s3:prefix, so a statement conditioned on
	// s3:prefix never applies there. Listing shows key names, not
	// contents.
	role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
		Sid:       jsii.String("SeeMissingAccessLogs"),
		Actions:   jsii.Strings("s3:ListBucket"),
		Resources: jsii.Strings(*pl.logBucket.BucketArn()),
	}))
	if p.SummaryBucket != nil {
		// The same, for the summary bucket: the function reads the
		// current rollup of a date, which may not exist yet, and lists
		// the summaries of the date to roll them up. (By default the
		// log bucket holds the summaries, and the grant above covers
		// both.)
		role.AddToPolicy(awsiam.NewPolicyStatement(&awsiam.PolicyStatementProps{
			Sid:       jsii.String("ListSummariesAndRollups"),
			Actions:   jsii.Strings("s3:ListBucket"),
			Resources: jsii.Strings(*pl.summaryBucket.BucketArn()),
		}))
	}
	// Through the bucket's grants, so that a summary bucket encrypted
	// with a KMS key also lets the function use the key: PutObject needs
	// only GenerateDataKey, GetObject Decrypt. (The log bucket cannot use
	// KMS: load balancers deliver only to SSE-S3 buckets.) The function
	// writes summaries, reads them back to roll them up, and reads and
	// writes rollups; a conditional write (If-Match) needs the read too.
	grants := awss3.BucketGrants_FromBucket(pl.summaryBucket)
	for _, prefix := range []string{p.SummaryPrefix, p.RollupPrefix} {
		grants.ActionsOnObjectKeys(role, jsii.String(prefix+"*"), jsii.String("s3:GetObject"), jsii.String("kms:Decrypt"))
		grants.ActionsOnObjectKeys(role, jsii.String(prefix+"*"), jsii.String("s3:PutObject"), jsii.String("kms:GenerateDataKey"))
	}
	if p.PublishReport {
		// The report is written whole and never read back.
		grants.ActionsOnObjectKeys(role, jsii.String(contract.ReportKey), jsii.String("s3:PutObject"), jsii.String("kms:GenerateDataKey"))
	}

	code := p.Code
	if code == nil {
		dir := mustBuildFunction()
		defer removeBuild(pl.Construct, dir)
		code = awslambda.Code_FromAsset(jsii.String(dir), nil)
	}
	var reserved *float64
	if p.ReservedConcurrency > 0 {
		reserved = jsii.Number(float64(p.ReservedConcurrency))
	}
	fn := awslambda.NewFunction(pl.Construct, jsii.String("Function"), &awslambda.FunctionProps{
		Description:                  jsii.String("pmdp: summarizes each delivered access-log file, and rolls the summaries up by date"),
		Runtime:                      awslambda.Runtime_PROVIDED_AL2023(),
		Architecture:                 awslambda.Architecture_ARM_64(),
		Handler:                      jsii.String("bootstrap"),
		Code:                         code,
		MemorySize:                   jsii.Number(float64(p.FunctionMemoryMB)),
		Timeout:                      awscdk.Duration_Seconds(jsii.Number(p.FunctionTimeout.Seconds())),
		ReservedConcurrentExecutions: reserved,
		Role:                         role,
		LogGroup:                     logGroup,
		RecursiveLoop:                awslambda.RecursiveLoop_TERMINATE,
		Environment:                  functionEnv(p, pl.summaryBucket.BucketName()),
	})
	pl.function = fn
	pl.role = role
	pl.logKeyPrefix = filter.Prefix

	pl.logBucket.AddEventNotification(awss3.EventType_OBJECT_CREATED,
		awss3notifications.NewLambdaDestination(fn),
		&awss3.NotificationKeyFilter{Prefix: jsii.String(filter.Prefix), Suffix: jsii.String(filter.Suffix)})
}

func (pl *Pipeline) failures() {
	p := pl.props
	queue := awssqs.NewQueue(pl.Construct, jsii.String("FailureQueue"), &awssqs.QueueProps{
		Encryption:      awssqs.QueueEncryption_SQS_MANAGED,
		EnforceSSL:      jsii.Bool(true),
		RetentionPeriod: awscdk.Duration_Days(jsii.Number(14)),
	})
	pl.failureQueue = queue
	pl.function.ConfigureAsyncInvoke(&awslambda.EventInvokeConfigOptions{
		RetryAttempts: jsii.Number(2),
		MaxEventAge:   awscdk.Duration_Seconds(jsii.Number(p.MaxEventAge.Seconds())),
		OnFailure:     awslambdadestinations.NewSqsDestination(queue),
	})
}

// Vpc is the VPC the load balancer is in.
func (pl *Pipeline) Vpc() awsec2.IVpc { return pl.vpc }

// LoadBalancer is the collector.
func (pl *Pipeline) LoadBalancer() elbv2.ApplicationLoadBalancer { return pl.loadBalancer }

// HTTPListener is the port-80 listener.
func (pl *Pipeline) HTTPListener() elbv2.ApplicationListener { return pl.httpListener }

// HTTPSListener is the port-443 listener, or nil without a certificate.
func (pl *Pipeline) HTTPSListener() elbv2.ApplicationListener { return pl.httpsListener }

// Certificate is the HTTPS listener's certificate, or nil without one.
func (pl *Pipeline) Certificate() awscertificatemanager.ICertificate { return pl.cert }

// LogBucket receives the access logs.
func (pl *Pipeline) LogBucket() awss3.IBucket { return pl.logBucket }

// SummaryBucket receives the summaries.
func (pl *Pipeline) SummaryBucket() awss3.IBucket { return pl.summaryBucket }

// Function summarizes the logs.
func (pl *Pipeline) Function() awslambda.Function { return pl.function }

// FailureQueue holds the events the function failed on after its retries.
func (pl *Pipeline) FailureQueue() awssqs.Queue { return pl.failureQueue }

// AlarmTopic receives the alarms: Props.AlarmTopic, or the topic the
// construct created (subscribed to AlarmEmail, if given).
func (pl *Pipeline) AlarmTopic() awssns.ITopic { return pl.alarmTopic }

// CollectorURL is where clients send events: https://<DomainName>/e, or
// http://<load balancer's DNS name>/e without a domain name.
func (pl *Pipeline) CollectorURL() *string { return pl.collectorURL }

// SummaryPrefix is the resolved summary prefix.
func (pl *Pipeline) SummaryPrefix() string { return pl.props.SummaryPrefix }

// RollupPrefix is the resolved rollup prefix, in the summary bucket.
func (pl *Pipeline) RollupPrefix() string { return pl.props.RollupPrefix }

// RollupSchedule invokes the function with SweepEvent every RollupInterval.
func (pl *Pipeline) RollupSchedule() awsscheduler.CfnSchedule { return pl.schedule }

// AthenaDatabase is the Glue database that holds the rollups table; nil
// with DisableAthena.
func (pl *Pipeline) AthenaDatabase() awsglue.CfnDatabase { return pl.athenaDatabase }

// RollupTable is the Glue table over the rollups, RollupTableName; nil
// with DisableAthena.
func (pl *Pipeline) RollupTable() awsglue.CfnTable { return pl.rollupTable }

// AthenaWorkGroup is the workgroup to query the table in; nil with
// DisableAthena.
func (pl *Pipeline) AthenaWorkGroup() awsathena.CfnWorkGroup { return pl.athenaWorkGroup }

// AthenaResultsBucket receives the workgroup's query results; nil with
// DisableAthena.
func (pl *Pipeline) AthenaResultsBucket() awss3.Bucket { return pl.athenaResults }

// LogPrefix is the resolved access-log prefix.
func (pl *Pipeline) LogPrefix() string { return pl.props.LogPrefix }

// functionEnv is the function's environment: its settings as p and the
// summary bucket's name (a token until deployment) give them.
func functionEnv(p Props, summaryBucket *string) *map[string]*string {
	s := p.settings()
	s.SummaryBucket = *summaryBucket
	env := map[string]*string{}
	for k, v := range s.Env() {
		env[k] = jsii.String(v)
	}
	return &env
}
