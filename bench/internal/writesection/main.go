// Command writesection replaces a named section of bench/RESULTS.md with
// standard input (for the shell benchmarks).
package main

import (
	"flag"
	"io"
	"log"
	"os"

	"coalition/bench/internal/benchkit"
)

func main() {
	file := flag.String("file", "bench/RESULTS.md", "results file")
	name := flag.String("name", "", "section name")
	flag.Parse()
	if *name == "" {
		log.Fatal("-name is required")
	}
	b, err := io.ReadAll(os.Stdin)
	if err != nil {
		log.Fatal(err)
	}
	if err := benchkit.WriteSection(*file, *name, string(b)); err != nil {
		log.Fatal(err)
	}
}
