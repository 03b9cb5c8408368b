package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
)

func runLogin(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	fs := newFlags("login", stderr)
	srv := addServerFlags(fs)
	user := fs.String("user", os.Getenv("DISTRISEARCH_USER"), "username (env DISTRISEARCH_USER; asked for on a terminal when empty)")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of standard input")
	fs.Usage = func() {
		fmt.Fprintln(stderr, `usage: distrisearch login [--server URL] [--ca FILE] [--user NAME] [--password-stdin]

The password comes from --password-stdin, else DISTRISEARCH_PASSWORD, else
the terminal (not echoed). The session is saved for this server, with the CA
file, in the user configuration directory (distrisearch/credentials.json).`)
		fs.PrintDefaults()
	}
	if err := parseFlags(fs, args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q (the username goes in --user)", fs.Arg(0))}
	}
	in := newPrompter(stdin, stderr)
	if *user == "" {
		if _, ok := in.terminal(); !ok {
			return usageError{"--user NAME is required"}
		}
		name, err := in.ask("username: ")
		if err != nil {
			return err
		}
		*user = strings.TrimSpace(name)
	}
	var password string
	switch env := os.Getenv("DISTRISEARCH_PASSWORD"); {
	case *fromStdin:
		pw, err := in.line()
		if err != nil {
			return fmt.Errorf("read the password from standard input: %w", err)
		}
		password = pw
	case env != "":
		password = env
	default:
		pw, err := in.secret(fmt.Sprintf("password for %s: ", *user))
		if err != nil {
			return err
		}
		password = pw
	}
	store, err := defaultCredStore()
	if err != nil {
		return err
	}
	// Log in with the CA, but without a saved token.
	c, err := srv.connect()
	if err != nil {
		return err
	}
	c.Token = ""
	s, err := c.Login(ctx, *user, password)
	if err != nil {
		if ds.CodeOf(err) == "bad_credentials" {
			return errors.New("wrong username or password")
		}
		return err
	}
	ca := srv.caPath()
	if ca == "" {
		if saved, ok, _ := store.get(*srv.server); ok {
			ca = saved.CAFile
		}
	}
	if err := store.put(credentials{Server: *srv.server, Token: s.Token, ExpiresAt: s.ExpiresAt, CAFile: ca, Username: s.User.Username}); err != nil {
		return err
	}
	fmt.Fprintf(stdout, "logged in to %s as %s (roles: %s); the session expires %s\n",
		serverKey(*srv.server), s.User.Username, orDash(strings.Join(s.User.Roles, ", ")), s.ExpiresAt.Local().Format(time.RFC3339))
	return nil
}

func runLogout(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("logout", stderr)
	srv := addServerFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return err
	}
	store, err := defaultCredStore()
	if err != nil {
		return err
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	if c.Token == "" {
		fmt.Fprintf(stdout, "not logged in to %s\n", serverKey(*srv.server))
		return nil
	}
	revokeErr := c.Logout(ctx)
	if _, err := store.forget(*srv.server); err != nil {
		return err
	}
	switch {
	case revokeErr == nil:
		fmt.Fprintf(stdout, "logged out of %s\n", serverKey(*srv.server))
	case ds.KindOf(revokeErr) == ds.KindUnauthorized:
		// Expired or already revoked: nothing left to revoke.
		fmt.Fprintf(stdout, "logged out of %s (the session had already ended)\n", serverKey(*srv.server))
	default:
		return fmt.Errorf("forgot the saved session, but the server did not revoke the token (it stays valid until it expires): %s", describe(revokeErr))
	}
	return nil
}

func runWhoami(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, srv, err := connectNoArgs("whoami", args, stderr)
	if err != nil {
		return err
	}
	me, err := c.Me(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "%s (id %s) on %s\n  roles   %s\n  groups  %s\n  session expires %s\n",
		me.Username, me.ID, serverKey(*srv.server), orDash(strings.Join(me.Roles, ", ")), orDash(strings.Join(me.Groups, ", ")),
		me.ExpiresAt.Local().Format(time.RFC3339))
	return nil
}

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("keys", stderr)
	srv := addServerFlags(fs)
	retireNow := fs.Bool("retire-now", false, "after a key leak: refuse the previous key's tokens at once (everyone signs in again)")
	fs.Usage = func() {
		fmt.Fprintln(stderr, "usage: distrisearch keys rotate [--retire-now] [--server URL] [--ca FILE]\n\nNew tokens are signed with a new key; tokens signed with the previous one stay valid until it retires.")
		fs.PrintDefaults()
	}
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 || pos[0] != "rotate" {
		return usageError{"usage: distrisearch keys rotate"}
	}
	c, err := srv.connect()
	if err != nil {
		return err
	}
	rotate := c.RotateTokenKey
	if *retireNow {
		rotate = c.RotateTokenKeyRetireNow
	}
	rot, err := rotate(ctx)
	if err != nil {
		return err
	}
	if *retireNow {
		fmt.Fprintf(stdout, "new tokens are signed with key %s; every token of the previous key is refused now: sign in again\n", rot.KID)
		return nil
	}
	fmt.Fprintf(stdout, "new tokens are signed with key %s; tokens of the previous key stay valid until %s\n",
		rot.KID, rot.PreviousRetiresAt.Local().Format(time.RFC3339))
	return nil
}
