// Command pmdp is the Lambda function and, started from a terminal, the
// local pmdp command.
package main

import (
	"fmt"
	"os"

	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/handler"
)

func main() {
	if handler.UnderLambda() {
		if err := handler.Start(); err != nil {
			fmt.Fprintln(os.Stderr, "pmdp:", err)
			os.Exit(1)
		}
		return
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
