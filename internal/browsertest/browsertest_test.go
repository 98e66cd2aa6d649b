package browsertest

import (
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// What the tests rely on the Browser to notice, it notices: a console
// error, an uncaught exception, a resource that fails to load, a
// Content-Security-Policy violation, and every request.
func TestBrowserRecordsErrorsAndRequests(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write([]byte(`<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src 'self' 'unsafe-inline'">
<title>t</title><script>
console.error("logged error");
fetch("/data?x=1").then(r => r.text()).then(t => document.title = t);
setTimeout(() => { throw new Error("uncaught") }, 0);
</script>
<img src="/missing.png"><img src="http://example.invalid/blocked.png">`))
	})
	mux.HandleFunc("/data", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("loaded")) })
	mux.HandleFunc("/missing.png", http.NotFound)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	b := New(t, 30*time.Second)
	b.Do(t, chromedp.Navigate(srv.URL+"/"), chromedp.Poll[chromedp.Void](`document.title === "loaded"`))

	requests := b.Requests()
	for i := range requests {
		requests[i].Failed = "" // whether the refused image's failure came yet
	}
	for _, want := range []Request{
		{Method: "GET", URL: srv.URL + "/", Status: 200},
		{Method: "GET", URL: srv.URL + "/data?x=1", Status: 200},
		{Method: "GET", URL: srv.URL + "/missing.png", Status: 404},
		{Method: "GET", URL: "http://example.invalid/blocked.png"}, // refused, but asked for
	} {
		if !slices.Contains(requests, want) {
			t.Errorf("requests %#v lack %#v", requests, want)
		}
	}
	errors := strings.Join(b.Errors(), "\n")
	for _, want := range []string{"logged error", "uncaught", "404", "blocked.png"} {
		if !strings.Contains(errors, want) {
			t.Errorf("errors lack %q:\n%s", want, errors)
		}
	}
}
