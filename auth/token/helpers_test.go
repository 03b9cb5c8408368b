package token

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	distrisearch "github.com/distrisearch/distrisearch"
)

var t0 = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// clock is a settable test clock.
type clock struct{ t time.Time }

func (c *clock) Now() time.Time { return c.t }

type fixture struct {
	clk  *clock
	key  Key
	keys *KeySet
	tok  *Tokens
}

func newFixture(t testing.TB, cfg Config) *fixture {
	t.Helper()
	k, err := GenerateEd25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	clk := &clock{t: t0}
	tok, err := New(cfg, ks, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	return &fixture{clk: clk, key: k, keys: ks, tok: tok}
}

func (f *fixture) issue(t testing.TB) (string, Claims) {
	t.Helper()
	s, c, err := f.tok.Issue("u-1", "alice", []string{"user"})
	if err != nil {
		t.Fatal(err)
	}
	return s, c
}

// wantCode asserts err is an unauthorized *distrisearch.Error with code.
func wantCode(t *testing.T, err error, code string) {
	t.Helper()
	var de *distrisearch.Error
	if !errors.As(err, &de) {
		t.Fatalf("got %v (%T), want *distrisearch.Error %s", err, err, code)
	}
	if de.Kind != distrisearch.KindUnauthorized || de.Code != code {
		t.Fatalf("got kind %s code %s (%v), want unauthorized %s", de.Kind, de.Code, err, code)
	}
}

func b64(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

func unb64(t testing.TB, s string) map[string]any {
	t.Helper()
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	m := map[string]any{}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

func parts(t testing.TB, s string) []string {
	t.Helper()
	p := strings.Split(s, ".")
	if len(p) != 3 {
		t.Fatalf("token has %d parts", len(p))
	}
	return p
}
