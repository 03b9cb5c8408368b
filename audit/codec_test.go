package audit

import (
	"bytes"
	"encoding/hex"
	"testing"
	"time"
)

func goldenEntry() Entry {
	return Entry{
		ID: "id1", Node: "n1", Seq: 2, Time: time.Unix(0, 0x0102030405060708).UTC(),
		UserID: "u", Username: "al", Action: ActionLoginSuccess, Resource: "", IPAddress: "::1",
		Result: ResultSuccess, Details: map[string]string{"b": "2", "a": "1"},
	}
}

// TestCanonicalEncodingIsStable pins the documented format (DESIGN.md):
// changing it breaks every stored chain.
func TestCanonicalEncodingIsStable(t *testing.T) {
	e := goldenEntry()
	want := "01" + "0000000000000002" + "0102030405060708" +
		"00000003" + hex.EncodeToString([]byte("id1")) +
		"00000002" + hex.EncodeToString([]byte("n1")) +
		"00000001" + hex.EncodeToString([]byte("u")) +
		"00000002" + hex.EncodeToString([]byte("al")) +
		"0000000d" + hex.EncodeToString([]byte("login_success")) +
		"00000000" +
		"00000003" + hex.EncodeToString([]byte("::1")) +
		"00000007" + hex.EncodeToString([]byte("success")) +
		"0002" +
		"00000001" + "61" + "00000001" + "31" +
		"00000001" + "62" + "00000001" + "32"
	if got := hex.EncodeToString(canonical(&e)); got != want {
		t.Fatalf("canonical encoding\n got %s\nwant %s", got, want)
	}
	var prev Hash
	prev[0] = 0xff
	e.PrevHash = prev
	e.Hash = chainHash(prev, canonical(&e))
	const wantHash = "9e6190f1b56d1340db140f69a5d2033776948b1022363d8bffa44c45ea78f8d3"
	if e.Hash.String() != wantHash {
		t.Fatalf("hash %s, want %s", e.Hash, wantHash)
	}
	back, canon, err := decodeRecord(encodeRecord(&e))
	if err != nil || !bytes.Equal(canon, canonical(&e)) || back.String() != e.String() || back.PrevHash != prev {
		t.Fatalf("round trip: %v\n%s\n%s", err, back, e)
	}
}

func FuzzDecodeRecord(f *testing.F) {
	e := goldenEntry()
	f.Add(encodeRecord(&e))
	f.Add([]byte{})
	f.Add(make([]byte, 2*HashLen+1))
	f.Fuzz(func(t *testing.T, b []byte) {
		e, canon, err := decodeRecord(b)
		if err != nil {
			return
		}
		// Whatever decodes re-encodes to the same bytes: one entry, one encoding.
		if !bytes.Equal(canonical(&e), canon) {
			t.Fatalf("re-encoding differs")
		}
	})
}
