package objstoretest_test

import (
	"context"
	"errors"
	"fmt"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
)

// A test gives the code under test a Store, makes it refuse writes for a
// while, and reads back what was written.
func ExampleStore() {
	ctx := context.Background()
	var store objstoretest.Store
	store.Put(ctx, "logs", "summaries/dt=2026-11-26/a.csv", []byte("date,count\n2026-11-26,3\n"), objstore.PutOptions{})

	store.FailPuts(errors.New("SlowDown"))
	fmt.Println(store.Put(ctx, "logs", "summaries/dt=2026-11-27/a.csv", []byte("date,count\n"), objstore.PutOptions{}))
	store.FailPuts(nil)

	_, err := store.Get(ctx, "logs", "AWSLogs/gone.log.gz")
	fmt.Println(errors.Is(err, objstore.ErrNotFound), err)

	written, _ := objstoretest.Objects(ctx, &store, "logs", "summaries/")
	fmt.Printf("%q\n", written)
	// Output:
	// logs/summaries/dt=2026-11-27/a.csv: put: SlowDown
	// true logs/AWSLogs/gone.log.gz: object not found
	// map["summaries/dt=2026-11-26/a.csv":"date,count\n2026-11-26,3\n"]
}

// A test makes the next conditional write of a key meet a conflict (S3's
// 409), then lets the retry through.
func ExampleStore_Before() {
	ctx := context.Background()
	var store objstoretest.Store
	store.Before(objstoretest.OpPut, "rollups/dt=2026-11-26/rollup.jsonl", func() error { return objstore.ErrConflict })
	create := objstore.PutOptions{IfNoneMatch: "*"}
	for range 2 {
		err := store.Put(ctx, "logs", "rollups/dt=2026-11-26/rollup.jsonl", []byte("{}\n"), create)
		fmt.Println(errors.Is(err, objstore.ErrConflict), err)
	}
	// Output:
	// true logs/rollups/dt=2026-11-26/rollup.jsonl: put: conditional request conflict
	// false <nil>
}
