package audit

import (
	"encoding/json"
	"fmt"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// entryJSON has Entry's fields without its methods, so MarshalJSON can
// use the default encoding.
type entryJSON Entry

// MarshalJSON encodes e with encoding/json (which escapes C0 controls,
// <, >, &, U+2028 and U+2029) and then also escapes DEL, C1 controls and
// every other non-printable rune (bidirectional overrides, zero-width
// characters), so no user-controlled text reaches a terminal or a log
// viewer raw. Decoding gives back the exact stored text.
func (e Entry) MarshalJSON() ([]byte, error) {
	b, err := json.Marshal(entryJSON(e))
	if err != nil {
		return nil, fmt.Errorf("encode audit entry: %w", err)
	}
	return escapeJSON(b), nil
}

// escapeJSON rewrites non-printable runes of a JSON document as \u
// escapes. Outside strings JSON is printable ASCII, so every such rune is
// inside a string, where the escape is valid.
func escapeJSON(b []byte) []byte {
	clean := true
	for _, r := range string(b) {
		if needsEscape(r) {
			clean = false
			break
		}
	}
	if clean {
		return b
	}
	out := make([]byte, 0, len(b)+32)
	for len(b) > 0 {
		r, n := utf8.DecodeRune(b)
		if needsEscape(r) {
			if r > 0xffff {
				r1, r2 := utf16.EncodeRune(r)
				out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
			} else {
				out = fmt.Appendf(out, `\u%04x`, r)
			}
		} else {
			out = append(out, b[:n]...)
		}
		b = b[n:]
	}
	return out
}

func needsEscape(r rune) bool {
	return r >= 0x7f && r != utf8.RuneError && !unicode.IsPrint(r)
}
