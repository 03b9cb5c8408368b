package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distrisearch/distrisearch/client"
)

func runAudit(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) > 0 && args[0] == "verify" {
		return runAuditVerify(ctx, args[1:], stdout, stderr)
	}
	fs := newFlags("audit", stderr)
	srv := addServerFlags(fs)
	since := fs.String("since", "", "from this time: RFC 3339, a date (2025-03-01), or an age (90m, 24h, 7d)")
	until := fs.String("until", "", "before this time, in the same forms as --since")
	var f client.AuditFilter
	fs.StringVar(&f.User, "user", "", "only this username")
	fs.StringVar(&f.UserID, "user-id", "", "only this user id")
	fs.StringVar(&f.Action, "action", "", "only this action, e.g. login_success, login_failure, download, user_add, role_change, key_rotate")
	fs.StringVar(&f.Resource, "resource", "", "only resources that start with this, e.g. user: or share:finance")
	fs.StringVar(&f.Result, "result", "", "only this result: success, failure or denied")
	fs.StringVar(&f.Node, "node", "", "only entries written by this node")
	fs.IntVar(&f.Limit, "limit", 100, "entries per page (1-1000), newest first")
	fs.StringVar(&f.Cursor, "cursor", "", "continue from a previous page's cursor")
	asJSON := fs.Bool("json", false, "print the raw JSON page")
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	now := time.Now()
	var err error
	if f.Since, err = parseWhen(*since, now); err != nil {
		return usageError{"--since: " + err.Error()}
	}
	if f.Until, err = parseWhen(*until, now); err != nil {
		return usageError{"--until: " + err.Error()}
	}
	if f.Limit < 1 {
		return usageError{"--limit must be at least 1"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	page, err := c.Audit(ctx, f)
	if err != nil {
		return err
	}
	if *asJSON {
		if page.Entries == nil {
			page.Entries = []client.AuditEntry{}
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(page)
	}
	printAudit(stdout, page)
	return nil
}

// parseWhen reads a point in time: RFC 3339, a date or a date and minute
// in local time, or an age before now (90m, 24h, 7d). "" is no time.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	for _, layout := range []string{time.DateOnly, "2006-01-02T15:04", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, s, now.Location()); err == nil {
			return t, nil
		}
	}
	if days, ok := strings.CutSuffix(s, "d"); ok {
		if n, err := strconv.Atoi(days); err == nil && n >= 0 {
			return now.AddDate(0, 0, -n), nil
		}
	}
	if d, err := time.ParseDuration(s); err == nil && d >= 0 {
		return now.Add(-d), nil
	}
	return time.Time{}, fmt.Errorf("%q is not a time: use RFC 3339 (2025-03-01T12:00:00Z), a date (2025-03-01) or an age (90m, 24h, 7d)", s)
}

func printAudit(w io.Writer, page client.AuditPage) {
	if len(page.Entries) == 0 {
		fmt.Fprintln(w, "no audit entries match")
		return
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "TIME\tUSER\tACTION\tRESOURCE\tRESULT\tADDRESS\tNODE\tDETAIL")
	for _, e := range page.Entries {
		when := "-"
		if !e.Timestamp.IsZero() {
			when = e.Timestamp.Local().Format("2006-01-02 15:04:05")
		}
		user := e.Username
		if user == "" {
			user = e.UserID
		}
		detail := ""
		if len(e.Detail) > 0 && string(e.Detail) != "null" {
			var s string
			if json.Unmarshal(e.Detail, &s) == nil {
				detail = s
			} else {
				detail = string(e.Detail)
			}
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", when, orDash(user), orDash(e.Action), orDash(e.Resource), orDash(e.Result),
			orDash(e.IPAddress), orDash(e.Node), oneLine(detail))
	}
	_ = tw.Flush()
	if page.NextCursor != "" {
		fmt.Fprintf(w, "\nmore: --cursor %s\n", page.NextCursor)
	}
}

// runAuditVerify checks the node's audit hash chains; it fails (exit 1)
// when one is broken, so scripts can alert on it.
func runAuditVerify(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, _, err := connectNoArgs("audit verify", args, stderr)
	if err != nil {
		return err
	}
	v, err := c.VerifyAudit(ctx)
	if err != nil {
		return err
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "CHAIN\tENTRIES\tSEQ\tSTATE")
	for _, ch := range v.Report.Chains {
		state := "intact"
		if len(ch.Broken) > 0 && string(ch.Broken) != "null" {
			state = "BROKEN " + string(ch.Broken)
		}
		fmt.Fprintf(tw, "%s\t%d\t%d-%d\t%s\n", ch.Node, ch.Entries, ch.First, ch.Last, state)
	}
	_ = tw.Flush()
	if v.Report.AnchorWarning != "" {
		fmt.Fprintf(stdout, "warning: %s\n", v.Report.AnchorWarning)
	}
	if !v.OK {
		return fmt.Errorf("the audit log is not intact: an entry was changed, removed or inserted")
	}
	fmt.Fprintf(stdout, "%d entries in %d chains, every link intact\n", v.Report.Entries, len(v.Report.Chains))
	return nil
}
