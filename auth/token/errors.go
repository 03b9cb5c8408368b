package token

import distrisearch "github.com/distrisearch/distrisearch"

// Stable error codes, seen by clients as the "code" of a 401 answer.
const (
	CodeMissing       = "token_missing"
	CodeMalformed     = "token_malformed"
	CodeExpired       = "token_expired"
	CodeNotYetValid   = "token_not_yet_valid"
	CodeBadSignature  = "token_bad_signature"
	CodeBadIssuer     = "token_bad_issuer"
	CodeRevoked       = "token_revoked"
	CodeTooLarge      = "token_too_large"
	CodeAlgNotAllowed = "token_alg_not_allowed"
)

const op = "token.Verify"

func unauthorized(code, msg string) *distrisearch.Error {
	return &distrisearch.Error{Kind: distrisearch.KindUnauthorized, Code: code, Message: msg, Op: op}
}
