package audit

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

const hostile = "evil\r\nFAKE 2026-01-01 action=\"login_success\"\x1b[31mred\x1b]0;title\x07\x00nul\u202egnp.exe\u0085\u2028\x7f"

func hasRawControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == '\u2028' || r == '\u2029' || r == '\u202e' {
			return true
		}
	}
	return false
}

func TestStringEscapesUserText(t *testing.T) {
	clk := newFakeClock()
	l := openLog(t, testConfig(t, clk))
	e, err := l.Append(context.Background(), Entry{
		UserID: hostile, Username: hostile, Action: ActionLoginFailure, Resource: hostile,
		IPAddress: hostile, Result: ResultFailure, Details: map[string]string{hostile: hostile, "ua": "curl\n"},
	})
	if err != nil {
		t.Fatal(err)
	}
	s := e.String()
	if hasRawControl(s) {
		t.Fatalf("raw control character in %q", s)
	}
	for _, want := range []string{`\r\n`, `\x1b[31m`, `\x00`, `\a`, `\u202e`, `\u0085`, `\u2028`, `\x7f`, `details={`} {
		if !strings.Contains(s, want) {
			t.Errorf("rendering lacks %s: %s", want, s)
		}
	}
	if strings.Count(s, "action=") != 1 {
		// the forged "action=" is inside a quoted value, never a field of its own
		if !strings.Contains(s, `action=\"login_success\"`) {
			t.Errorf("forged field not escaped: %s", s)
		}
	}
	b, err := json.Marshal(e)
	if err != nil {
		t.Fatal(err)
	}
	if hasRawControl(string(b)) {
		t.Fatalf("raw control character in JSON %s", b)
	}
	var back Entry
	if err := json.Unmarshal(b, &back); err != nil || back.Username != hostile || back.Hash != e.Hash {
		t.Fatalf("JSON round trip: %v %q", err, back.Username)
	}
	// Stored as given: the query returns the exact bytes.
	p, err := l.Query(context.Background(), Filter{Username: hostile})
	if err != nil || len(p.Entries) != 1 || p.Entries[0].Resource != hostile || p.Entries[0].Details[bound(hostile, MaxDetailKeyLen)] != hostile {
		t.Fatalf("stored text changed: %+v %v", p, err)
	}
}

func TestTextIsBounded(t *testing.T) {
	l := openLog(t, testConfig(t, newFakeClock()))
	long := strings.Repeat("é", MaxFieldLen) // 2 bytes each
	details := map[string]string{}
	for i := 0; i < 40; i++ {
		details[strings.Repeat("k", 100)+string(rune('a'+i%26))+string(rune('a'+i/26))] = strings.Repeat("v", 1000)
	}
	e, err := l.Append(context.Background(), Entry{Username: long, Resource: "bad\xff\xfeutf8", Action: ActionUpload, Result: ResultSuccess, Details: details})
	if err != nil {
		t.Fatal(err)
	}
	if len(e.Username) > MaxFieldLen || !utf8.ValidString(e.Username) || len(e.Username) < MaxFieldLen-1 {
		t.Fatalf("username %d bytes, valid %v", len(e.Username), utf8.ValidString(e.Username))
	}
	if e.Resource != "bad\uFFFD\uFFFDutf8" && e.Resource != "bad\uFFFDutf8" {
		t.Fatalf("resource %q", e.Resource)
	}
	if len(e.Details) > MaxDetails {
		t.Fatalf("%d details", len(e.Details))
	}
	for k, v := range e.Details {
		if len(k) > MaxDetailKeyLen || len(v) > MaxDetailValueLn {
			t.Fatalf("detail %d/%d bytes", len(k), len(v))
		}
	}
	if b := verifyBreak(t, l); b != nil {
		t.Fatalf("broken: %+v", b)
	}
}
