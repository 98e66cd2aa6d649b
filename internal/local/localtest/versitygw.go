package localtest

import (
	"context"
	"net"
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/pmdp/pmdp/internal/local"
)

// VersityGW starts versitygw alone (no bucket events), creates buckets
// and returns a client for it; the server stops when the test ends. For
// tests of S3 behaviour that gofakes3 lacks, such as racing conditional
// writes on a server that handles requests in parallel. Without
// PMDP_VERSITYGW the test is skipped (fails when CI is set).
func VersityGW(t testing.TB, buckets ...string) *s3.Client {
	t.Helper()
	bin := Tool(t, "PMDP_VERSITYGW")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	output := new(Output)
	cmd := exec.Command(bin, "--port", addr, "--access", local.AccessKey, "--secret", local.SecretKey, "posix", t.TempDir())
	cmd.Stdout, cmd.Stderr = output, output
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("versitygw's output:\n%s", output)
		}
	})
	for deadline := time.Now().Add(30 * time.Second); ; {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("versitygw did not listen on %s: %v", addr, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
	client := s3.New(s3.Options{
		BaseEndpoint: aws.String("http://" + addr), UsePathStyle: true, Region: local.Region,
		Credentials: credentials.NewStaticCredentialsProvider(local.AccessKey, local.SecretKey, ""),
	})
	for _, b := range buckets {
		if _, err := client.CreateBucket(context.Background(), &s3.CreateBucketInput{Bucket: aws.String(b)}); err != nil {
			t.Fatalf("creating bucket %s: %v", b, err)
		}
	}
	return client
}
