// Command gendocs writes docs/checks.md's generated regions (the tables of
// statuses and the explanations of every check) from pkg/explain and the
// check registry: go generate ./pkg/explain, or make docs.
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/wacheck/wacheck/pkg/explain"
)

func main() {
	out := flag.String("o", "docs/checks.md", "the file to rewrite")
	flag.Parse()
	doc, err := os.ReadFile(*out)
	if err == nil {
		doc, err = explain.ChecksDoc(doc)
	}
	if err == nil {
		err = os.WriteFile(*out, doc, 0o644)
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "gendocs: %s: %v\n", *out, err)
		os.Exit(1)
	}
}
