package token

import (
	"slices"
	"strings"
	"testing"
	"time"
)

func TestIssueVerifyRoundTrip(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	s, issued := f.issue(t)
	got, err := f.tok.Verify(s)
	if err != nil {
		t.Fatal(err)
	}
	if got.Subject != "u-1" || got.Username != "alice" || !slices.Equal(got.Roles, []string{"user"}) ||
		got.Issuer != "distrisearch" || got.KeyID != f.key.ID || got.ID == "" || got.ID != issued.ID {
		t.Fatalf("claims %+v", got)
	}
	if !got.IssuedAt.Equal(t0) || !got.NotBefore.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(24*time.Hour)) {
		t.Fatalf("times %+v", got)
	}
	hdr := unb64(t, parts(t, s)[0])
	if hdr["alg"] != "EdDSA" || hdr["kid"] != f.key.ID {
		t.Fatalf("header %v", hdr)
	}
	_, again, _ := f.tok.Issue("u-1", "alice", nil)
	if again.ID == issued.ID {
		t.Fatal("jti repeated")
	}
}

func TestHMACKey(t *testing.T) {
	k, err := GenerateHMAC(nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, _ := NewKeySet(k)
	cfg := DefaultConfig()
	if _, err := New(cfg, ks, Options{Now: time.Now}); err == nil {
		t.Fatal("HS256 key accepted with an EdDSA-only allow-list")
	}
	cfg.Algorithms = []Alg{HS256}
	clk := &clock{t: t0}
	tk, err := New(cfg, ks, Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := tk.Issue("u-2", "bob", []string{"admin"})
	if err != nil {
		t.Fatal(err)
	}
	c, err := tk.Verify(s)
	if err != nil || c.Username != "bob" {
		t.Fatalf("%+v %v", c, err)
	}
}

func TestLeewayAndExpiry(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	s, _ := f.issue(t)
	f.clk.t = t0.Add(24*time.Hour + 20*time.Second) // within 30 s leeway
	if _, err := f.tok.Verify(s); err != nil {
		t.Fatalf("within leeway: %v", err)
	}
	f.clk.t = t0.Add(24*time.Hour + 31*time.Second)
	_, err := f.tok.Verify(s)
	wantCode(t, err, CodeExpired)

	f.clk.t = t0.Add(-20 * time.Second) // skewed node, within leeway
	if _, err := f.tok.Verify(s); err != nil {
		t.Fatalf("skew within leeway: %v", err)
	}
	f.clk.t = t0.Add(-time.Minute)
	_, err = f.tok.Verify(s)
	wantCode(t, err, CodeNotYetValid)
}

func TestRevocation(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	revoked := map[string]bool{}
	tk, err := New(DefaultConfig(), f.keys, Options{Now: f.clk.Now, Revoked: func(j string) bool { return revoked[j] }})
	if err != nil {
		t.Fatal(err)
	}
	s, c, _ := tk.Issue("u-1", "alice", nil)
	if _, err := tk.Verify(s); err != nil {
		t.Fatal(err)
	}
	revoked[c.ID] = true
	_, err = tk.Verify(s)
	wantCode(t, err, CodeRevoked)
}

// TestVoidBefore: a cutoff voids exactly the subject's tokens issued
// before it, to the nanosecond, and no other subject's.
func TestVoidBefore(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	cutoffs := map[string]time.Time{}
	tk, err := New(DefaultConfig(), f.keys, Options{Now: f.clk.Now, VoidBefore: func(sub string) time.Time { return cutoffs[sub] }})
	if err != nil {
		t.Fatal(err)
	}
	before, _, _ := tk.Issue("u-1", "alice", nil)
	other, _, _ := tk.Issue("u-2", "bob", nil)
	f.clk.t = f.clk.t.Add(time.Millisecond) // same second
	cutoffs["u-1"] = f.clk.t
	f.clk.t = f.clk.t.Add(time.Millisecond)
	after, _, _ := tk.Issue("u-1", "alice", nil)
	_, err = tk.Verify(before)
	wantCode(t, err, CodeRevoked)
	if _, err := tk.Verify(after); err != nil {
		t.Fatalf("a token issued after the cutoff, in the same second: %v", err)
	}
	if _, err := tk.Verify(other); err != nil {
		t.Fatalf("another user's token: %v", err)
	}
}

func TestRotation(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	old, _ := f.issue(t)
	k2, _ := GenerateEd25519(nil)
	// Retire the old key early on purpose, to see retirement enforced.
	if err := f.keys.Rotate(k2, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := f.keys.Rotate(k2, t0); err == nil {
		t.Fatal("rotating to the current key accepted")
	}
	fresh, c := f.issue(t)
	if c.KeyID != k2.ID {
		t.Fatalf("new token signed by %s, want %s", c.KeyID, k2.ID)
	}
	for _, s := range []string{old, fresh} {
		if _, err := f.tok.Verify(s); err != nil {
			t.Fatalf("before retirement: %v", err)
		}
	}
	f.clk.t = t0.Add(2 * time.Hour)
	_, err := f.tok.Verify(old)
	wantCode(t, err, CodeBadSignature)
	if _, err := f.tok.Verify(fresh); err != nil {
		t.Fatal(err)
	}
	if n := f.keys.Prune(f.clk.t); n != 1 || !slices.Equal(f.keys.IDs(), []string{k2.ID}) {
		t.Fatalf("prune dropped %d, kept %v", n, f.keys.IDs())
	}
	if n := f.keys.Prune(f.clk.t.Add(1000 * time.Hour)); n != 0 {
		t.Fatal("prune dropped the current key")
	}
}

func TestKeyValidation(t *testing.T) {
	ed, _ := GenerateEd25519(nil)
	hm, _ := GenerateHMAC(nil)
	bad := []Key{
		{},
		{ID: "x", Alg: "RS256"},
		{ID: "x", Alg: EdDSA, Public: ed.Public[:10]},
		{ID: "x", Alg: EdDSA, Public: ed.Public, Secret: hm.Secret},
		{ID: "x", Alg: HS256, Secret: []byte("short")},
		{ID: "x", Alg: HS256, Secret: hm.Secret, Public: ed.Public},
		{ID: strings.Repeat("k", 65), Alg: HS256, Secret: hm.Secret},
	}
	for i, k := range bad {
		if k.Validate() == nil {
			t.Errorf("bad key %d accepted", i)
		}
	}
	if _, err := NewKeySet(ed.VerifyOnly()); err == nil {
		t.Error("verify-only key accepted as signing key")
	}
	if _, err := NewKeySet(ed, Key{ID: ed.ID, Alg: HS256, Secret: hm.Secret}); err == nil {
		t.Error("duplicate kid accepted")
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatal(err)
	}
	muts := []func(*Config){
		func(c *Config) { c.Issuer = "" },
		func(c *Config) { c.TTL = 0 },
		func(c *Config) { c.Leeway = -time.Second },
		func(c *Config) { c.Leeway = time.Hour },
		func(c *Config) { c.MaxTokenBytes = 10 },
		func(c *Config) { c.Algorithms = nil },
		func(c *Config) { c.Algorithms = []Alg{"none"} },
		func(c *Config) { c.Algorithms = []Alg{"RS256"} },
	}
	for i, m := range muts {
		c := DefaultConfig()
		m(&c)
		if c.Validate() == nil {
			t.Errorf("mutation %d accepted", i)
		}
	}
}

func TestFromHeader(t *testing.T) {
	if s, err := FromHeader("Bearer abc.def.ghi"); err != nil || s != "abc.def.ghi" {
		t.Fatal(s, err)
	}
	if s, err := FromHeader("bearer  xyz"); err != nil || s != "xyz" {
		t.Fatal(s, err)
	}
	_, err := FromHeader("")
	wantCode(t, err, CodeMissing)
	for _, h := range []string{"Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "abc.def.ghi"} {
		_, err := FromHeader(h)
		wantCode(t, err, CodeMalformed)
	}
}

func BenchmarkIssue(b *testing.B) {
	f := newFixture(b, DefaultConfig())
	for b.Loop() {
		if _, _, err := f.tok.Issue("u-1", "alice", []string{"user"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerify(b *testing.B) {
	f := newFixture(b, DefaultConfig())
	s, _ := f.issue(b)
	for b.Loop() {
		if _, err := f.tok.Verify(s); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyHS256(b *testing.B) {
	k, _ := GenerateHMAC(nil)
	ks, _ := NewKeySet(k)
	cfg := DefaultConfig()
	cfg.Algorithms = []Alg{HS256}
	tk, _ := New(cfg, ks, Options{Now: func() time.Time { return t0 }})
	s, _, _ := tk.Issue("u-1", "alice", []string{"user"})
	for b.Loop() {
		if _, err := tk.Verify(s); err != nil {
			b.Fatal(err)
		}
	}
}
