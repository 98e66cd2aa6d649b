package rollup_test

import (
	"context"
	"fmt"
	"io"

	"github.com/pmdp/pmdp/internal/objstore"
	"github.com/pmdp/pmdp/internal/objstoretest"
	"github.com/pmdp/pmdp/internal/rollup"
)

// Two log files' summaries of one date, one of them delivered twice: the
// rollup counts each once, and building it again writes nothing.
func ExampleBuilder_Build() {
	ctx := context.Background()
	store := &objstoretest.Store{}
	put := func(name, body string) {
		store.Put(ctx, "logs", "summaries/dt=2026-11-26/"+name, []byte(body), objstore.PutOptions{})
	}
	put("a.csv", "date,query:ev,count\n2026-11-26,signup,2\n2026-11-26,click,5\n")
	put("b.csv", "date,query:ev,count\n2026-11-26,signup,1\n")
	put("b.csv", "date,query:ev,count\n2026-11-26,signup,1\n") // a duplicate delivery

	b := &rollup.Builder{Store: store, Bucket: "logs", SummaryPrefix: "summaries/", RollupPrefix: "rollups/"}
	for range 2 {
		res, err := b.Build(ctx, "2026-11-26")
		fmt.Println(res.Outcome, res.Inputs, res.Requests, err)
	}
	obj, _ := store.Get(ctx, "logs", rollup.Key("rollups/", "2026-11-26"))
	body, _ := io.ReadAll(obj.Body)
	fmt.Print(string(body))
	// Output:
	// written 2 8 <nil>
	// unchanged 2 0 <nil>
	// {"date":"2026-11-26","query:ev":"click","count":5}
	// {"date":"2026-11-26","query:ev":"signup","count":3}
}
