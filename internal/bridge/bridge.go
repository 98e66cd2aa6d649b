// Package bridge connects a local S3 stand-in's bucket events to the Lambda
// runtime interface emulator the way S3 and Lambda connect them in AWS: it
// takes versitygw's webhook posts, rebuilds AWS-shaped S3 events, applies
// the stack's notification filter, invokes the function one event at a
// time, retries failures like Lambda's asynchronous invocation, and records
// the events that still fail (the local failure queue).
package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/s3event"
)

// gatewayEvent is what versitygw posts: S3's record shape, but event names
// keep their "s3:" prefix, keys are not URL-encoded, and an empty Glacier
// block that aws-lambda-go's types cannot decode comes along.
type gatewayEvent struct {
	Event   string `json:"Event"` // "s3:TestEvent" on start-up
	Records []struct {
		EventName string `json:"eventName"`
		EventTime string `json:"eventTime"`
		S3        struct {
			Bucket struct {
				Name string `json:"name"`
			} `json:"bucket"`
			Object struct {
				Key  string  `json:"key"`
				Size int64   `json:"size"`
				ETag *string `json:"eTag"`
			} `json:"object"`
		} `json:"s3"`
	} `json:"Records"`
}

// Invoker runs the function once with an event and reports the function's
// error, if any.
type Invoker interface {
	Invoke(ctx context.Context, payload []byte) error
}

// Config configures a Bridge.
type Config struct {
	Filter  contract.Filter // the stack's notification filter
	Region  string          // written into events; default us-east-1
	Invoker Invoker
	// Retries after a failed invocation; Lambda's asynchronous invocation
	// makes two. Default 2.
	Retries int
	// Backoff before the first retry, doubling after; Lambda waits
	// minutes, locally a second is enough. Default 1 s.
	Backoff time.Duration
	// Failures receives one JSON line per event that still failed.
	Failures io.Writer
	Log      *slog.Logger
}

// Failure is one line of the failure record.
type Failure struct {
	Time  time.Time       `json:"time"`
	Event json.RawMessage `json:"event"`
	Error string          `json:"error"`
	// Attempts is 0 for an event that was never tried: refused because
	// the queue was full, or still queued when Run stopped.
	Attempts int `json:"attempts"`
}

// Errors from Enqueue.
var (
	ErrQueueFull = errors.New("bridge: queue full")
	ErrStopped   = errors.New("bridge: stopped")
)

// Bridge is an http.Handler for the webhook; Run works through the queue.
type Bridge struct {
	cfg   Config
	queue chan queued

	mu                             sync.Mutex
	received, filtered, pending    int
	delivered, failed, invocations int
	scheduled                      int
	stopped                        bool
	idle                           *sync.Cond
	expected                       map[string]chan struct{} // by key; see Expect
}

// Stats counts what the bridge has seen.
type Stats struct {
	Received    int // object records posted by the gateway
	Filtered    int // records outside the notification filter
	Delivered   int // notifications (Enqueue) the function took without error
	Scheduled   int // scheduled invocations (Schedule) it took without error
	Failed      int // events of either kind recorded in the failure record
	Invocations int // invocations, retries included
	Pending     int // events queued or being delivered
}

// New returns a Bridge; call Run to deliver.
func New(cfg Config) *Bridge {
	if cfg.Region == "" {
		cfg.Region = "us-east-1"
	}
	if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	if cfg.Backoff == 0 {
		cfg.Backoff = time.Second
	}
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
	}
	b := &Bridge{cfg: cfg, queue: make(chan queued, 4096)}
	b.idle = sync.NewCond(&b.mu)
	return b
}

