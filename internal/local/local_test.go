package local

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"testing"

	"github.com/pmdp/pmdp/internal/objstore"
)

// fakeGateway plays both the collector's bucket and the bridge for
// notifiedStore, and notes the order of the calls.
type fakeGateway struct {
	mu     sync.Mutex
	calls  []string
	putErr error
	posted chan struct{} // unbuffered: a send proves Put waits on it
}

func (g *fakeGateway) note(call string) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.calls = append(g.calls, call)
}

func (g *fakeGateway) Expect(key string) (<-chan struct{}, func()) {
	g.note("expect " + key)
	return g.posted, func() { g.note("forget " + key) }
}

func (g *fakeGateway) Get(context.Context, string, string) (*objstore.Object, error) {
	return nil, objstore.ErrNotFound
}

func (g *fakeGateway) Put(_ context.Context, _, key string, _ []byte, _ objstore.PutOptions) error {
	g.note("put " + key)
	return g.putErr
}

// The collector's Put returns only once the bridge has the file's event,
// expected before the file is written so that an early post counts.
func TestNotifiedStore(t *testing.T) {
	refused := errors.New("refused")
	tests := []struct {
		name   string
		putErr error
		cancel bool // the context ends before any post
		post   bool // the test posts; Put must be waiting for it
		want   error
	}{
		{name: "posted", post: true},
		{name: "put fails", putErr: refused, want: refused},
		{name: "never posted", cancel: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			g := &fakeGateway{putErr: tt.putErr, posted: make(chan struct{})}
			s := notifiedStore{Store: g, bridge: g, log: slog.New(slog.DiscardHandler)}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			if tt.cancel {
				cancel()
			}
			done := make(chan error, 1)
			go func() { done <- s.Put(ctx, "b", "k", nil, objstore.PutOptions{}) }()
			var err error
			if tt.post {
				select {
				case g.posted <- struct{}{}: // Put took the post: it was waiting
					err = <-done
				case err = <-done:
					t.Fatalf("Put returned (%v) without waiting for the file's event", err)
				}
			} else {
				err = <-done
			}
			if !errors.Is(err, tt.want) {
				t.Errorf("Put: %v, want %v", err, tt.want)
			}
			if want := []string{"expect k", "put k", "forget k"}; !slices.Equal(g.calls, want) {
				t.Errorf("calls %q, want %q", g.calls, want)
			}
		})
	}
}
