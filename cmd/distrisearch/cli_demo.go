package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/distrisearch/distrisearch/node"
	"github.com/distrisearch/distrisearch/sample"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("demo", stderr)
	dir := fs.String("dir", "", "where to keep the demo's data and sample folder (default: a new temporary directory)")
	httpAddr := fs.String("http-addr", "127.0.0.1:8080", "address of the API; a free port is used if this one is taken")
	logLevel := fs.String("log-level", "warn", "debug, info, warn or error")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	base := *dir
	if base == "" {
		tmp, err := os.MkdirTemp("", "distrisearch-demo-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(tmp)
		base = tmp
	}
	shareDir := filepath.Join(base, "sample")
	if _, err := os.Stat(shareDir); errors.Is(err, os.ErrNotExist) {
		if err := sample.WriteTo(shareDir); err != nil {
			return fmt.Errorf("write the sample folder: %w", err)
		}
	}
	addr := *httpAddr
	if l, err := net.Listen("tcp", addr); err != nil {
		addr = "127.0.0.1:0"
	} else {
		l.Close()
	}
	nfs := newFlags("demo", stderr)
	build := nodeFlags(nfs, stderr)
	if err := nfs.Parse([]string{"--data", filepath.Join(base, "node1"), "--http-addr", addr,
		"--share", "sample=" + shareDir, "--log-level", *logLevel}); err != nil {
		return err
	}
	cfg, err := build()
	if err != nil {
		return err
	}
	n, err := node.New(cfg)
	if err != nil {
		return err
	}
	if err := n.Start(ctx); err != nil {
		return err
	}
	defer n.Close()
	select {
	case <-n.Ready():
	case <-ctx.Done():
		return nil
	case <-time.After(60 * time.Second):
		fmt.Fprintln(stderr, "the first scan is taking long; the node keeps working on it")
	}
	url := n.URL()
	fmt.Fprintf(stdout, `DistriSearch demo is running.

  node      %s
  API       %s/api  (OpenAPI: %s/api/openapi.json)
  sample    %s  (shared as "sample"; add or edit files there and search again)

Try, in another terminal:
  distrisearch search --server %s mutex
  distrisearch search --server %s '"wind tunnel"' 
  distrisearch search --server %s 'parse* ext:py'
  distrisearch status --server %s
  curl '%s/api/search?q=report'

(with "go run ./cmd/distrisearch" in place of "distrisearch" from a source checkout)
Press Ctrl-C to stop.
`, n.ID(), url, url, shareDir, url, url, url, url, url)
	<-ctx.Done()
	fmt.Fprintln(stdout, "\nstopping")
	return n.Close()
}
