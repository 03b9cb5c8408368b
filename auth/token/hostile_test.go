package token

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// bothAlgs allows EdDSA and HS256 at once: the configuration in which
// algorithm confusion would be possible if keys did not decide the method.
func bothAlgs() Config {
	c := DefaultConfig()
	c.Algorithms = []Alg{EdDSA, HS256}
	return c
}

func hs256(secret []byte, header, payload string) string {
	m := hmac.New(sha256.New, secret)
	m.Write([]byte(header + "." + payload))
	return header + "." + payload + "." + base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func goodPayload(issuer string) map[string]any {
	return map[string]any{
		"sub": "u-1", "username": "mallory", "roles": []string{"admin"}, "iss": issuer,
		"jti": "j1", "iat": t0.Unix(), "nbf": t0.Unix(), "exp": t0.Add(time.Hour).Unix(),
	}
}

func TestHostileAlgNone(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), bothAlgs()} {
		f := newFixture(t, cfg)
		for _, alg := range []string{"none", "None", "NONE", "nOnE"} {
			h := b64(map[string]any{"alg": alg, "typ": "JWT", "kid": f.key.ID})
			p := b64(goodPayload("distrisearch"))
			for _, s := range []string{h + "." + p + ".", h + "." + p + ".AAAA"} {
				_, err := f.tok.Verify(s)
				wantCode(t, err, CodeAlgNotAllowed)
			}
		}
		// The library's own "none" token.
		tok := jwt.NewWithClaims(jwt.SigningMethodNone, jwt.MapClaims(goodPayload("distrisearch")))
		tok.Header["kid"] = f.key.ID
		s, err := tok.SignedString(jwt.UnsafeAllowNoneSignatureType)
		if err != nil {
			t.Fatal(err)
		}
		_, err = f.tok.Verify(s)
		wantCode(t, err, CodeAlgNotAllowed)
	}
}

func TestHostileHMACWithPublicKey(t *testing.T) {
	for _, cfg := range []Config{DefaultConfig(), bothAlgs()} {
		f := newFixture(t, cfg)
		h := b64(map[string]any{"alg": "HS256", "typ": "JWT", "kid": f.key.ID})
		p := b64(goodPayload("distrisearch"))
		for _, secret := range [][]byte{f.key.Public, []byte(base64.StdEncoding.EncodeToString(f.key.Public))} {
			_, err := f.tok.Verify(hs256(secret, h, p))
			wantCode(t, err, CodeAlgNotAllowed)
		}
	}
}

func TestHostileOtherAlgorithms(t *testing.T) {
	f := newFixture(t, bothAlgs())
	for _, alg := range []string{"RS256", "ES256", "HS512", "PS256", "XYZ", ""} {
		h := b64(map[string]any{"alg": alg, "kid": f.key.ID})
		_, err := f.tok.Verify(h + "." + b64(goodPayload("distrisearch")) + ".c2ln")
		wantCode(t, err, CodeAlgNotAllowed)
	}
}

func TestHostileTamperedRole(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	s, _ := f.issue(t)
	p := parts(t, s)
	claims := unb64(t, p[1])
	claims["roles"] = []string{"admin"}
	forged := p[0] + "." + b64(claims) + "." + p[2]
	_, err := f.tok.Verify(forged)
	wantCode(t, err, CodeBadSignature)

	// Flipping one signature character.
	sig := []byte(p[2])
	if sig[5] == 'A' {
		sig[5] = 'B'
	} else {
		sig[5] = 'A'
	}
	_, err = f.tok.Verify(p[0] + "." + p[1] + "." + string(sig))
	wantCode(t, err, CodeBadSignature)

	// Dropping the signature.
	_, err = f.tok.Verify(p[0] + "." + p[1] + ".")
	wantCode(t, err, CodeBadSignature)
}

func TestHostileWrongIssuer(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	cfg := DefaultConfig()
	cfg.Issuer = "someone-else"
	other, err := New(cfg, f.keys, Options{Now: f.clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, _, _ := other.Issue("u-1", "alice", []string{"admin"})
	_, err = f.tok.Verify(s)
	wantCode(t, err, CodeBadIssuer)
}

func TestHostileUnknownKid(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	g := newFixture(t, DefaultConfig()) // another cluster's key
	s, _ := g.issue(t)
	_, err := f.tok.Verify(s)
	wantCode(t, err, CodeBadSignature)

	// A token naming our kid but signed by the other key.
	p := parts(t, s)
	h := unb64(t, p[0])
	h["kid"] = f.key.ID
	_, err = f.tok.Verify(b64(h) + "." + p[1] + "." + p[2])
	wantCode(t, err, CodeBadSignature)

	// No kid at all, and a non-string kid.
	for _, kid := range []any{nil, 42, []string{f.key.ID}} {
		h := unb64(t, p[0])
		if kid == nil {
			delete(h, "kid")
		} else {
			h["kid"] = kid
		}
		_, err = f.tok.Verify(b64(h) + "." + p[1] + "." + p[2])
		wantCode(t, err, CodeBadSignature)
	}
}

func TestHostileMissingClaims(t *testing.T) {
	k, _ := GenerateHMAC(nil)
	ks, _ := NewKeySet(k)
	cfg := DefaultConfig()
	cfg.Algorithms = []Alg{HS256}
	clk := &clock{t: t0}
	tk, _ := New(cfg, ks, Options{Now: clk.Now})
	h := b64(map[string]any{"alg": "HS256", "kid": k.ID})
	for _, drop := range []string{"exp", "sub", "jti", "iss"} {
		p := goodPayload("distrisearch")
		delete(p, drop)
		_, err := tk.Verify(hs256(k.Secret, h, b64(p)))
		wantCode(t, err, CodeMalformed) // a required claim is missing
	}
	// A correctly signed token with a string where a number belongs.
	p := goodPayload("distrisearch")
	p["exp"] = "tomorrow"
	_, err := tk.Verify(hs256(k.Secret, h, b64(p)))
	wantCode(t, err, CodeMalformed)
}

func TestHostileSizeAndGarbage(t *testing.T) {
	f := newFixture(t, DefaultConfig())
	huge := strings.Repeat("A", 1<<20)
	_, err := f.tok.Verify(huge + "." + huge + "." + huge)
	wantCode(t, err, CodeTooLarge)
	_, err = f.tok.Verify(strings.Repeat("a", DefaultConfig().MaxTokenBytes+1))
	wantCode(t, err, CodeTooLarge)
	_, err = f.tok.Verify("")
	wantCode(t, err, CodeMissing)
	_, err = f.tok.Verify("e30.e30.e30") // a header without alg
	wantCode(t, err, CodeAlgNotAllowed)
	for _, g := range []string{"garbage", "a.b", "a.b.c.d", "...", "\x00\x01.\xff.\n", "eyJ.eyJ.sig",
		b64(map[string]any{"alg": "EdDSA"}) + ".!!!.sig"} {
		_, err := f.tok.Verify(g)
		wantCode(t, err, CodeMalformed)
	}
}
