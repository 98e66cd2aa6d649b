// Package local runs the whole pipeline on one machine: versitygw as S3,
// the function's binary under AWS's Lambda runtime interface emulator, the
// notification bridge between them, and a collector that answers and logs
// requests like the stack's load balancer. Everything listens on 127.0.0.1
// only, on free ports.
package local

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/s3/types"

	"github.com/pmdp/pmdp/internal/bridge"
	"github.com/pmdp/pmdp/internal/collector"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/objstore"
)

// Fixed local settings: credentials only versitygw and the function share.
const (
	AccessKey = "pmdp-local"
	SecretKey = "pmdp-local-secret"
	Region    = "us-east-1"
	Bucket    = "pmdp-logs"
	LogPrefix = "logs"
)

// Config says which binaries to run and how.
type Config struct {
	VersityGW string // path of versitygw
	RIE       string // path of aws-lambda-rie
	Bootstrap string // the function's binary, built for this machine
	// DataDir holds the bucket's files (versitygw's posix back end) and
	// the failure record. Required.
	DataDir  string
	Interval time.Duration // collector's delivery interval; default 10 s
	// RollupInterval is how often the rollup sweep runs, as the stack's
	// schedule runs it every hour; default Interval.
	RollupInterval time.Duration
	Response       contract.FixedResponse // the listener's answer
	GroupBy        string                 // function's PMDP_GROUP_BY; default date,path
	Format         string                 // function's PMDP_FORMAT; default csv
	// The function's PMDP_INCLUDE and PMDP_EXCLUDE; default none.
	Include, Exclude string
	MaxGroups        string // function's PMDP_MAX_GROUPS; default 100000
	Distinct         string // function's PMDP_DISTINCT; default none
	RollupDays       string // function's PMDP_ROLLUP_DAYS; default 3
	// Versioned turns on versioning for the bucket, as the stack does for
	// the buckets it creates: a write over an object keeps the old version
	// (under DataDir/versions, kept for good: nothing expires them here),
	// and a delete leaves a delete marker. versitygw judges conditional
	// writes over a delete marker by the version it hides, so a rollup
	// deleted through S3 is not built again until the marker is deleted
	// (README, "A rollup deleted in a versioned bucket").
	Versioned bool
	// Backoff before the bridge's first retry; default 1 s.
	Backoff time.Duration
	// Timeout is the function's timeout (the emulator's
	// AWS_LAMBDA_FUNCTION_TIMEOUT, whole seconds); default the
	// emulator's, 300 s.
	Timeout time.Duration
	// FunctionS3 returns the S3 endpoint the function is to use, given
	// versitygw's (which is not listening yet), so that something can
	// stand between them, such as a proxy that injects faults. Nil: the
	// function uses versitygw's.
	FunctionS3 func(s3Endpoint string) (string, error)
	// Invoker returns what the bridge invokes the function through, given
	// the emulator; nil invokes the emulator itself.
	Invoker func(emulator bridge.Invoker) bridge.Invoker
	Log     *slog.Logger // default: discard
	// ProcessOutput receives the child processes' output; default: discard.
	ProcessOutput io.Writer
}

// Pipeline is a running local pipeline.
type Pipeline struct {
	CollectorURL string     // send requests here
	EmulatorURL  string     // the emulator's invoke API, one invocation at a time
	EmulatorPID  int        // the emulator's process; the function's runs under it
	S3Endpoint   string     // versitygw
	S3           *s3.Client // a client for it, with the local credentials
	Bucket       string
	FailureFile  string // the local failure queue, one JSON line per event
	BucketDir    string // where the bucket's objects (current versions) are files
	Bridge       *bridge.Bridge
	Collector    *collector.Collector

	cancel                        context.CancelFunc // stops the bridge, the collector and the sweeps
	stopCollector                 context.CancelFunc
	collectorStopped              chan struct{}
	procs                         []*exec.Cmd
	bridgeServer, collectorServer *http.Server
	wg                            sync.WaitGroup
	failures                      *os.File
	closed                        sync.Once
}

