package scan

import (
	"flag"
	"log/slog"
	"os"
)

var verbose = flag.Bool("scanlog", false, "log scanner output")

func testLogger() *slog.Logger {
	if *verbose {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}
