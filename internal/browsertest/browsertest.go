// Package browsertest starts Debian's Chromium, headless, for tests that
// need a real browser: the tracker sending beacons, the report rendering.
// It records what a page reports as an error and every request it makes.
//
// A machine without Chromium skips those tests, unless CI is set: there a
// missing browser fails them, so that CI cannot pass without running them
// (.ci/run installs the package).
package browsertest

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdplog "github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// ExecPath is where Debian's chromium package installs the browser.
const ExecPath = "/usr/bin/chromium"

// ArtifactsEnv names a directory for screenshots that outlive the test;
// without it they go to the test's temporary directory.
const ArtifactsEnv = "PMDP_ARTIFACTS"

// Browser is a fresh headless Chromium with one tab.
type Browser struct {
	// Ctx runs chromedp actions in the tab; it ends with the test, or
	// after the timeout New was given.
	Ctx context.Context

	mu       sync.Mutex
	errors   []string
	requests []*Request
	byID     map[network.RequestID]*Request
}

// A Request is one the page made.
type Request struct {
	Method, URL string
	Status      int64  // of the response; 0 while there is none
	Failed      string // why it failed, when it did
}

func (r Request) String() string { return r.Method + " " + r.URL }

// New starts Chromium with a new, empty profile, stopped when t ends;
// every action must be done within timeout. It skips t when the browser
// is not installed and the environment variable CI is not set.
func New(t *testing.T, timeout time.Duration) *Browser {
	t.Helper()
	if _, err := os.Stat(ExecPath); err != nil {
		if os.Getenv("CI") == "" {
			t.Skipf("no browser at %s (apt-get install chromium); CI runs this test", ExecPath)
		}
		t.Fatalf("CI is set and there is no browser at %s: %v", ExecPath, err)
	}
	if _, err := exec.LookPath(ExecPath); err != nil {
		t.Fatal(err)
	}
	// The flags a closed network needs: without those that stop
	// background connections Chromium tries many at every start.
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(ExecPath),
		chromedp.Headless,
		chromedp.NoSandbox, // tests run as root
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-default-apps", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("metrics-recording-only", true),
		chromedp.Flag("password-store", "basic"),
		chromedp.UserDataDir(t.TempDir()),
		chromedp.WindowSize(1280, 900),
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(ctx, opts...)
	b := &Browser{byID: map[network.RequestID]*Request{}}
	tabCtx, cancelTab := chromedp.NewContext(allocCtx, chromedp.WithListener(b.record))
	t.Cleanup(func() {
		cancelTab()
		cancelAlloc()
		cancel()
	})
	b.Ctx = tabCtx
	if err := chromedp.Do(tabCtx); err != nil { // starts the browser
		t.Fatalf("starting %s: %v", ExecPath, err)
	}
	return b
}

// record keeps the page's errors and requests.
func (b *Browser) record(ev any) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch ev := ev.(type) {
	case *runtime.EventConsoleAPICalled:
		if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
			var args []string
			for _, a := range ev.Args {
				args = append(args, string(a.Value)+a.Description)
			}
			b.errors = append(b.errors, "console."+string(ev.Type)+": "+strings.Join(args, " "))
		}
	case *runtime.EventExceptionThrown:
		d := ev.ExceptionDetails
		msg := d.Text
		if d.Exception != nil {
			msg += " " + d.Exception.Description
		}
		b.errors = append(b.errors, fmt.Sprintf("exception at %s:%d: %s", d.URL, d.LineNumber+1, msg))
	case *cdplog.EventEntryAdded:
		// Failed loads, Content-Security-Policy violations and the like.
		if ev.Entry.Level == cdplog.EntryLevelError {
			b.errors = append(b.errors, fmt.Sprintf("%s: %s %s", ev.Entry.Source, ev.Entry.Text, ev.Entry.URL))
		}
	case *network.EventRequestWillBeSent:
		r := &Request{Method: ev.Request.Method, URL: ev.Request.URL + ev.Request.URLFragment}
		b.requests = append(b.requests, r)
		b.byID[ev.RequestID] = r
	case *network.EventResponseReceived:
		if r := b.byID[ev.RequestID]; r != nil {
			r.Status = ev.Response.Status
		}
	case *network.EventLoadingFailed:
		if r := b.byID[ev.RequestID]; r != nil {
			r.Failed = ev.ErrorText
		}
	}
}

// Errors returns what the page reported as an error so far: console
// errors, uncaught exceptions, failed loads and policy violations.
func (b *Browser) Errors() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return append([]string(nil), b.errors...)
}

// Requests returns every request the page made so far, in order, as
// they are now.
func (b *Browser) Requests() []Request {
	b.mu.Lock()
	defer b.mu.Unlock()
	out := make([]Request, len(b.requests))
	for i, r := range b.requests {
		out[i] = *r
	}
	return out
}

// Screenshot saves a PNG of the window, or with full of the whole page, as
// name, in the directory ArtifactsEnv names or else the test's temporary
// one, and returns its path.
func (b *Browser) Screenshot(t *testing.T, name string, full bool) string {
	t.Helper()
	shot := chromedp.CaptureScreenshot()
	if full {
		shot = chromedp.FullScreenshot(100)
	}
	png, err := chromedp.Run(b.Ctx, shot)
	if err != nil {
		t.Fatalf("screenshot: %v", err)
	}
	dir := os.Getenv(ArtifactsEnv)
	if dir == "" {
		dir = t.TempDir()
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name)
	if err := os.WriteFile(path, png, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("screenshot: %s", path)
	return path
}

// Eval evaluates a JavaScript expression in the page and decodes its
// value as T, failing t on error.
func Eval[T any](t *testing.T, b *Browser, expr string) T {
	t.Helper()
	v, err := chromedp.Run(b.Ctx, chromedp.Evaluate[T](expr))
	if err != nil {
		t.Fatalf("evaluating %s: %v", expr, err)
	}
	return v
}

// Do runs chromedp actions in the tab, failing t on error.
func (b *Browser) Do(t *testing.T, actions ...chromedp.Action[chromedp.Void]) {
	t.Helper()
	if err := chromedp.Do(b.Ctx, actions...); err != nil {
		t.Fatal(err)
	}
}