// Start brings the pipeline up in the order the pieces depend on each
// other (emulator, bridge, versitygw, collector) and returns once all
// answer. On error it stops whatever it had started.
func Start(ctx context.Context, cfg Config) (_ *Pipeline, err error) {
	if cfg.VersityGW == "" || cfg.RIE == "" || cfg.Bootstrap == "" || cfg.DataDir == "" {
		return nil, errors.New("local: VersityGW, RIE, Bootstrap and DataDir are required")
	}
	if err := cfg.Response.Validate("response "); err != nil {
		return nil, err
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	if cfg.ProcessOutput == nil {
		cfg.ProcessOutput = io.Discard
	}
	s3Dir := filepath.Join(cfg.DataDir, "s3")
	if err := os.MkdirAll(s3Dir, 0o755); err != nil {
		return nil, err
	}
	runCtx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	p := &Pipeline{cancel: cancel, Bucket: Bucket, BucketDir: filepath.Join(s3Dir, Bucket)}
	defer func() {
		if err != nil {
			p.Close()
		}
	}()

	s3Port, err := FreePort()
	if err != nil {
		return nil, err
	}
	p.S3Endpoint = "http://127.0.0.1:" + s3Port

	// 1. The emulator, running the function against the local S3.
	apiPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	rtPort, err := FreePort()
	if err != nil {
		return nil, err
	}
	functionS3 := p.S3Endpoint
	if cfg.FunctionS3 != nil {
		if functionS3, err = cfg.FunctionS3(p.S3Endpoint); err != nil {
			return nil, fmt.Errorf("the function's S3 endpoint: %w", err)
		}
	}
	env := append(os.Environ(),
		"AWS_REGION="+Region, "AWS_ACCESS_KEY_ID="+AccessKey, "AWS_SECRET_ACCESS_KEY="+SecretKey,
		"AWS_ENDPOINT_URL_S3="+functionS3,
	)
	if cfg.Timeout > 0 {
		env = append(env, "AWS_LAMBDA_FUNCTION_TIMEOUT="+strconv.Itoa(int(max(cfg.Timeout.Seconds(), 1))))
	}
	// The summary bucket is named, as the stack names it: the sweep has
	// no log's bucket to fall back on.
	settings := contract.Settings{SummaryBucket: Bucket, GroupBy: cfg.GroupBy, Format: cfg.Format, Include: cfg.Include, Exclude: cfg.Exclude,
		MaxGroups: cfg.MaxGroups, Distinct: cfg.Distinct, RollupDays: cfg.RollupDays}.Env()
	for _, name := range slices.Sorted(maps.Keys(settings)) {
		env = append(env, name+"="+settings[name])
	}
	if err := p.spawn(cfg, env, cfg.RIE,
		"--runtime-interface-emulator-address", "127.0.0.1:"+apiPort,
		"--runtime-api-address", "127.0.0.1:"+rtPort, cfg.Bootstrap); err != nil {
		return nil, err
	}
	if err := WaitListening(ctx, "127.0.0.1:"+apiPort); err != nil {
		return nil, fmt.Errorf("the Lambda emulator did not start: %w", err)
	}
	p.EmulatorPID = p.procs[len(p.procs)-1].Process.Pid

	// 2. The bridge, which versitygw checks for when it starts.
	p.FailureFile = filepath.Join(cfg.DataDir, "failures.jsonl")
	if p.failures, err = os.OpenFile(p.FailureFile, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644); err != nil {
		return nil, err
	}
	p.EmulatorURL = "http://127.0.0.1:" + apiPort + "/2015-03-31/functions/function/invocations"
	var invoker bridge.Invoker = bridge.Emulator{URL: p.EmulatorURL}
	if cfg.Invoker != nil {
		invoker = cfg.Invoker(invoker)
	}
	p.Bridge = bridge.New(bridge.Config{
		Filter:   contract.NotificationFilter(LogPrefix),
		Region:   Region,
		Invoker:  invoker,
		Backoff:  cfg.Backoff,
		Failures: p.failures,
		Log:      cfg.Log.With("part", "bridge"),
	})
	var bridgeURL string
	if p.bridgeServer, bridgeURL, err = p.serve(p.Bridge); err != nil {
		return nil, err
	}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.Bridge.Run(runCtx) }()

	// 3. The S3 stand-in, posting its bucket events to the bridge.
	gw := []string{"--port", "127.0.0.1:" + s3Port, "--access", AccessKey, "--secret", SecretKey,
		"--event-webhook-url", bridgeURL, "posix"}
	if cfg.Versioned {
		// Outside s3Dir, whose directories are buckets; versitygw wants it
		// absolute to tell that it is.
		versions, err := filepath.Abs(filepath.Join(cfg.DataDir, "versions"))
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(versions, 0o755); err != nil {
			return nil, err
		}
		gw = append(gw, "--versioning-dir", versions)
	}
	if err := p.spawn(cfg, os.Environ(), cfg.VersityGW, append(gw, s3Dir)...); err != nil {
		return nil, err
	}
	if err := WaitListening(ctx, "127.0.0.1:"+s3Port); err != nil {
		return nil, fmt.Errorf("versitygw did not start: %w", err)
	}
	p.S3 = Client(p.S3Endpoint)
	if _, err := p.S3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(Bucket)}); err != nil && !alreadyOwned(err) {
		return nil, fmt.Errorf("creating bucket %s: %w", Bucket, err)
	}
	if cfg.Versioned {
		if err := EnableVersioning(ctx, p.S3, Bucket); err != nil {
			return nil, err
		}
	}

	// 4. The collector, delivering its logs into the bucket.
	p.Collector = collector.New(collector.Config{
		Response:  cfg.Response,
		Store:     notifiedStore{objstore.S3{Client: p.S3}, p.Bridge, cfg.Log.With("part", "collector")},
		Bucket:    Bucket,
		LogPrefix: LogPrefix,
		Region:    Region,
		Interval:  cfg.Interval,
		Log:       cfg.Log.With("part", "collector"),
	})
	if p.collectorServer, p.CollectorURL, err = p.serve(p.Collector); err != nil {
		return nil, err
	}
	collectorCtx, stopCollector := context.WithCancel(runCtx)
	p.stopCollector, p.collectorStopped = stopCollector, make(chan struct{})
	go func() { defer close(p.collectorStopped); p.Collector.Run(collectorCtx) }()

	// 5. The schedule: a rollup sweep every RollupInterval.
	every := cfg.RollupInterval
	if every <= 0 {
		every = cfg.Interval
	}
	if every <= 0 {
		every = 10 * time.Second
	}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); p.schedule(runCtx, every, cfg.Log.With("part", "schedule")) }()
	return p, nil
}

