// Command wacheck checks that a strict webhook sender can deliver to an
// HTTPS endpoint.
package main

import (
	"os"

	"github.com/wacheck/wacheck/pkg/cli"
)

func main() {
	os.Exit(cli.Main(os.Args[1:], cli.System()))
}
