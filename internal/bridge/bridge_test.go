package bridge

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/pmdp/pmdp/internal/contract"
)

// fakeInvoker records payloads and fails the first failures calls.
type fakeInvoker struct {
	mu       sync.Mutex
	payloads [][]byte
	failures int
}

func (f *fakeInvoker) Invoke(_ context.Context, p []byte) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.payloads = append(f.payloads, p)
	if len(f.payloads) <= f.failures {
		return errors.New("function failed")
	}
	return nil
}

// invokerFunc adapts a function to Invoker.
type invokerFunc func(context.Context, []byte) error

func (f invokerFunc) Invoke(ctx context.Context, p []byte) error { return f(ctx, p) }

// start runs b until the test ends.
func start(t *testing.T, b *Bridge) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); b.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// putKey is the object key in testdata/versitygw-put.json.
const putKey = "logs/AWSLogs/123456789012/elasticloadbalancing/us-east-1/2026/11/26/my logs+é/123456789012_elasticloadbalancing_us-east-1_app.pmdp-local.50dc6c495c0c9188_20261126T0627Z_127.0.0.1_0cccb1de.log.gz"

func read(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestReshape(t *testing.T) {
	b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: &fakeInvoker{}})
	out, _, err := b.reshape(read(t, "versitygw-put.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(out) != 1 {
		t.Fatalf("%d events, want 1", len(out))
	}
	// The result decodes with aws-lambda-go, as the function decodes it.
	var ev events.S3Event
	if err := json.Unmarshal(out[0], &ev); err != nil {
		t.Fatal(err)
	}
	r := ev.Records[0]
	if r.EventName != "ObjectCreated:Put" || r.EventSource != "aws:s3" || r.S3.Bucket.Name != "pmdp-logs" {
		t.Errorf("record %+v", r)
	}
	if r.S3.Object.URLDecodedKey != putKey || !strings.Contains(r.S3.Object.Key, "my+logs%2B%C3%A9/") {
		t.Errorf("key %q decodes to %q", r.S3.Object.Key, r.S3.Object.URLDecodedKey)
	}
	if r.S3.Object.Size != 512 || r.S3.Object.ETag != "0f343b0931126a20f133d67c2b018a3b" {
		t.Errorf("object %+v", r.S3.Object)
	}
	if r.EventTime.Format(time.RFC3339Nano) != "2026-11-26T06:27:48.351Z" {
		t.Errorf("time %v", r.EventTime)
	}
}

func TestReshapeFilters(t *testing.T) {
	post := string(read(t, "versitygw-put.json"))
	tests := []struct {
		name string
		post string
		want int
	}{
		{"gateway test event", string(read(t, "versitygw-test-event.json")), 0},
		{"summary written by the function", strings.Replace(post, `"key":"logs/AWSLogs/`, `"key":"summaries/dt=2026-11-26/`, 1), 0},
		{"plain-text log", strings.Replace(post, `.log.gz"`, `.log"`, 1), 0},
		{"other prefix", strings.Replace(post, `"key":"logs/`, `"key":"other/`, 1), 0},
		{"deletion", strings.Replace(post, "s3:ObjectCreated:Put", "s3:ObjectRemoved:Delete", 1), 0},
		{"copy", strings.Replace(post, "s3:ObjectCreated:Put", "s3:ObjectCreated:Copy", 1), 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: &fakeInvoker{}})
			out, _, err := b.reshape([]byte(tt.post))
			if err != nil {
				t.Fatal(err)
			}
			if len(out) != tt.want {
				t.Errorf("%d events, want %d", len(out), tt.want)
			}
		})
	}
	b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: &fakeInvoker{}})
	if _, _, err := b.reshape([]byte("not json")); err == nil {
		t.Error("garbage accepted")
	}
}

