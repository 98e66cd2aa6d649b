package collector

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/pmdp/pmdp/internal/accesslog"
	"github.com/pmdp/pmdp/internal/contract"
	"github.com/pmdp/pmdp/internal/logkey"
	"github.com/pmdp/pmdp/internal/logstream"
	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/process"
	"github.com/pmdp/pmdp/internal/summary"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

func TestAnswersAndLogsLikeALB(t *testing.T) {
	store := &objstoretest.Store{}
	c := New(Config{Response: contract.FixedResponse{Status: 200, ContentType: "application/json", Body: `{"ok":true}`}, Store: store, Bucket: "logs", LogPrefix: "logs"})
	srv := httptest.NewServer(c)
	defer srv.Close()

	resp, err := http.Get(srv.URL + "/e?ev=sign+up&uid=42")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || string(body) != `{"ok":true}` || resp.Header.Get("Content-Type") != "application/json" {
		t.Errorf("answer %s %q %q", resp.Status, body, resp.Header.Get("Content-Type"))
	}
	// A request line no client library would send: quotes, a backslash,
	// raw UTF-8 and a space in the target, and an odd user agent.
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	fmt.Fprintf(conn, "GET /say/\"hi\"\\caf\xc3\xa9?ev=%%22q%%22 HTTP/1.1\r\nHost: collector.example.com\r\nUser-Agent: agent \"x\" é\r\nConnection: close\r\n\r\n")
	io.ReadAll(conn)
	conn.Close()

	key, err := c.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if info := logkey.Classify(key); info.Kind != logkey.ALBAccess || info.End.IsZero() {
		t.Errorf("key %s classifies as %v", key, info.Kind)
	}
	if !contract.NotificationFilter("logs").Matches(key) {
		t.Errorf("key %s is outside the stack's notification filter", key)
	}
	obj, _ := store.Get(context.Background(), "logs", key)
	s := summary.New(summary.MustParseDimensions("path,method,status,host,type,query:ev"))
	st, err := process.ReadLog(obj.Body, s)
	if err != nil {
		t.Fatal(err)
	}
	if st.Format != accesslog.FormatALB || st.Lines != 2 || st.Rejected != 0 || !st.Gzip {
		t.Fatalf("stats %+v", st)
	}
	var rows []string
	for _, r := range s.Rows() {
		rows = append(rows, fmt.Sprintf("%s %d", strings.Join(r.Values, "|"), r.Count))
	}
	want := []string{
		"/e|GET|200|127.0.0.1|http|sign up 1",
		"/say/\"hi\"\\caf\xc3\xa9|GET|200|collector.example.com|http|\"q\" 1",
	}
	if strings.Join(rows, "\n") != strings.Join(want, "\n") {
		t.Errorf("rows\n%s\nwant\n%s", strings.Join(rows, "\n"), strings.Join(want, "\n"))
	}

	// The raw lines have ALB's shape: escapes, a fixed-response action.
	obj, _ = store.Get(context.Background(), "logs", key)
	zr, _ := gzipReader(obj.Body)
	sc := bufio.NewScanner(zr)
	var lines []string
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) != 2 {
		t.Fatalf("%d lines", len(lines))
	}
	for _, want := range []string{`"GET http://collector.example.com:`, `/say/\x22hi\x22\x5Ccaf\xC3\xA9?ev=%22q%22 HTTP/1.1"`, `"agent \x22x\x22 \xC3\xA9"`, ` - -1 -1 -1 200 - `, `"fixed-response"`} {
		if !strings.Contains(lines[1], want) {
			t.Errorf("line lacks %s:\n%s", want, lines[1])
		}
	}
	if key, _ := c.Flush(context.Background()); key != "" {
		t.Errorf("an empty interval was delivered as %s", key)
	}
}