// ServeHTTP accepts a webhook post and answers at once: the gateway gives
// each post three seconds and never retries. When the queue is full or Run
// has stopped it answers 503, and the failure record keeps the events.
func (b *Bridge) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	events, keys, err := b.reshape(body)
	if err != nil {
		b.cfg.Log.Error("webhook post is not a bucket event", "error", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var refused error
	for _, ev := range events {
		if err := b.Enqueue(ev); err != nil {
			b.fail(ev, 0, err)
			refused = err
		}
	}
	b.posted(keys) // after queueing: Expect promises the event is queued
	if refused != nil {
		http.Error(w, refused.Error(), http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusNoContent)
}

// reshape turns one gateway post into the S3 events AWS would send for it:
// one per object record that passes the filter, with URL-encoded keys and
// AWS's event names. The gateway's test event yields none. keys are those
// of all the object records, filtered or not.
func (b *Bridge) reshape(post []byte) (events [][]byte, keys []string, err error) {
	var ge gatewayEvent
	if err := json.Unmarshal(post, &ge); err != nil {
		return nil, nil, err
	}
	if ge.Event == "s3:TestEvent" {
		return nil, nil, nil
	}
	for _, r := range ge.Records {
		b.count(func() { b.received++ })
		name := strings.TrimPrefix(r.EventName, "s3:")
		key := r.S3.Object.Key
		keys = append(keys, key)
		if !strings.HasPrefix(name, "ObjectCreated:") || !b.cfg.Filter.Matches(key) {
			b.count(func() { b.filtered++ })
			continue
		}
		at, err := time.Parse(time.RFC3339Nano, r.EventTime)
		if err != nil {
			at = time.Now()
		}
		etag := ""
		if r.S3.Object.ETag != nil {
			etag = *r.S3.Object.ETag
		}
		ev := s3event.ObjectCreated(b.cfg.Region, r.S3.Bucket.Name, at, s3event.Object{Key: key, Size: r.S3.Object.Size, ETag: etag})
		ev.Records[0].EventName = name
		payload, err := json.Marshal(ev)
		if err != nil {
			return nil, nil, err
		}
		events = append(events, payload)
	}
	return events, keys, nil
}

// Expect returns a channel that is closed once the gateway has posted the
// event of key and the bridge has queued it (or recorded it as failed).
// Call it before writing the object, so that an early post is not missed,
// and call forget when no longer waiting. Only expected keys are
// remembered, and only until posted or forgotten; expect a key once at a
// time.
func (b *Bridge) Expect(key string) (posted <-chan struct{}, forget func()) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.expected == nil {
		b.expected = map[string]chan struct{}{}
	}
	ch := make(chan struct{})
	b.expected[key] = ch
	return ch, func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		if b.expected[key] == ch {
			delete(b.expected, key)
		}
	}
}

// posted closes the channels of Expect for keys.
func (b *Bridge) posted(keys []string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, k := range keys {
		if ch, ok := b.expected[k]; ok {
			close(ch)
			delete(b.expected, k)
		}
	}
}

func (b *Bridge) count(f func()) {
	b.mu.Lock()
	f()
	b.mu.Unlock()
}

// queued is an event waiting for delivery.
type queued struct {
	payload   []byte
	scheduled bool // from Schedule, not a notification
}

// Enqueue queues an AWS-shaped event for delivery, as S3 does; delivering
// the same event twice is what S3's at-least-once delivery may do. It
// never blocks: it returns ErrQueueFull when the queue is full and
// ErrStopped once Run has returned.
func (b *Bridge) Enqueue(event []byte) error { return b.enqueue(queued{payload: event}) }

// Schedule queues an invocation that a schedule makes, as EventBridge
// Scheduler invokes the stack's function for the rollup sweep. It is
// delivered, retried and recorded when it fails like a notification,
// in the same queue (the emulator takes one invocation at a time), but
// counted apart, in Stats.Scheduled.
func (b *Bridge) Schedule(payload []byte) error {
	return b.enqueue(queued{payload: payload, scheduled: true})
}

func (b *Bridge) enqueue(ev queued) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.stopped {
		return ErrStopped
	}
	select {
	case b.queue <- ev:
		b.pending++
		return nil
	default:
		return ErrQueueFull
	}
}

// Run delivers queued events one at a time (the emulator takes one
// invocation at a time) until ctx is done. Then it records the events
// still queued as failures, and the bridge takes no more.
func (b *Bridge) Run(ctx context.Context) {
	for ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case ev := <-b.queue:
			b.deliver(ctx, ev)
			b.dequeued()
		}
	}
	b.mu.Lock()
	b.stopped = true
	b.mu.Unlock()
	for {
		select {
		case ev := <-b.queue:
			b.fail(ev.payload, 0, fmt.Errorf("not delivered: %w", context.Cause(ctx)))
			b.dequeued()
		default:
			return
		}
	}
}

