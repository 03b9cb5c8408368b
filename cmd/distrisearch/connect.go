package main

import (
	"bufio"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"golang.org/x/term"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/client"
)

// serverFlags are the flags of every command that talks to a node.
type serverFlags struct {
	server *string
	ca     *string
}

func addServerFlags(fs *flag.FlagSet) serverFlags {
	return serverFlags{
		server: fs.String("server", defaultServer(), "node API address (env DISTRISEARCH_SERVER)"),
		ca: fs.String("ca", os.Getenv("DISTRISEARCH_CA"),
			"PEM file of the CA to trust, the cluster CA in the first node's DATA/tls/ca.crt (env DISTRISEARCH_CA; default: the one saved by login, else the system's roots)"),
	}
}

func defaultServer() string {
	if s := os.Getenv("DISTRISEARCH_SERVER"); s != "" {
		return s
	}
	return "https://127.0.0.1:8080"
}

// connect returns a client for the server with the token of
// DISTRISEARCH_TOKEN, else the one login saved for this server, and the CA
// of --ca, else the one login saved.
func (f serverFlags) connect() (*client.Client, error) {
	token, ca := os.Getenv("DISTRISEARCH_TOKEN"), *f.ca
	if token == "" || ca == "" {
		store, err := defaultCredStore()
		if err != nil {
			return nil, err
		}
		saved, ok, err := store.get(*f.server)
		if err != nil {
			return nil, err
		}
		if ok {
			if token == "" {
				token = saved.Token
			}
			if ca == "" {
				ca = saved.CAFile
			}
		}
	}
	c, err := client.NewWithOptions(*f.server, client.Options{CAFile: ca, Token: token})
	if err != nil {
		return nil, usageError{err.Error()}
	}
	return c, nil
}

// caPath returns --ca as an absolute path, so a saved login works from
// any directory.
func (f serverFlags) caPath() string {
	if *f.ca == "" {
		return ""
	}
	if abs, err := filepath.Abs(*f.ca); err == nil {
		return abs
	}
	return *f.ca
}

// notLoggedIn is what a rejected token means to a person.
const notLoggedIn = "not logged in or session expired: run 'distrisearch login'"

// explain turns errors a person fixes on their side into advice.
func explain(cmd string, err error) string {
	var e *ds.Error
	if errors.As(err, &e) {
		switch {
		case e.Kind == ds.KindUnauthorized && cmd != "login":
			return fmt.Sprintf("%s (%s)", notLoggedIn, e.Code)
		case e.Code == "tls_untrusted":
			return describe(err) + "; pass it with --ca FILE or DISTRISEARCH_CA"
		case e.Kind == ds.KindForbidden:
			return describe(err) + "; 'distrisearch whoami' shows your roles"
		}
	}
	return describe(err)
}

// prompter reads what a person types: passwords without echo when stdin
// is a terminal, else one line each.
type prompter struct {
	in     io.Reader
	r      *bufio.Reader // over in, for lines
	stderr io.Writer
}

func newPrompter(stdin io.Reader, stderr io.Writer) *prompter {
	return &prompter{in: stdin, r: bufio.NewReader(stdin), stderr: stderr}
}

// terminal returns stdin's file descriptor if it is a terminal.
func (p *prompter) terminal() (int, bool) {
	f, ok := p.in.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return 0, false
	}
	return int(f.Fd()), true
}

// line reads one line without its line ending.
func (p *prompter) line() (string, error) {
	s, err := p.r.ReadString('\n')
	if err != nil && (err != io.EOF || s == "") {
		if err == io.EOF {
			return "", errors.New("nothing to read on standard input")
		}
		return "", err
	}
	return strings.TrimRight(s, "\r\n"), nil
}

// ask prints a prompt on a terminal and reads a line.
func (p *prompter) ask(prompt string) (string, error) {
	if _, ok := p.terminal(); ok {
		fmt.Fprint(p.stderr, prompt)
	}
	return p.line()
}

// secret reads a password: from the terminal without echo, else a line.
func (p *prompter) secret(prompt string) (string, error) {
	fd, ok := p.terminal()
	if !ok {
		return p.line()
	}
	fmt.Fprint(p.stderr, prompt)
	b, err := term.ReadPassword(fd)
	fmt.Fprintln(p.stderr)
	if err != nil {
		return "", fmt.Errorf("read the password: %w", err)
	}
	return string(b), nil
}

// newSecret reads a new password, twice on a terminal.
func (p *prompter) newSecret(what string) (string, error) {
	pw, err := p.secret(fmt.Sprintf("new password for %s: ", what))
	if err != nil {
		return "", err
	}
	if _, ok := p.terminal(); ok {
		again, err := p.secret("again: ")
		if err != nil {
			return "", err
		}
		if again != pw {
			return "", usageError{"the passwords differ"}
		}
	}
	if pw == "" {
		return "", usageError{"the password is empty"}
	}
	return pw, nil
}

// connectNoArgs parses the flags of a command that takes only --server
// and --ca and connects.
func connectNoArgs(name string, args []string, stderr io.Writer) (*client.Client, serverFlags, error) {
	fs := newFlags(name, stderr)
	srv := addServerFlags(fs)
	if err := parseNoArgs(fs, args); err != nil {
		return nil, srv, err
	}
	c, err := srv.connect()
	return c, srv, err
}
