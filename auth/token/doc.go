// Package token issues and verifies DistriSearch's JWT bearer tokens.
//
// Contract:
//   - A token carries sub, username, roles, exp (Config.TTL, 24 h by
//     default), iat, nbf, iss and jti, and a kid header naming its key.
//   - Keys are Ed25519 (alg EdDSA) or HMAC-SHA256 (alg HS256), supplied by
//     the caller through a KeySource (a KeySet here, the cluster state
//     later). Rotation: a new key signs, older keys keep verifying until
//     their RetireAt, which the rotator sets past the last token they signed.
//   - Verify refuses, before parsing, anything longer than
//     Config.MaxTokenBytes; accepts only the algorithms in
//     Config.Algorithms (jwt.WithValidMethods) and only the algorithm the
//     named key was made for (no HMAC-with-a-public-key confusion);
//     requires the issuer, exp, sub and jti; allows Config.Leeway of clock
//     skew; and then asks the revocation hook about the jti.
//   - Every refusal is a *distrisearch.Error of KindUnauthorized with one
//     of the stable codes below (Code...). Messages never echo the token.
//   - Time comes from Options.Now; nothing here reads the clock directly.
package token
