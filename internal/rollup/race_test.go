package rollup

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

// Races made to happen at a chosen call of one build: another writer or
// builder acts there, as a second function instance would, or the store
// answers 409. Whatever happens, the rollup ends up holding each input
// once, and the build's own view never overwrites a newer one.
func TestRacesAtEachStep(t *testing.T) {
	rollupKey := Key("rollups/", date)
	inputs := InputPrefix("summaries/", date)
	second := "summaries/dt=" + date + "/f2.csv"
	// anotherInstanceBefore arranges for another function instance to act
	// just before the build under test calls op on key: it writes a new
	// input, f2, and builds the date.
	anotherInstanceBefore := func(op objstoretest.Op, key string) func(e *env) {
		return func(e *env) {
			e.store.Before(op, key, func() error {
				e.put(date, "f2.csv", "path,count\n/b,1\n")
				_, err := e.builder("").Build(context.Background(), date)
				return err
			})
		}
	}
	tests := []struct {
		name string
		// arrange sets hooks on e.store for the build under test.
		arrange       func(e *env)
		outcome       Outcome
		attempts      int
		want          []string
		wantWaits     []time.Duration
		afterwards    Outcome // a later build, as the next writer or sweep runs it
		afterwardsRow []string
	}{
		{
			name:    "another builder commits a newer set between the read and the write",
			arrange: anotherInstanceBefore(objstoretest.OpPut, rollupKey),
			// 412, read again: the rollup now holds exactly the listing.
			outcome: Unchanged, attempts: 2, want: []string{"/a 1", "/b 1"},
			wantWaits: []time.Duration{DefaultBackoff},
		},
		{
			name:    "a new input and another builder's commit between the read and the listing",
			arrange: anotherInstanceBefore(objstoretest.OpList, inputs),
			outcome: Unchanged, attempts: 2, want: []string{"/a 1", "/b 1"},
			wantWaits: []time.Duration{DefaultBackoff},
		},
		{
			// The order that matters: had the build listed before reading
			// the rollup, it would see the other builder's rollup here and
			// overwrite it with one that lacks f2.
			name:    "a new input and another builder's commit just before the read",
			arrange: anotherInstanceBefore(objstoretest.OpHead, rollupKey),
			outcome: Unchanged, attempts: 1, want: []string{"/a 1", "/b 1"},
		},
		{
			name: "a new input, not yet rolled up, between the listing and the write",
			arrange: func(e *env) {
				e.store.Before(objstoretest.OpPut, rollupKey, func() error {
					e.put(date, "f2.csv", "path,count\n/b,1\n")
					return nil
				})
			},
			// This build commits what it listed; its digest names that set,
			// so the next build (its writer's, or a sweep) adds f2.
			outcome: Written, attempts: 1, want: []string{"/a 1"},
			afterwards: Written, afterwardsRow: []string{"/a 1", "/b 1"},
		},
		{
			name: "two conflicts (409), then the write goes through",
			arrange: func(e *env) {
				for range 2 {
					e.store.Before(objstoretest.OpPut, rollupKey, func() error { return objstore.ErrConflict })
				}
			},
			outcome: Written, attempts: 3, want: []string{"/a 1"},
			wantWaits: []time.Duration{DefaultBackoff, 2 * DefaultBackoff},
		},
		{
			name: "an input rewritten with other content between the listing and its read",
			arrange: func(e *env) {
				e.store.Before(objstoretest.OpGet, "summaries/dt="+date+"/f1.csv", func() error {
					e.put(date, "f1.csv", "path,count\n/a,5\n")
					return nil
				})
			},
			outcome: Written, attempts: 2, want: []string{"/a 5"},
			wantWaits: []time.Duration{DefaultBackoff},
		},
		{
			name: "an input deleted between the listing and its read",
			arrange: func(e *env) {
				e.put(date, "f2.csv", "path,count\n/b,1\n")
				e.store.Before(objstoretest.OpGet, second, func() error {
					e.store.Delete(bucket, second)
					return nil
				})
			},
			outcome: Written, attempts: 2, want: []string{"/a 1"},
			wantWaits: []time.Duration{DefaultBackoff},
		},
		{
			name: "the rollup deleted between the read and the write",
			arrange: func(e *env) {
				e.store.Before(objstoretest.OpPut, rollupKey, func() error {
					e.store.Delete(bucket, rollupKey)
					return nil
				})
			},
			// If-Match on a missing object fails; created again from scratch.
			outcome: Written, attempts: 2, want: []string{"/a 1"},
			wantWaits: []time.Duration{DefaultBackoff},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, "")
			e.put(date, "f1.csv", "path,count\n/a,1\n")
			// A rollup exists already (of another set), so that writes are
			// replaces (If-Match), except where the test deletes it.
			e.put(date, "f0.csv", "path,count\n/z,1\n")
			e.build(date)
			e.store.Delete(bucket, "summaries/dt="+date+"/f0.csv")

			tt.arrange(e)
			res := e.build(date)
			if res.Outcome != tt.outcome || res.Attempts != tt.attempts || res.Conflicts != tt.attempts-1 {
				t.Errorf("Build = %+v, want outcome %s after %d attempts", res, tt.outcome, tt.attempts)
			}
			got, _ := e.rollup(date)
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("rollup %q, want %q", got, tt.want)
			}
			if !reflect.DeepEqual(e.waited, tt.wantWaits) {
				t.Errorf("waited %v, want %v", e.waited, tt.wantWaits)
			}
			if tt.afterwards != "" {
				if res := e.build(date); res.Outcome != tt.afterwards {
					t.Errorf("the next build: %s, want %s", res.Outcome, tt.afterwards)
				}
				e.wantRows(date, tt.afterwardsRow...)
			} else {
				e.wantRows(date, tt.want...)
			}
		})
	}
}

