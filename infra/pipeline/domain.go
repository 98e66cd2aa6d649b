package pipeline

import (
	"strings"

	"github.com/aws/aws-cdk-go/awscdk/v2/awscertificatemanager"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53"
	"github.com/aws/aws-cdk-go/awscdk/v2/awsroute53targets"
	"github.com/aws/jsii-runtime-go"
)

// certificate finds the hosted zone and the certificate for DomainName,
// before the HTTPS listener needs them: CertificateArn if given, otherwise
// a new certificate that ACM validates through a record in the zone (the
// deployment waits until it has).
func (pl *Pipeline) certificate() {
	p := pl.props
	switch {
	case p.HostedZone != nil:
		pl.hostedZone = p.HostedZone
	case p.HostedZoneId != "":
		pl.hostedZone = awsroute53.HostedZone_FromHostedZoneAttributes(pl.Construct, jsii.String("HostedZone"), &awsroute53.HostedZoneAttributes{
			HostedZoneId: jsii.String(p.HostedZoneId),
			ZoneName:     jsii.String(strings.TrimSuffix(p.HostedZoneName, ".")),
		})
	}
	switch {
	case p.CertificateArn != "":
		pl.cert = awscertificatemanager.Certificate_FromCertificateArn(pl.Construct, jsii.String("ExistingCertificate"), jsii.String(p.CertificateArn))
	case p.DomainName != "":
		pl.cert = awscertificatemanager.NewCertificate(pl.Construct, jsii.String("Certificate"), &awscertificatemanager.CertificateProps{
			DomainName: jsii.String(p.DomainName),
			Validation: awscertificatemanager.CertificateValidation_FromDns(pl.hostedZone),
		})
	}
}

// dnsRecord points DomainName at the load balancer when the zone is
// known. The load balancer has IPv4 addresses only, so an A record is all
// it takes.
func (pl *Pipeline) dnsRecord() {
	if pl.hostedZone == nil {
		return
	}
	awsroute53.NewARecord(pl.Construct, jsii.String("AliasRecord"), &awsroute53.ARecordProps{
		Zone:       pl.hostedZone,
		RecordName: jsii.String(pl.props.DomainName),
		Target:     awsroute53.RecordTarget_FromAlias(awsroute53targets.NewLoadBalancerTarget(pl.loadBalancer, nil)),
		Comment:    jsii.String("pmdp collector"),
	})
}
