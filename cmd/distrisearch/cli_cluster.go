package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distrisearch/distrisearch/client"
	"github.com/distrisearch/distrisearch/cluster"
)

func runInit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("init", stderr)
	data := fs.String("data", "data", "data directory of the cluster's first node")
	partitions := fs.Int("partitions", 64, "number of partitions (fixed for the cluster's life)")
	rf := fs.Int("replication", 3, "replication factor")
	consistency := fs.String("consistency", "QUORUM", "default consistency: STRONG, QUORUM or EVENTUAL")
	voters := fs.Int("voters", 3, "Raft voters: 3 or 5")
	ttl := fs.Duration("token-ttl", 24*time.Hour, "lifetime of the join token")
	adminPW := fs.String("admin-password", "", "the first administrator's password (env DISTRISEARCH_ADMIN_PASSWORD; default: generated and shown once)")
	var hosts listFlag
	fs.Var(&hosts, "host", "extra name or address for the first node's certificate (repeatable)")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if *adminPW == "" {
		*adminPW = os.Getenv("DISTRISEARCH_ADMIN_PASSWORD")
	}
	res, err := cluster.Init(*data, cluster.InitOptions{
		AdminPassword:  *adminPW,
		PartitionCount: *partitions, ReplicationFactor: *rf, DefaultConsistency: strings.ToUpper(*consistency),
		Voters: *voters, TokenTTL: *ttl, Hosts: hosts,
	})
	if errors.Is(err, cluster.ErrAlreadyInitialised) {
		return usageError{fmt.Sprintf("%s already belongs to a cluster; start it with 'distrisearch node --data %s'", *data, *data)}
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, `created cluster %s
  first node     %s (data in %s)
  CA fingerprint %s
  join token     %s
  token expires  %s
  administrator  %s

Start the first node:
  distrisearch node --data %s --internal-addr HOST:7080 --http-addr HOST:8080 --share NAME=PATH
Join more nodes (any member's internal address works):
  distrisearch node --data DIR --join HOST:7080 --token %s --share NAME=PATH
`, res.ClusterID, res.NodeID, *data, res.CAFingerprint, res.JoinToken, res.TokenExpires.Format(time.RFC3339), adminLine(res), *data, res.JoinToken)
	return nil
}

func runNodes(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("nodes", stderr)
	srv := addServerFlags(fs)
	asJSON := fs.Bool("json", false, "print the raw JSON")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	info, err := c.Cluster(ctx)
	if err != nil {
		return err
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(info)
	}
	fmt.Fprintf(stdout, "cluster %s  leader %s  term %d  fencing token %d  (seen from %s, %s)\n\n",
		info.ClusterID, orDash(info.LeaderID), info.Term, info.FencingToken, info.Self, info.RaftState)
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NODE\tROLE\tSTATUS\tVOTER\tPHI\tLAST HEARTBEAT\tBREAKER\tHTTP\tINTERNAL")
	for _, n := range info.Nodes {
		mark := ""
		if n.Self {
			mark = " *"
		}
		hb := "-"
		if !n.LastSeenAt.IsZero() {
			hb = n.LastSeenAt.Format("15:04:05")
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\t%v\t%.2f\t%s\t%s\t%s\t%s\n", n.ID, mark, n.Role, n.Status, n.Voter, n.Phi, hb, orDash(n.Breaker), orDash(n.HTTPAddr), n.InternalAddr)
	}
	_ = tw.Flush()
	if len(info.Services) > 0 {
		fmt.Fprintln(stdout, "\nservices:")
		tw = tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		for _, s := range info.Services {
			fmt.Fprintf(tw, "  %s\t%s:%d\t%s\n", s.ID, s.Host, s.Port, s.Health)
		}
		_ = tw.Flush()
	}
	return nil
}

func runEvents(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("events", stderr)
	srv := addServerFlags(fs)
	follow := fs.Bool("f", false, "keep following new events")
	types := fs.String("types", "", "comma-separated event types (default all)")
	asJSON := fs.Bool("json", false, "print each event as a JSON line")
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	var filter []string
	if *types != "" {
		filter = strings.Split(*types, ",")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// Without -f, print what the node retains and stop once the stream is quiet.
	var idle *time.Timer
	if !*follow {
		idle = time.AfterFunc(time.Second, cancel)
	}
	err = c.Events(ctx, 0, filter, func(ev client.Event) error {
		if idle != nil {
			idle.Reset(500 * time.Millisecond)
		}
		if *asJSON {
			_, err := fmt.Fprintf(stdout, "%s\n", ev.Data)
			return err
		}
		var e struct {
			Time time.Time       `json:"time"`
			Node string          `json:"node"`
			Data json.RawMessage `json:"data"`
		}
		_ = json.Unmarshal(ev.Data, &e)
		_, err := fmt.Fprintf(stdout, "%-6s %s %-15s %s %s\n", ev.ID, e.Time.Format("15:04:05.000"), ev.Type, e.Node, e.Data)
		return err
	})
	if errors.Is(err, context.Canceled) {
		return nil
	}
	return err
}

func runLeave(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("leave", stderr)
	srv := addServerFlags(fs)
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	if err := c.Leave(ctx); err != nil {
		return err
	}
	fmt.Fprintln(stdout, "the node left the cluster; stop its process now")
	return nil
}

func adminLine(res cluster.InitResult) string {
	if res.AdminPassword == "" {
		return fmt.Sprintf("user %q with the password you gave", res.AdminUser)
	}
	return fmt.Sprintf("user %q, password %s (shown once; keep it safe)", res.AdminUser, res.AdminPassword)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