// A build that keeps losing gives up after MaxAttempts with an error that
// names the date and the object, and writes nothing.
func TestGivesUp(t *testing.T) {
	for _, sentinel := range []error{objstore.ErrConflict, objstore.ErrPreconditionFailed} {
		t.Run(sentinel.Error(), func(t *testing.T) {
			e := newEnv(t, "")
			e.b.MaxAttempts, e.b.Backoff, e.b.MaxBackoff = 4, time.Second, 3*time.Second
			e.put(date, "f1.csv", "path,count\n/a,1\n")
			for range 10 {
				e.store.Before(objstoretest.OpPut, Key("rollups/", date), func() error { return sentinel })
			}
			res, err := e.b.Build(context.Background(), date)
			if !errors.Is(err, sentinel) || !strings.Contains(err.Error(), "rollup of 2026-11-26: logs/rollups/dt=2026-11-26/rollup.jsonl: gave up after 4 attempts") {
				t.Errorf("error %v", err)
			}
			if res.Attempts != 4 {
				t.Errorf("%d attempts", res.Attempts)
			}
			if want := []time.Duration{time.Second, 2 * time.Second, 3 * time.Second}; !reflect.DeepEqual(e.waited, want) {
				t.Errorf("waited %v, want %v (doubling, capped)", e.waited, want)
			}
			if rows, _ := e.rollup(date); rows != nil {
				t.Errorf("wrote %q", rows)
			}
		})
	}
}

