package main

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// progressBar draws a one-line bar on a terminal-like writer. It redraws at
// most every 100 ms; Done prints the final state and a newline.
type progressBar struct {
	w       io.Writer
	label   string
	total   int64 // 0 = unknown
	current int64
	start   time.Time
	last    time.Time
	now     func() time.Time
}

func newProgressBar(w io.Writer, label string, total int64) *progressBar {
	return &progressBar{w: w, label: label, total: total, start: time.Now(), now: time.Now}
}

func (p *progressBar) Add(n int64) { p.Set(p.current + n) }

func (p *progressBar) Set(v int64) {
	p.current = v
	if t := p.now(); t.Sub(p.last) >= 100*time.Millisecond {
		p.last = t
		p.draw()
	}
}

func (p *progressBar) Done() {
	p.draw()
	fmt.Fprintln(p.w)
}

func (p *progressBar) Write(b []byte) (int, error) {
	p.Add(int64(len(b)))
	return len(b), nil
}

func (p *progressBar) draw() { fmt.Fprint(p.w, "\r"+p.line()) }

func (p *progressBar) line() string {
	const width = 30
	elapsed := p.now().Sub(p.start).Seconds()
	rate := ""
	if elapsed > 0 {
		rate = humanBytes(int64(float64(p.current)/elapsed)) + "/s"
	}
	if p.total <= 0 {
		return fmt.Sprintf("%s %s %s", p.label, humanBytes(p.current), rate)
	}
	frac := float64(p.current) / float64(p.total)
	frac = min(max(frac, 0), 1)
	n := int(frac * width)
	return fmt.Sprintf("%s [%s%s] %3.0f%% %s/%s %s", p.label, strings.Repeat("=", n), strings.Repeat(" ", width-n),
		frac*100, humanBytes(p.current), humanBytes(p.total), rate)
}

// bar renders a fixed-width bar for a fraction (status output).
func bar(done, total int64, width int) string {
	if total <= 0 {
		return "[" + strings.Repeat("?", width) + "]"
	}
	n := int(float64(done) / float64(total) * float64(width))
	n = min(max(n, 0), width)
	return "[" + strings.Repeat("=", n) + strings.Repeat(" ", width-n) + "]"
}

func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", float64(n)/float64(div), "KMGTPE"[exp])
}