func TestRetriesAndFailureRecord(t *testing.T) {
	tests := []struct {
		name          string
		failures      int
		wantCalls     int
		wantDelivered int
		wantFailed    int
	}{
		{"first try", 0, 1, 1, 0},
		{"second retry succeeds", 2, 3, 1, 0},
		{"fails after two retries", 5, 3, 0, 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv := &fakeInvoker{failures: tt.failures}
			var record bytes.Buffer
			b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: inv, Backoff: time.Millisecond, Failures: &record})
			start(t, b)

			srv := httptest.NewServer(b)
			defer srv.Close()
			resp, err := http.Post(srv.URL, "application/json", bytes.NewReader(read(t, "versitygw-put.json")))
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != http.StatusNoContent {
				t.Fatalf("webhook answered %s", resp.Status)
			}
			waitCtx, done := context.WithTimeout(context.Background(), 5*time.Second)
			defer done()
			if err := b.WaitIdle(waitCtx); err != nil {
				t.Fatal(err)
			}
			st := b.Stats()
			if st.Invocations != tt.wantCalls || st.Delivered != tt.wantDelivered || st.Failed != tt.wantFailed || st.Received != 1 || st.Pending != 0 {
				t.Errorf("stats %+v", st)
			}
			if tt.wantFailed == 0 {
				if record.Len() != 0 {
					t.Errorf("failure record %q", &record)
				}
				return
			}
			var f Failure
			if err := json.Unmarshal(record.Bytes(), &f); err != nil {
				t.Fatalf("failure record %q: %v", &record, err)
			}
			var ev events.S3Event
			if json.Unmarshal(f.Event, &ev) != nil || len(ev.Records) != 1 || f.Error != "function failed" || f.Attempts != 3 {
				t.Errorf("failure %+v", f)
			}
		})
	}
}

// An event whose back-off is cut short by the end of Run is recorded as
// failed, not dropped.
func TestCancelledDuringBackoff(t *testing.T) {
	invoked := make(chan struct{})
	inv := invokerFunc(func(context.Context, []byte) error {
		invoked <- struct{}{}
		return errors.New("function failed")
	})
	var record bytes.Buffer
	// The back-off outlasts any test: only the cancellation ends it.
	b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: inv, Backoff: time.Hour, Failures: &record})
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() { defer close(stopped); b.Run(ctx) }()
	if err := b.Enqueue([]byte(`{"Records":[]}`)); err != nil {
		t.Fatal(err)
	}
	<-invoked
	cancel()
	<-stopped

	if st := b.Stats(); st.Invocations != 1 || st.Failed != 1 || st.Delivered != 0 || st.Pending != 0 {
		t.Errorf("stats %+v, want 1 invocation, 1 failed, none pending", st)
	}
	var f Failure
	if err := json.Unmarshal(record.Bytes(), &f); err != nil {
		t.Fatalf("failure record %q: %v", &record, err)
	}
	if f.Attempts != 1 || !strings.Contains(f.Error, "function failed") || !strings.Contains(f.Error, context.Canceled.Error()) || string(f.Event) != `{"Records":[]}` {
		t.Errorf("failure %+v", f)
	}
}

// post sends a gateway post straight to b's handler.
func post(b *Bridge, body []byte) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	b.ServeHTTP(w, httptest.NewRequest(http.MethodPost, "/", bytes.NewReader(body)))
	return w
}

// oneFailure decodes a failure record of exactly one line.
func oneFailure(t *testing.T, record *bytes.Buffer) Failure {
	t.Helper()
	var f Failure
	if lines := bytes.Count(record.Bytes(), []byte("\n")); lines != 1 {
		t.Fatalf("failure record has %d lines, want 1:\n%s", lines, record)
	}
	if err := json.Unmarshal(record.Bytes(), &f); err != nil {
		t.Fatalf("failure record %q: %v", record, err)
	}
	return f
}

