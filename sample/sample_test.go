package sample

import (
	"os"
	"path/filepath"
	"testing"
)

func TestWriteToCopiesEverySampleFile(t *testing.T) {
	dir := t.TempDir()
	if err := WriteTo(dir); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"README.md", "src/telemetry_server.go", "reports/q3-wind-tunnel.md", "notes/oncall-checklist.html"} {
		if _, err := os.Stat(filepath.Join(dir, p)); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
}
