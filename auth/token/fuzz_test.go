package token

import (
	"crypto/ed25519"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"
)

// FuzzParseToken: Verify never panics, and whatever it accepts carries a
// valid Ed25519 signature by our key over its first two parts.
func FuzzParseToken(f *testing.F) {
	fx := newFixture(f, DefaultConfig())
	good, _ := fx.issue(f)
	p := strings.Split(good, ".")
	f.Add(good)
	f.Add(p[0] + "." + p[1] + ".")
	f.Add(b64(map[string]any{"alg": "none", "kid": fx.key.ID}) + "." + p[1] + ".")
	f.Add(b64(map[string]any{"alg": "HS256", "kid": fx.key.ID}) + "." + p[1] + "." + p[2])
	f.Add("garbage")
	f.Add("")
	f.Fuzz(func(t *testing.T, s string) {
		c, err := fx.tok.Verify(s)
		if err != nil {
			return
		}
		q := strings.Split(s, ".")
		if len(q) != 3 || q[2] == "" {
			t.Fatalf("accepted a token without a signature: %q", s)
		}
		hb, err1 := base64.RawURLEncoding.DecodeString(q[0])
		sig, err2 := base64.RawURLEncoding.DecodeString(q[2])
		var hdr map[string]any
		if err1 != nil || err2 != nil || json.Unmarshal(hb, &hdr) != nil || hdr["alg"] != "EdDSA" {
			t.Fatalf("accepted a token not signed with EdDSA: %q", s)
		}
		if !ed25519.Verify(fx.key.Public, []byte(q[0]+"."+q[1]), sig) {
			t.Fatalf("accepted a token our key did not sign: %q", s)
		}
		if c.Subject == "" || c.ID == "" {
			t.Fatalf("accepted claims without subject or id: %+v", c)
		}
	})
}
