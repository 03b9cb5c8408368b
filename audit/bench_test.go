package audit

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"
)

// BenchmarkAppend measures durable appends (fsync on, anchor every 64
// entries) by one appender and by 16 concurrent appenders sharing group
// commits. entries/commit shows the batching.
func BenchmarkAppend(b *testing.B) {
	for _, workers := range []int{1, 16} {
		name := "sequential"
		if workers > 1 {
			name = "concurrent16"
		}
		b.Run(name, func(b *testing.B) {
			cfg := DefaultConfig()
			cfg.Path = filepath.Join(b.TempDir(), "audit.db")
			cfg.NodeID = "bench"
			l, err := Open(cfg)
			if err != nil {
				b.Fatal(err)
			}
			defer l.Close()
			e := Entry{UserID: "u42", Username: "alice", Action: ActionDownload,
				Resource: "docs/reports/2026/q1.pdf", IPAddress: "192.0.2.7", Result: ResultSuccess,
				Details: map[string]string{"user_agent": "Mozilla/5.0", "bytes": "123456"}}
			b.ResetTimer()
			start := time.Now()
			var wg sync.WaitGroup
			for w := 0; w < workers; w++ {
				n := b.N / workers
				if w < b.N%workers {
					n++
				}
				wg.Add(1)
				go func() {
					defer wg.Done()
					for i := 0; i < n; i++ {
						if _, err := l.Append(context.Background(), e); err != nil {
							b.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			el := time.Since(start)
			b.StopTimer()
			b.ReportMetric(float64(b.N)/el.Seconds(), "entries/s")
			if c := l.commits.Load(); c > 0 {
				b.ReportMetric(float64(b.N)/float64(c), "entries/commit")
			}
		})
	}
}