func TestFailedDeliveryKeepsLines(t *testing.T) {
	store := &objstoretest.Store{}
	store.FailPuts(errors.New("refused"))
	c := New(Config{Store: store, Bucket: "logs"})
	srv := httptest.NewServer(c)
	defer srv.Close()
	for i := range 3 {
		resp, err := http.Get(fmt.Sprintf("%s/e?n=%d", srv.URL, i))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if i == 1 {
			if _, err := c.Flush(context.Background()); err == nil {
				t.Fatal("a refused delivery succeeded")
			}
		}
	}
	store.FailPuts(nil)
	key, err := c.Flush(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	obj, _ := store.Get(context.Background(), "logs", key)
	s := summary.New(summary.MustParseDimensions("path"))
	st, err := process.ReadLog(obj.Body, s)
	if err != nil || st.Lines != 3 || st.Rejected != 0 {
		t.Errorf("after a failed delivery: %+v, %v; want all 3 lines", st, err)
	}
}

// gatedStore is an objstoretest.Store whose Put waits for the test: it sends the key
// on started, then takes the outcome (nil to write) from outcome.
type gatedStore struct {
	objstoretest.Store
	started chan string
	outcome chan error
}

func (g *gatedStore) Put(ctx context.Context, bucket, key string, body []byte, p objstore.PutOptions) error {
	g.started <- key
	if err := <-g.outcome; err != nil {
		return err
	}
	return g.Store.Put(ctx, bucket, key, body, p)
}

// Requests are answered and logged while an upload runs; the lines logged
// meanwhile go to the next file, after those of a failed upload.
func TestLogsDuringUpload(t *testing.T) {
	store := &gatedStore{started: make(chan string), outcome: make(chan error)}
	c := New(Config{Store: store, Bucket: "logs"})
	request := func(target string) <-chan struct{} {
		done := make(chan struct{})
		go func() {
			defer close(done)
			c.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, target, nil))
		}()
		return done
	}
	type flushed struct {
		key string
		err error
	}
	flush := func() <-chan flushed {
		done := make(chan flushed, 1)
		go func() {
			key, err := c.Flush(context.Background())
			done <- flushed{key, err}
		}()
		return done
	}
	// requestDuringUpload logs target while an upload waits in Put, then
	// ends the upload with outcome.
	requestDuringUpload := func(target string, outcome error) flushed {
		t.Helper()
		upload := flush()
		<-store.started
		select {
		case <-request(target):
		case <-time.After(30 * time.Second): // only a blocked request waits for this
			store.outcome <- outcome
			t.Fatal("a request waited for the upload to end")
		}
		store.outcome <- outcome
		return <-upload
	}
	lines := func(key string) []string {
		t.Helper()
		obj, err := store.Get(context.Background(), "logs", key)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzipReader(obj.Body)
		if err != nil {
			t.Fatal(err)
		}
		var targets []string
		sc := bufio.NewScanner(zr)
		for sc.Scan() {
			targets = append(targets, strings.Fields(sc.Text())[13])
		}
		return targets
	}

	<-request("/e?n=1")
	first := requestDuringUpload("/e?n=2", nil)
	if first.err != nil {
		t.Fatal(first.err)
	}
	if got := lines(first.key); len(got) != 1 || !strings.HasSuffix(got[0], "/e?n=1") {
		t.Errorf("first file %q, want only /e?n=1", got)
	}
	if failed := requestDuringUpload("/e?n=3", errors.New("refused")); failed.err == nil {
		t.Fatal("a refused upload succeeded")
	}
	third := flush()
	<-store.started
	store.outcome <- nil
	last := <-third
	if last.err != nil {
		t.Fatal(last.err)
	}
	got := lines(last.key)
	if len(got) != 2 || !strings.HasSuffix(got[0], "/e?n=2") || !strings.HasSuffix(got[1], "/e?n=3") {
		t.Errorf("file after the failed upload %q, want /e?n=2 then /e?n=3", got)
	}
}

func TestRunDeliversOnStop(t *testing.T) {
	store := &objstoretest.Store{}
	c := New(Config{Store: store, Bucket: "logs", Interval: time.Hour})
	srv := httptest.NewServer(c)
	defer srv.Close()
	resp, err := http.Head(srv.URL + "/e")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { c.Run(ctx); close(done) }()
	cancel()
	<-done
	if keys, err := store.Keys(context.Background(), "logs", ""); err != nil || len(keys) != 1 {
		t.Errorf("files delivered on stop: %q, %v; want 1", keys, err)
	}
}

func ExampleAppendEscaped() {
	fmt.Printf("%s\n", AppendEscaped(nil, `say "hi" \ café`))
	// Output: say \x22hi\x22 \x5C caf\xC3\xA9
}

func gzipReader(r io.Reader) (io.Reader, error) {
	d, err := logstream.Open(r)
	return d, err
}
