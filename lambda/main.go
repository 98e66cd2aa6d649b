// Command pmdp is the Lambda function and, started from a terminal, the
// local pmdp command.
package main

import (
	"os"

	"github.com/pmdp/pmdp/internal/cli"
	"github.com/pmdp/pmdp/internal/handler"
)

func main() {
	if handler.UnderLambda() {
		os.Exit(handler.Main())
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
