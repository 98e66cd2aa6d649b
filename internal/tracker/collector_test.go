package tracker_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/pmdp/pmdp/internal/collector"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
	"github.com/pmdp/pmdp/internal/tracker"
)

// The local collector serves exactly the bytes the load balancer's rule
// does, and logs the request as the load balancer would: path /t.js,
// status 200, while every other path keeps the listener's answer.
func TestCollectorServesTheScript(t *testing.T) {
	store := &objstoretest.Store{}
	c := collector.New(collector.Config{Store: store, Bucket: "logs"})
	srv := httptest.NewServer(c)
	defer srv.Close()

	get := func(target string) (*http.Response, string) {
		resp, err := http.Get(srv.URL + target)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		body, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp, string(body)
	}
	resp, body := get(tracker.Path)
	if body != tracker.Script {
		t.Errorf("GET %s: %d bytes, not the %d of t.js", tracker.Path, len(body), len(tracker.Script))
	}
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != 200 || ct != tracker.ContentType {
		t.Errorf("GET %s: %s, Content-Type %q", tracker.Path, resp.Status, ct)
	}
	resp, body = get(tracker.BeaconPath + "?v=1&ev=pageview")
	if resp.StatusCode != 204 || body != "" {
		t.Errorf("GET %s: %s %q, want the listener's 204", tracker.BeaconPath, resp.Status, body)
	}

	key, err := c.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	obj, err := store.Get(context.Background(), "logs", key)
	if err != nil {
		t.Fatal(err)
	}
	s := summary.New(summary.MustParseDimensions("path,status,query:ev"))
	if _, err := process.ReadLog(obj.Body, s); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range s.Rows() {
		got = append(got, r.Values[0]+" "+r.Values[1]+" "+r.Values[2])
	}
	want := []string{"/e 204 pageview", "/t.js 200 "}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("logged %q, want %q", got, want)
	}
}
