package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distrisearch/distrisearch/client"
)

const userUsage = `usage: distrisearch user SUBCOMMAND [flags]

  user add NAME --role R [--role R] [--group G ...] [--password-stdin]
  user passwd NAME [--password-stdin]
  user roles NAME --role R [--role R ...]     replace the roles (--none: no role)
  user groups NAME --group G [--group G ...]  replace the groups (--none: no group)
  user disable NAME                           the user can no longer log in
  user enable NAME
  user list [--json]

Managing users needs the admin role. A new password is asked for twice on
the terminal, or read from the first line of standard input.`

func runUser(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		fmt.Fprintln(stderr, userUsage)
		if len(args) == 0 {
			return usageError{"a subcommand is required"}
		}
		return nil
	}
	sub, args := args[0], args[1:]
	fs := newFlags("user "+sub, stderr)
	fs.Usage = func() {
		fmt.Fprintln(stderr, userUsage+"\n\nflags:")
		fs.PrintDefaults()
	}
	srv := addServerFlags(fs)
	var roles, groups listFlag
	var fromStdin, none, asJSON *bool
	switch sub {
	case "add":
		fs.Var(&roles, "role", "a role: admin, user or guest (repeatable)")
		fs.Var(&groups, "group", "a group, e.g. finance (repeatable)")
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	case "passwd":
		fromStdin = fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	case "roles":
		fs.Var(&roles, "role", "a role (repeatable); the user's roles become exactly these")
		none = fs.Bool("none", false, "remove every role")
	case "groups":
		fs.Var(&groups, "group", "a group (repeatable); the user's groups become exactly these")
		none = fs.Bool("none", false, "remove every group")
	case "disable", "enable":
	case "list":
		asJSON = fs.Bool("json", false, "print the raw JSON")
	default:
		fmt.Fprintln(stderr, userUsage)
		return usageError{fmt.Sprintf("unknown subcommand %q", sub)}
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	var name string
	switch {
	case sub == "list" && len(pos) == 0:
	case sub != "list" && len(pos) == 1 && pos[0] != "":
		name = pos[0]
	case sub == "list":
		return usageError{"user list takes no argument"}
	default:
		return usageError{fmt.Sprintf("user %s needs exactly one username", sub)}
	}
	switch {
	case sub == "add" && len(roles) == 0:
		return usageError{"user add needs at least one --role (admin, user or guest)"}
	case sub == "roles" && (len(roles) == 0) == !*none:
		return usageError{"give the new roles with --role, or --none"}
	case sub == "groups" && (len(groups) == 0) == !*none:
		return usageError{"give the new groups with --group, or --none"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	newPassword := func() (string, error) {
		in := newPrompter(stdin, stderr)
		if *fromStdin {
			pw, err := in.line()
			if err != nil {
				return "", fmt.Errorf("read the password from standard input: %w", err)
			}
			return pw, nil
		}
		return in.newSecret(name)
	}

	var (
		u    client.User
		verb string
	)
	switch sub {
	case "list":
		users, err := c.ListUsers(ctx)
		if err != nil {
			return err
		}
		if *asJSON {
			enc := json.NewEncoder(stdout)
			enc.SetIndent("", "  ")
			return enc.Encode(map[string]any{"users": users})
		}
		printUsers(stdout, users)
		return nil
	case "add":
		pw, err := newPassword()
		if err != nil {
			return err
		}
		u, err = c.AddUser(ctx, client.NewUser{Username: name, Password: pw, Roles: roles, Groups: groups})
		if err != nil {
			return err
		}
		verb = "created"
	case "passwd":
		pw, err := newPassword()
		if err != nil {
			return err
		}
		u, err = c.UpdateUser(ctx, name, client.UserUpdate{Password: &pw})
		verb = "changed the password of"
		if err != nil {
			return err
		}
	default:
		var upd client.UserUpdate
		switch sub {
		case "roles":
			r := append([]string{}, roles...)
			upd.Roles, verb = &r, "set the roles of"
		case "groups":
			g := append([]string{}, groups...)
			upd.Groups, verb = &g, "set the groups of"
		case "disable", "enable":
			d := sub == "disable"
			upd.Disabled, verb = &d, sub+"d"
		}
		if u, err = c.UpdateUser(ctx, name, upd); err != nil {
			return err
		}
	}
	fmt.Fprintf(stdout, "%s user %s: roles %s, groups %s%s\n", verb, u.Username,
		orDash(strings.Join(u.Roles, ",")), orDash(strings.Join(u.Groups, ",")), map[bool]string{true: ", disabled"}[u.Disabled])
	return nil
}

func printUsers(w io.Writer, users []client.User) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "USERNAME\tROLES\tGROUPS\tSTATUS\tCREATED\tID")
	for _, u := range users {
		status := "active"
		if u.Disabled {
			status = "disabled"
		}
		created := "-"
		if !u.CreatedAt.IsZero() {
			created = u.CreatedAt.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\n", u.Username, orDash(strings.Join(u.Roles, ",")), orDash(strings.Join(u.Groups, ",")), status, created, u.ID)
	}
	_ = tw.Flush()
}
