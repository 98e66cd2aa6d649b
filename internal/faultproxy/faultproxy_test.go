package faultproxy

import (
	"bytes"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

// store is a tiny object server: PUT stores a body, GET returns it; it
// notes every request that reaches it.
type store struct {
	mu      sync.Mutex
	objects map[string][]byte
	seen    []string
}

func (s *store) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.seen = append(s.seen, r.Method+" "+r.URL.Path+" host="+r.Host)
	switch r.Method {
	case http.MethodPut:
		s.objects[r.URL.Path] = body
	case http.MethodGet:
		b, ok := s.objects[r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(b)))
		w.Write(b)
	}
}

func (s *store) reached() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.seen)
}

// result is what the client saw of one request.
type result struct {
	status int
	body   string
	err    bool // the request or the body's read failed
}

func TestProxy(t *testing.T) {
	const key = "summaries/dt=2026-11-26/a b.csv"
	body := strings.Repeat("0123456789", 100)
	tests := []struct {
		name    string
		rule    Rule
		method  string
		want    []result // for requests 1, 2, 3
		reached int      // requests that reached the server
	}{
		{
			name: "slow down the second PUT", rule: Rule{Method: "PUT", Key: key, Nth: []int{2}, Fault: SlowDown}, method: "PUT",
			want:    []result{{status: 200}, {status: 503, body: "<Code>SlowDown</Code>"}, {status: 200}},
			reached: 2,
		},
		{
			name: "every PUT fails", rule: Rule{Method: "PUT", Key: key, Fault: InternalError}, method: "PUT",
			want:    []result{{status: 500, body: "<Code>InternalError</Code>"}, {status: 500, body: "<Code>InternalError</Code>"}, {status: 500, body: "<Code>InternalError</Code>"}},
			reached: 0,
		},
		{
			name: "first PUT's answer lost", rule: Rule{Method: "PUT", Key: key, Nth: []int{1}, Fault: LoseAnswer}, method: "PUT",
			want:    []result{{err: true}, {status: 200}, {status: 200}},
			reached: 3,
		},
		{
			name: "third GET cut", rule: Rule{Method: "GET", Key: key, Nth: []int{3}, Fault: CutBody}, method: "GET",
			want:    []result{{status: 200, body: body}, {status: 200, body: body}, {status: 200, err: true, body: body[:len(body)/2]}},
			reached: 4, // the PUT that stores the object, and the GETs
		},
		{
			name: "another key passes", rule: Rule{Method: "PUT", Key: key + "x", Fault: InternalError}, method: "PUT",
			want:    []result{{status: 200}, {status: 200}, {status: 200}},
			reached: 3,
		},
		{
			name: "another method passes", rule: Rule{Method: "GET", Key: key, Fault: CutBody}, method: "PUT",
			want:    []result{{status: 200}, {status: 200}, {status: 200}},
			reached: 3,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := &store{objects: map[string][]byte{}}
			upstream := httptest.NewServer(s)
			defer upstream.Close()
			p, err := New(upstream.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Rules = []Rule{tt.rule}
			front := httptest.NewServer(p)
			defer front.Close()
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			url := front.URL + "/bucket/" + strings.ReplaceAll(key, " ", "%20")
			if tt.method == "GET" {
				req, _ := http.NewRequest("PUT", url, strings.NewReader(body))
				resp, err := client.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				resp.Body.Close()
			}
			for i, want := range tt.want {
				var got result
				req, _ := http.NewRequest(tt.method, url, strings.NewReader(body))
				resp, err := client.Do(req)
				if err != nil {
					got.err = true
				} else {
					got.status = resp.StatusCode
					b, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					got.body, got.err = string(b), err != nil
				}
				if got.status != want.status || got.err != want.err || !strings.Contains(got.body, want.body) ||
					(tt.method == "GET" && got.body != want.body) {
					t.Errorf("request %d: status %d, error %v, body %.60q; want status %d, error %v, body with %.60q",
						i+1, got.status, got.err, got.body, want.status, want.err, want.body)
				}
			}
			reached := s.reached()
			if len(reached) != tt.reached {
				t.Errorf("%d requests reached the server, want %d: %q", len(reached), tt.reached, reached)
			}
			for _, r := range reached {
				if !strings.HasSuffix(r, "host="+strings.TrimPrefix(front.URL, "http://")) {
					t.Errorf("%s: the client's Host header was not passed on", r)
				}
			}
			injected := 0
			for _, w := range tt.want {
				if w.err || w.status >= 500 {
					injected++
				}
			}
			if got := len(p.Injected()); got != injected {
				t.Errorf("%d faults injected, want %d: %+v", got, injected, p.Injected())
			}
			if got := p.Requests(tt.method, key); got != len(tt.want) {
				t.Errorf("Requests(%s, key) = %d, want %d", tt.method, got, len(tt.want))
			}
		})
	}
}