// schedule queues a sweep every interval until ctx is done.
func (p *Pipeline) schedule(ctx context.Context, every time.Duration, log *slog.Logger) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			if err := p.Bridge.Schedule([]byte(contract.ScheduledSweep)); err != nil {
				log.Warn("rollup sweep not queued", "error", err)
			}
		}
	}
}

// Sweep runs a rollup sweep now, through the bridge as the schedule does,
// and returns once the bridge has nothing left to deliver.
func (p *Pipeline) Sweep(ctx context.Context) error {
	if err := p.Bridge.Schedule([]byte(contract.ScheduledSweep)); err != nil {
		return err
	}
	return p.Bridge.WaitIdle(ctx)
}

// notifiedStore is the collector's store: a Put returns once the bridge has
// queued the new file's event, so that no event is on its way when the
// collector's last delivery has returned. The gateway gives up on a post
// after 3 s; a Put waits at most 10 s for it.
type notifiedStore struct {
	objstore.Store
	bridge expecter
	log    *slog.Logger
}

// expecter is what notifiedStore needs of a *bridge.Bridge.
type expecter interface {
	Expect(key string) (posted <-chan struct{}, forget func())
}

func (s notifiedStore) Put(ctx context.Context, bucket, key string, body []byte, opts objstore.PutOptions) error {
	posted, forget := s.bridge.Expect(key)
	defer forget()
	if err := s.Store.Put(ctx, bucket, key, body, opts); err != nil {
		return err
	}
	select {
	case <-posted:
	case <-ctx.Done():
		s.log.Warn("stopped waiting for a log file's event", "key", key, "error", ctx.Err())
	case <-time.After(10 * time.Second):
		s.log.Warn("the gateway posted no event for a log file in 10 s", "key", key)
	}
	return nil
}