func (b *Bridge) dequeued() {
	b.mu.Lock()
	b.pending--
	b.idle.Broadcast()
	b.mu.Unlock()
}

// deliver invokes the function with ev, retrying with back-off, and
// records ev as failed when the last try fails or ctx ends the back-off.
func (b *Bridge) deliver(ctx context.Context, q queued) {
	ev := q.payload
	wait := b.cfg.Backoff
	for attempts := 1; ; attempts++ {
		b.count(func() { b.invocations++ })
		err := b.cfg.Invoker.Invoke(ctx, ev)
		if err == nil {
			if q.scheduled {
				b.count(func() { b.scheduled++ })
			} else {
				b.count(func() { b.delivered++ })
			}
			return
		}
		b.cfg.Log.Warn("invocation failed", "attempt", attempts, "error", err)
		if attempts > b.cfg.Retries {
			b.fail(ev, attempts, err)
			return
		}
		select {
		case <-ctx.Done():
			b.fail(ev, attempts, fmt.Errorf("%w; retries stopped: %w", err, context.Cause(ctx)))
			return
		case <-time.After(wait):
		}
		wait *= 2
	}
}

// fail counts ev as failed and writes it to the failure record.
func (b *Bridge) fail(ev []byte, attempts int, err error) {
	b.cfg.Log.Error("event failed; recorded", "attempts", attempts, "error", err)
	line, _ := json.Marshal(Failure{Time: time.Now().UTC(), Event: ev, Error: err.Error(), Attempts: attempts})
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed++
	if b.cfg.Failures != nil {
		_, _ = b.cfg.Failures.Write(append(line, '\n'))
	}
}

// Stats returns the counts so far.
func (b *Bridge) Stats() Stats {
	b.mu.Lock()
	defer b.mu.Unlock()
	return Stats{Received: b.received, Filtered: b.filtered, Delivered: b.delivered, Scheduled: b.scheduled,
		Failed: b.failed, Invocations: b.invocations, Pending: b.pending}
}

// WaitIdle blocks until no event is queued or being delivered, or ctx is
// done.
func (b *Bridge) WaitIdle(ctx context.Context) error {
	stop := context.AfterFunc(ctx, func() {
		b.mu.Lock()
		b.idle.Broadcast()
		b.mu.Unlock()
	})
	defer stop()
	b.mu.Lock()
	defer b.mu.Unlock()
	for b.pending > 0 {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		b.idle.Wait()
	}
	return nil
}

// Emulator invokes a function through the Lambda runtime interface
// emulator's invoke API.
type Emulator struct {
	URL    string // http://host:port/2015-03-31/functions/function/invocations
	Client *http.Client
}

// Invoke posts payload and reads the function's answer: the emulator says
// HTTP 200 even when the function fails, with the error in the body.
func (e Emulator) Invoke(ctx context.Context, payload []byte) error {
	_, err := e.Call(ctx, payload)
	return err
}

// Call is Invoke that also returns what the function answered, such as a
// backfill batch's counts.
func (e Emulator) Call(ctx context.Context, payload []byte) ([]byte, error) {
	client := e.Client
	if client == nil {
		client = http.DefaultClient
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.URL, bytes.NewReader(payload))
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("invoking the emulator: %w", err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 6<<20)) // Lambda's limit on an answer
	if err != nil {
		return nil, fmt.Errorf("reading the emulator's answer: %w", err)
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("emulator answered %s: %s", resp.Status, bytes.TrimSpace(body))
	}
	var fnErr struct {
		ErrorMessage string `json:"errorMessage"`
		ErrorType    string `json:"errorType"`
	}
	if json.Unmarshal(body, &fnErr) == nil && fnErr.ErrorMessage != "" {
		return nil, errors.New(fnErr.ErrorMessage)
	}
	return body, nil
}
