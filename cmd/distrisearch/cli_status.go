package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/distrisearch/distrisearch/api"
	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/scan"
)

func runStatus(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("status", stderr)
	srv := addServerFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON")
	watch := fs.Bool("w", false, "keep watching until the scan is idle")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	for {
		st, err := c.Status(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(st)
		}
		busy := printStatus(stdout, st)
		if cs, err := c.ClusterStatus(ctx); err == nil && cs.Data != nil {
			printDataPlane(stdout, cs)
		}
		if !*watch || !busy {
			return nil
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(time.Second):
		}
	}
}

// printStatus renders the status and reports whether a scan is running.
func printStatus(w io.Writer, st api.NodeStatus) (busy bool) {
	fmt.Fprintf(w, "node %s  version %s  up since %s  files %d  ready %v\n",
		st.NodeID, st.Version, st.StartedAt.Format(time.RFC3339), st.Files, st.Ready)
	var p scan.Progress
	if b, err := json.Marshal(st.Scan); err == nil {
		_ = json.Unmarshal(b, &p)
	}
	for _, sh := range p.Shares {
		c := sh.Walk
		done := c.Indexed + c.Unchanged + c.Skipped + c.Failed
		if sh.Phase == scan.PhaseWalking || sh.Phase == scan.PhaseStarting {
			busy = true
		}
		fmt.Fprintf(w, "  share %-12s %-8s %s %d/%d files  indexed %d  unchanged %d  skipped %d  failed %d  %s\n",
			sh.Name, sh.Phase, bar(done, c.Seen, 20), done, c.Seen, c.Indexed, c.Unchanged, c.Skipped, c.Failed, humanBytes(c.BytesSeen))
		if e := sh.Events; e.Seen > 0 {
			fmt.Fprintf(w, "  %-18s live changes: %d files (%d indexed, %d deleted)\n", "", e.Seen, e.Indexed, e.Deleted)
		}
		for _, e := range sh.Errors[max(0, len(sh.Errors)-3):] {
			fmt.Fprintf(w, "      %s %s: %s\n", e.Time.Format("15:04:05"), e.Path, e.Error)
		}
	}
	return busy
}

// printDataPlane summarises the partitions this node holds and the
// cluster's replication health.
func printDataPlane(w io.Writer, cs client.ClusterStatus) {
	d := cs.Data
	keys := 0
	for _, p := range d.Partitions {
		keys += p.Keys
	}
	pending := 0
	for _, n := range d.HintsPending {
		pending += n
	}
	fmt.Fprintf(w, "data plane: holds %d partitions (%d records); %d partitions under-replicated; %d hinted writes pending",
		len(d.Partitions), keys, len(d.UnderReplicated), pending)
	fmt.Fprintf(w, "; %d record changes waiting to replicate", d.Outbox.Pending)
	if d.Outbox.Pending > 0 && d.Outbox.LastError != "" {
		fmt.Fprintf(w, " (%s)", d.Outbox.LastError)
	}
	if len(d.Foreign) > 0 || d.PartitionsHandedOff > 0 {
		fmt.Fprintf(w, "; rebalancing: %d partitions to hand over, %d handed over (%d keys sent)", len(d.Foreign), d.PartitionsHandedOff, d.KeysHandedOff)
	}
	ch := d.Chunks
	fmt.Fprintf(w, "; chunks: %d (%s)", ch.Chunks, humanBytes(ch.Bytes))
	if ch.RepairPending > 0 || ch.RepairFetched > 0 {
		fmt.Fprintf(w, ", %d fetched from other replicas, %d records to check", ch.RepairFetched, ch.RepairPending)
	}
	if ch.GCRuns > 0 {
		fmt.Fprintf(w, ", %d collected (%s) in %d runs", ch.RemovedChunks, humanBytes(ch.RemovedBytes), ch.GCRuns)
		if ch.LastError != "" {
			fmt.Fprintf(w, " (%s)", ch.LastError)
		}
	}
	if ae := d.AntiEntropy; !ae.LastRun.IsZero() {
		fmt.Fprintf(w, "; anti-entropy: %d rounds, %d keys repaired, last %s", ae.Rounds, ae.KeysExchanged, ae.LastRun.Local().Format(time.RFC3339))
		if ae.LastError != "" {
			fmt.Fprintf(w, " (%s)", ae.LastError)
		}
	}
	fmt.Fprintln(w)
}