// A fault that passes the request on answers 502 Bad Gateway when the
// server cannot be reached, as the proxy does for requests it passes on
// unchanged.
func TestServerDown(t *testing.T) {
	for _, fault := range []Fault{LoseAnswer, CutBody} {
		t.Run(fault.String(), func(t *testing.T) {
			upstream := httptest.NewServer(&store{objects: map[string][]byte{}})
			upstream.Close()
			p, err := New(upstream.URL)
			if err != nil {
				t.Fatal(err)
			}
			defer p.Close()
			p.Rules = []Rule{{Method: "GET", Key: "k", Fault: fault}}
			var logged bytes.Buffer
			front := httptest.NewUnstartedServer(p)
			front.Config.ErrorLog = log.New(&logged, "", 0)
			front.Start()
			defer front.Close()
			client := &http.Client{Transport: &http.Transport{}}
			defer client.CloseIdleConnections()
			resp, err := client.Get(front.URL + "/bucket/k")
			if err != nil {
				t.Fatalf("GET: %v; want 502 Bad Gateway", err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusBadGateway || !strings.Contains(string(b), "connection refused") {
				t.Errorf("GET: status %d, body %q; want 502 naming the refused connection", resp.StatusCode, b)
			}
			if logged.Len() > 0 {
				t.Errorf("the proxy's server logged %q", &logged)
			}
		})
	}
}

func TestFaultString(t *testing.T) {
	tests := []struct {
		fault Fault
		want  string
	}{
		{0, "Fault(0)"}, // the zero Fault is none of them
		{SlowDown, "503 SlowDown"},
		{InternalError, "500 InternalError"},
		{LoseAnswer, "answer lost"},
		{CutBody, "body cut"},
		{CutBody + 1, "Fault(5)"},
	}
	for _, tt := range tests {
		if got := tt.fault.String(); got != tt.want {
			t.Errorf("Fault(%d).String() = %q, want %q", int(tt.fault), got, tt.want)
		}
	}
}

func TestNewRefuses(t *testing.T) {
	for _, u := range []string{"https://s3.amazonaws.com", "127.0.0.1:9000", "http://"} {
		if _, err := New(u); err == nil {
			t.Errorf("New(%q) accepted it", u)
		}
	}
}

func TestObjectKey(t *testing.T) {
	for path, want := range map[string]string{
		"/bucket/a/b c.csv": "a/b c.csv",
		"/bucket/":          "",
		"/bucket":           "",
		"/":                 "",
	} {
		if got := objectKey(path); got != want {
			t.Errorf("objectKey(%q) = %q, want %q", path, got, want)
		}
	}
}

func ExampleProxy() {
	objects := httptest.NewServer(&store{objects: map[string][]byte{}})
	defer objects.Close()
	p, _ := New(objects.URL)
	defer p.Close()
	p.Rules = []Rule{{Method: "PUT", Key: "k", Nth: []int{1}, Fault: SlowDown}}
	front := httptest.NewServer(p)
	defer front.Close()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()
	for range 2 {
		req, _ := http.NewRequest("PUT", front.URL+"/bucket/k", bytes.NewReader([]byte("data")))
		resp, err := client.Do(req)
		if err != nil {
			fmt.Println(err)
			continue
		}
		resp.Body.Close()
		fmt.Println(resp.Status)
	}
	fmt.Println(p.Injected()[0].Fault)
	// Output:
	// 503 Service Unavailable
	// 200 OK
	// 503 SlowDown
}
