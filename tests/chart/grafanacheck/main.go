// Command grafanacheck decodes Grafana dashboard JSON files strictly with Grafana's own
// dashboard types (grafana-foundation-sdk): an unknown or mistyped field fails.
package main

import (
	"fmt"
	"os"

	"github.com/grafana/grafana-foundation-sdk/go/cog"
	"github.com/grafana/grafana-foundation-sdk/go/cog/plugins"
	"github.com/grafana/grafana-foundation-sdk/go/dashboard"
)

func main() {
	plugins.RegisterDefaultPlugins()
	failed := false
	for _, path := range os.Args[1:] {
		raw, err := os.ReadFile(path)
		if err != nil {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
			continue
		}
		var board dashboard.Dashboard
		if err := board.UnmarshalJSONStrict(raw); isError(err) {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
			continue
		}
		if err := board.Validate(); isError(err) {
			fmt.Printf("%s: %v\n", path, err)
			failed = true
			continue
		}
		fmt.Printf("%s: ok, %d panels\n", path, len(board.Panels))
	}
	if failed {
		os.Exit(1)
	}
}

// isError treats an empty cog.BuildErrors (returned as a non-nil error) as success.
func isError(err error) bool {
	if errs, ok := err.(cog.BuildErrors); ok {
		return len(errs) > 0
	}
	return err != nil
}