// A full queue turns a webhook post away at once with 503, and the
// refused event lands in the failure record: the gateway never retries.
func TestFullQueue(t *testing.T) {
	var record bytes.Buffer
	b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: &fakeInvoker{}, Failures: &record})
	gatewayPost := read(t, "versitygw-put.json")
	// Nothing runs b, so the queue only fills. A blocking Enqueue or
	// ServeHTTP would hang; the timer only turns that hang into a failure.
	type result struct {
		queued int
		err    error
		answer *httptest.ResponseRecorder
	}
	done := make(chan result)
	go func() {
		var r result
		for r.err = b.Enqueue([]byte("{}")); r.err == nil; r.err = b.Enqueue([]byte("{}")) {
			r.queued++
		}
		r.answer = post(b, gatewayPost)
		done <- r
	}()
	var r result
	select {
	case r = <-done:
	case <-time.After(30 * time.Second):
		t.Fatal("a full queue blocked Enqueue or the webhook")
	}
	if !errors.Is(r.err, ErrQueueFull) || r.queued != cap(b.queue) {
		t.Errorf("Enqueue took %d events, then %v; want %d, then %v", r.queued, r.err, cap(b.queue), ErrQueueFull)
	}
	if r.answer.Code != http.StatusServiceUnavailable {
		t.Errorf("webhook answered %d, want 503", r.answer.Code)
	}
	if st := b.Stats(); st.Received != 1 || st.Failed != 1 || st.Pending != cap(b.queue) || st.Invocations != 0 {
		t.Errorf("stats %+v", st)
	}
	f := oneFailure(t, &record)
	var ev events.S3Event
	if json.Unmarshal(f.Event, &ev) != nil || len(ev.Records) != 1 || f.Attempts != 0 || !strings.Contains(f.Error, "queue full") {
		t.Errorf("failure %+v", f)
	}
}

// When Run returns, the events still queued are recorded as failed, and
// the bridge refuses new ones instead of queueing them for nobody.
func TestStopped(t *testing.T) {
	var record bytes.Buffer
	b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: &fakeInvoker{}, Failures: &record})
	for range 2 {
		if err := b.Enqueue([]byte("{}")); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	b.Run(ctx)
	if st := b.Stats(); st.Failed != 2 || st.Pending != 0 || st.Invocations != 0 {
		t.Errorf("after Run: stats %+v, want the 2 queued events failed, none pending", st)
	}
	if lines := strings.Split(strings.TrimSuffix(record.String(), "\n"), "\n"); len(lines) != 2 || !strings.Contains(lines[0], "not delivered: context canceled") {
		t.Errorf("failure record:\n%s", &record)
	}
	record.Reset()

	if err := b.Enqueue([]byte("{}")); !errors.Is(err, ErrStopped) {
		t.Errorf("Enqueue after Run: %v, want %v", err, ErrStopped)
	}
	if w := post(b, read(t, "versitygw-put.json")); w.Code != http.StatusServiceUnavailable {
		t.Errorf("webhook after Run answered %d, want 503", w.Code)
	}
	if f := oneFailure(t, &record); f.Attempts != 0 || !strings.Contains(f.Error, "stopped") {
		t.Errorf("failure %+v", f)
	}
	if err := b.WaitIdle(ctx); err != nil {
		t.Errorf("WaitIdle: %v; nothing may stay pending", err)
	}
}

func isClosed(ch <-chan struct{}) bool {
	select {
	case <-ch:
		return true
	default:
		return false
	}
}

// Expect's channel is closed once the key's event is queued, not before,
// and not by another key's post; the bridge remembers only keys expected
// and not yet posted or forgotten.
func TestExpect(t *testing.T) {
	gatewayPost := read(t, "versitygw-put.json")
	newBridge := func() *Bridge {
		return New(Config{Filter: contract.NotificationFilter("logs"), Invoker: &fakeInvoker{}})
	}
	t.Run("posted", func(t *testing.T) {
		b := newBridge()
		posted, forget := b.Expect(putKey)
		other, forgetOther := b.Expect(strings.Replace(putKey, "_0cccb1de.", "_00000000.", 1))
		if isClosed(posted) {
			t.Fatal("closed before the post")
		}
		post(b, gatewayPost)
		if !isClosed(posted) {
			t.Fatal("not closed by the post")
		}
		if st := b.Stats(); st.Pending != 1 {
			t.Errorf("closed with %d events queued, want the posted one", st.Pending)
		}
		if isClosed(other) {
			t.Error("closed by another key's post")
		}
		forget()
		forgetOther()
		if len(b.expected) != 0 {
			t.Errorf("%d keys remembered after their post or forget", len(b.expected))
		}
	})
	t.Run("posted before", func(t *testing.T) {
		b := newBridge()
		post(b, gatewayPost)
		posted, forget := b.Expect(putKey)
		defer forget()
		if isClosed(posted) {
			t.Error("a post nobody expected was remembered")
		}
	})
	t.Run("refused", func(t *testing.T) {
		b := newBridge()
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		b.Run(ctx)
		posted, forget := b.Expect(putKey)
		defer forget()
		if w := post(b, gatewayPost); w.Code != http.StatusServiceUnavailable || !isClosed(posted) {
			t.Errorf("webhook answered %d, channel closed %v; want 503 and closed: the event is recorded", w.Code, isClosed(posted))
		}
	})
}