func alreadyOwned(err error) bool {
	return strings.Contains(err.Error(), "BucketAlreadyOwnedByYou") || strings.Contains(err.Error(), "BucketAlreadyExists")
}

// spawn starts a child in its own process group, so that Close can stop
// it and whatever it started, and nothing else.
func (p *Pipeline) spawn(cfg Config, env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = env
	cmd.Stdout, cmd.Stderr = cfg.ProcessOutput, cfg.ProcessOutput
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting %s: %w", name, err)
	}
	p.procs = append(p.procs, cmd)
	return nil
}

// serve runs h on a free loopback port and returns its server and URL.
func (p *Pipeline) serve(h http.Handler) (*http.Server, string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, "", err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second}
	p.wg.Add(1)
	go func() { defer p.wg.Done(); _ = srv.Serve(l) }()
	return srv, "http://" + l.Addr().String(), nil
}

// Close stops the collector (its server, then its Run, which delivers the
// last file), waits for the bridge to finish what is queued and for one
// last rollup sweep (at most 30 s in all), then stops the bridge and the
// child processes it started. It is safe to call more than once.
func (p *Pipeline) Close() error {
	p.closed.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		if p.collectorServer != nil {
			_ = p.collectorServer.Shutdown(ctx) // no new requests
		}
		if p.stopCollector != nil {
			// Each delivery returns once the bridge has queued the file's
			// event (notifiedStore): WaitIdle sees every file.
			p.stopCollector()
			<-p.collectorStopped
			_ = p.Bridge.WaitIdle(ctx)
			_ = p.Sweep(ctx) // so that the rollups hold the last file too
		}
		p.cancel()
		if p.bridgeServer != nil {
			_ = p.bridgeServer.Shutdown(ctx)
		}
		for _, cmd := range p.procs {
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		}
		for _, cmd := range p.procs {
			done := make(chan struct{})
			go func() { _ = cmd.Wait(); close(done) }()
			select {
			case <-done:
			case <-time.After(5 * time.Second):
				_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
				<-done
			}
		}
		p.wg.Wait()
		if p.failures != nil {
			p.failures.Close()
		}
	})
	return nil
}

// Put writes an object into the bucket, as a load balancer delivering a
// log file would.
func (p *Pipeline) Put(ctx context.Context, key string, body []byte) error {
	_, err := p.S3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(p.Bucket), Key: &key, Body: bytes.NewReader(body)})
	return err
}

// Client is an S3 client for the versitygw at endpoint (http://host:port),
// with the local credentials.
func Client(endpoint string) *s3.Client {
	return s3.New(s3.Options{
		BaseEndpoint: aws.String(endpoint), UsePathStyle: true, Region: Region,
		Credentials: credentials.NewStaticCredentialsProvider(AccessKey, SecretKey, ""),
	})
}

// EnableVersioning turns versioning on for bucket, as the stack does for
// the buckets it creates.
func EnableVersioning(ctx context.Context, client *s3.Client, bucket string) error {
	_, err := client.PutBucketVersioning(ctx, &s3.PutBucketVersioningInput{
		Bucket:                  aws.String(bucket),
		VersioningConfiguration: &types.VersioningConfiguration{Status: types.BucketVersioningStatusEnabled},
	})
	if err != nil {
		return fmt.Errorf("enabling versioning on bucket %s: %w", bucket, err)
	}
	return nil
}

// FreePort returns a loopback port no one listens on, for a server
// started next.
func FreePort() (string, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", err
	}
	defer l.Close()
	_, port, err := net.SplitHostPort(l.Addr().String())
	return port, err
}

// WaitListening returns once something accepts connections on addr, or
// fails after 30 s.
func WaitListening(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("nothing listens on %s: %w", addr, ctx.Err())
		case <-time.After(20 * time.Millisecond):
		}
	}
}
