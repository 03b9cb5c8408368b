package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// credentials is what login keeps for one server.
type credentials struct {
	Server    string    `json:"server"`
	Token     string    `json:"token"`
	ExpiresAt time.Time `json:"expires_at"`
	CAFile    string    `json:"ca_file,omitempty"`
	Username  string    `json:"username,omitempty"`
}

// credFile is the credentials file: one entry per server, keyed by
// serverKey.
type credFile struct {
	Servers map[string]credentials `json:"servers"`
}

// credStore keeps tokens in one JSON file that only its owner can read:
// the directory is 0700, the file 0600, replaced atomically (a temporary
// file renamed over it) so a crash never leaves half a file.
type credStore struct{ path string }

// defaultCredStore is os.UserConfigDir()/distrisearch/credentials.json.
func defaultCredStore() (credStore, error) {
	dir, err := os.UserConfigDir()
	if err != nil {
		return credStore{}, fmt.Errorf("find the configuration directory for saved logins: %w", err)
	}
	return credStore{path: filepath.Join(dir, "distrisearch", "credentials.json")}, nil
}

// serverKey normalises a server address so that spellings of one server
// share their login: lower-case scheme and host, no trailing slash.
func serverKey(server string) string {
	s := strings.TrimRight(strings.TrimSpace(server), "/")
	u, err := url.Parse(s)
	if err != nil || u.Host == "" {
		return s
	}
	return strings.ToLower(u.Scheme) + "://" + strings.ToLower(u.Host) + strings.TrimRight(u.Path, "/")
}

func (s credStore) load() (credFile, error) {
	f := credFile{Servers: map[string]credentials{}}
	b, err := os.ReadFile(s.path)
	if errors.Is(err, os.ErrNotExist) {
		return f, nil
	}
	if err != nil {
		return f, fmt.Errorf("read saved logins: %w", err)
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return f, fmt.Errorf("saved logins in %s are damaged (%v); remove the file and log in again", s.path, err)
	}
	if f.Servers == nil {
		f.Servers = map[string]credentials{}
	}
	return f, nil
}

// get returns the saved login for server.
func (s credStore) get(server string) (credentials, bool, error) {
	f, err := s.load()
	if err != nil {
		return credentials{}, false, err
	}
	c, ok := f.Servers[serverKey(server)]
	return c, ok, nil
}

// put saves c as the login for c.Server, replacing any other.
func (s credStore) put(c credentials) error {
	f, err := s.load()
	if err != nil {
		return err
	}
	c.Server = serverKey(c.Server)
	f.Servers[c.Server] = c
	return s.save(f)
}

// forget drops the token saved for server but keeps the CA file, so the
// next login needs no --ca, and reports whether there was a token.
func (s credStore) forget(server string) (bool, error) {
	f, err := s.load()
	if err != nil {
		return false, err
	}
	key := serverKey(server)
	c, ok := f.Servers[key]
	if !ok {
		return false, nil
	}
	if c.CAFile == "" {
		delete(f.Servers, key)
	} else {
		f.Servers[key] = credentials{Server: key, CAFile: c.CAFile}
	}
	return c.Token != "", s.save(f)
}

func (s credStore) save(f credFile) error {
	dir := filepath.Dir(s.path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, ".credentials-*.tmp")
	if err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	defer os.Remove(tmp.Name()) // after a successful rename there is nothing to remove
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("save the login: %w", err)
	}
	if _, err := tmp.Write(append(b, '\n')); err != nil {
		tmp.Close()
		return fmt.Errorf("save the login: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("save the login: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	if err := os.Rename(tmp.Name(), s.path); err != nil {
		return fmt.Errorf("save the login: %w", err)
	}
	return nil
}