// Other failures end the build at once: retrying cannot help.
func TestOtherFailuresAreNotRetried(t *testing.T) {
	e := newEnv(t, "")
	e.put(date, "f1.csv", "path,count\n/a,1\n")
	e.store.Before(objstoretest.OpPut, Key("rollups/", date), func() error { return errors.New("AccessDenied") })
	res, err := e.b.Build(context.Background(), date)
	if err == nil || !strings.Contains(err.Error(), "rollup of 2026-11-26: logs/rollups/dt=2026-11-26/rollup.jsonl: put: AccessDenied") || res.Attempts != 1 {
		t.Errorf("Build = %+v, %v", res, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := e.b.Build(ctx, date); !errors.Is(err, context.Canceled) {
		t.Errorf("with a cancelled context: %v", err)
	}
}

// Many writers at once, each building after writing its summary (as the
// function does for a late date), and sweepers building meanwhile: when a
// writer's build returns, the rollup holds its summary; at the end it
// holds every summary exactly once.
func TestConcurrentWritersAndSweepers(t *testing.T) {
	e := newEnv(t, "")
	e.b.Jitter = nil // random back-offs, so builders fall apart
	e.b.Backoff, e.b.MaxAttempts = time.Millisecond, 50
	e.b.Wait = nil
	raceBuilders(t, e.store, e.b, 40, 3)
}

// raceBuilders has writers goroutines add one summary each and build,
// while sweepers build in a loop, all with copies of b over store, whose
// reads of summaries it slows down to widen the races; then it checks the
// rollup of date. Meanwhile a monitor reads the rollup's input count over
// and over: summaries are only added, so a count that goes down is a
// stale build overwriting a newer one.
func raceBuilders(t *testing.T, store objstore.ListStore, b *Builder, writers, sweepers int) {
	t.Helper()
	ctx := context.Background()
	b.Store = slowReads{store}
	var wg sync.WaitGroup
	done := make(chan struct{})
	var conflicts sync.Map
	wg.Go(func() {
		seen := 0
		for {
			select {
			case <-done:
				return
			default:
			}
			info, err := store.Head(ctx, bucket, Key(b.RollupPrefix, date))
			if err != nil {
				continue
			}
			n, _ := strconv.Atoi(info.Metadata[MetaInputs])
			if n < seen {
				t.Errorf("the rollup went from %d inputs back to %d", seen, n)
			}
			seen = max(seen, n)
		}
	})
	for s := range sweepers {
		wg.Go(func() {
			sb := *b
			for {
				select {
				case <-done:
					return
				default:
				}
				res, err := sb.Build(ctx, date)
				if err != nil {
					t.Errorf("sweeper %d: %v", s, err)
					return
				}
				conflicts.Store(fmt.Sprint("s", s), res.Conflicts)
			}
		})
	}
	var writersWG sync.WaitGroup
	for w := range writers {
		writersWG.Go(func() {
			wb := *b
			body := fmt.Sprintf("path,count\n/all,1\n/w%02d,%d\n", w, w+1)
			if err := store.Put(ctx, bucket, fmt.Sprintf("summaries/dt=%s/w%02d.csv", date, w), []byte(body), objstore.PutOptions{}); err != nil {
				t.Error(err)
				return
			}
			res, err := wb.Build(ctx, date)
			if err != nil {
				t.Errorf("writer %d: %v", w, err)
				return
			}
			conflicts.Store(fmt.Sprint("w", w), res.Conflicts)
			rows, _ := readRollup(t, store, date)
			if !containsRow(rows, fmt.Sprintf("/w%02d %d", w, w+1)) {
				t.Errorf("writer %d: its build returned (%s), but the rollup lacks its summary: %q", w, res.Outcome, rows)
			}
		})
	}
	writersWG.Wait()
	close(done)
	wg.Wait()
	res, err := b.Build(ctx, date)
	if err != nil {
		t.Fatal(err)
	}
	if res.Outcome != Unchanged {
		t.Errorf("a last build after everyone %s the rollup: some writer's build left it behind", res.Outcome)
	}
	want := []string{fmt.Sprintf("/all %d", writers)}
	for w := range writers {
		want = append(want, fmt.Sprintf("/w%02d %d", w, w+1))
	}
	got, meta := readRollup(t, store, date)
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rollup %q,\nwant %q", got, want)
	}
	if meta[MetaInputs] != fmt.Sprint(writers) {
		t.Errorf("metadata %v", meta)
	}
	total := 0
	conflicts.Range(func(_, v any) bool { total += v.(int); return true })
	t.Logf("%d writers, %d sweepers: %d races lost and retried", writers, sweepers, total)
}

// slowReads delays every read of an object by up to a millisecond.
type slowReads struct{ objstore.ListStore }

func (s slowReads) Get(ctx context.Context, bucket, key string) (*objstore.Object, error) {
	time.Sleep(time.Duration(rand.N(1000)) * time.Microsecond)
	return s.ListStore.Get(ctx, bucket, key)
}

func containsRow(rows []string, row string) bool {
	for _, r := range rows {
		if r == row {
			return true
		}
	}
	return false
}