func TestEmulatorInvoker(t *testing.T) {
	answers := map[string]string{
		"/ok":     "null",
		"/counts": `{"items":2,"summarized":2}`,
		"/fail":   `{"errorMessage":"1 of 1 objects failed: logs/x: gzip: unexpected EOF","errorType":"wrapError"}`,
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/down" {
			http.Error(w, "no", http.StatusBadGateway)
			return
		}
		w.Write([]byte(answers[r.URL.Path]))
	}))
	defer srv.Close()
	ctx := context.Background()
	if err := (Emulator{URL: srv.URL + "/ok"}).Invoke(ctx, []byte("{}")); err != nil {
		t.Errorf("ok: %v", err)
	}
	if err := (Emulator{URL: srv.URL + "/fail"}).Invoke(ctx, []byte("{}")); err == nil || !strings.Contains(err.Error(), "gzip: unexpected EOF") {
		t.Errorf("fail: %v", err)
	}
	if err := (Emulator{URL: srv.URL + "/down"}).Invoke(ctx, []byte("{}")); err == nil || !strings.Contains(err.Error(), "502") {
		t.Errorf("down: %v", err)
	}
	if got, err := (Emulator{URL: srv.URL + "/counts"}).Call(ctx, []byte("{}")); err != nil || string(got) != answers["/counts"] {
		t.Errorf("Call answered %q, %v; want %q", got, err, answers["/counts"])
	}
	if got, err := (Emulator{URL: srv.URL + "/fail"}).Call(ctx, []byte("{}")); err == nil || got != nil {
		t.Errorf("Call of a failing function answered %q, %v; want only an error", got, err)
	}
}

// A scheduled invocation shares the queue with notifications, so the
// emulator still gets one at a time, and is retried and recorded like
// them, but counted apart.
func TestSchedule(t *testing.T) {
	sweep := []byte(`{"pmdp":"rollup"}`)
	inv := &fakeInvoker{failures: 1}
	var record bytes.Buffer
	b := New(Config{Filter: contract.NotificationFilter("logs"), Invoker: inv, Backoff: time.Millisecond, Failures: &record})
	if err := b.Schedule(sweep); err != nil {
		t.Fatal(err)
	}
	if err := b.Enqueue([]byte(`{"Records":[]}`)); err != nil {
		t.Fatal(err)
	}
	if st := b.Stats(); st.Pending != 2 {
		t.Errorf("pending %d, want both", st.Pending)
	}
	start(t, b)
	ctx, done := context.WithTimeout(context.Background(), 5*time.Second)
	defer done()
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	st := b.Stats()
	if st.Scheduled != 1 || st.Delivered != 1 || st.Invocations != 3 || st.Failed != 0 {
		t.Errorf("stats %+v, want the sweep retried once, then both delivered and counted apart", st)
	}
	if inv.payloads[0] == nil || string(inv.payloads[1]) != string(sweep) {
		t.Errorf("invoked with %q", inv.payloads)
	}

	// One that keeps failing lands in the failure record, as it is.
	inv = &fakeInvoker{failures: 10}
	record.Reset()
	b = New(Config{Filter: contract.NotificationFilter("logs"), Invoker: inv, Backoff: time.Millisecond, Failures: &record})
	start(t, b)
	b.Schedule(sweep)
	if err := b.WaitIdle(ctx); err != nil {
		t.Fatal(err)
	}
	var f Failure
	if err := json.Unmarshal(record.Bytes(), &f); err != nil || string(f.Event) != string(sweep) || f.Attempts != 3 {
		t.Errorf("failure record %q (%v)", &record, err)
	}
	if st := b.Stats(); st.Failed != 1 || st.Scheduled != 0 {
		t.Errorf("stats %+v", st)
	}
}
