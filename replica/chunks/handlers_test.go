package chunks

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/transport"
)

// muxRouter registers routes on a plain mux; MemberOnly lets all through.
type muxRouter struct{ *http.ServeMux }

func (r muxRouter) HandleInternal(p string, h http.Handler) { r.Handle(p, h) }
func (muxRouter) MemberOnly(h http.Handler) http.Handler    { return h }

type noView struct{}

func (noView) View() *cluster.View { return nil }

type noDoer struct{}

func (noDoer) Do(*http.Request, ...transport.CallOption) (*http.Response, error) {
	return nil, io.ErrClosedPipe
}

func TestHandlers(t *testing.T) {
	st := openTestStore(t, StoreOptions{})
	svc, err := New(DefaultConfig(), Deps{Self: "n1", View: noView{}, Client: noDoer{}, Store: st})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Close()
	mux := http.NewServeMux()
	svc.Register(muxRouter{mux})
	srv := httptest.NewServer(mux)
	defer srv.Close()

	do := func(method, path string, body io.Reader) (int, string) {
		req, _ := http.NewRequest(method, srv.URL+path, body)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b)
	}
	data := randBytes(50, 70_000)
	h := Sum(data)
	if code, body := do(http.MethodPut, PathChunk+Sum([]byte("x")).String(), bytes.NewReader(data)); code != http.StatusBadRequest || !strings.Contains(body, CodeHashMismatch) {
		t.Fatalf("put under a wrong hash: %d %s", code, body)
	}
	if code, _ := do(http.MethodPut, PathChunk+"nothex", bytes.NewReader(data)); code != http.StatusBadRequest {
		t.Fatalf("bad hash: %d", code)
	}
	big := make([]byte, MaxChunkSize+1)
	if code, _ := do(http.MethodPut, PathChunk+Sum(big).String(), bytes.NewReader(big)); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("oversized chunk: %d", code)
	}
	if code, body := do(http.MethodGet, PathChunk+h.String(), nil); code != http.StatusNotFound || !strings.Contains(body, CodeNotFound) {
		t.Fatalf("get absent: %d %s", code, body)
	}
	miss := func(hs ...Hash) []Hash {
		b, _ := json.Marshal(MissingRequest{Hashes: hs})
		code, body := do(http.MethodPost, PathMissing, bytes.NewReader(b))
		if code != http.StatusOK {
			t.Fatalf("missing: %d %s", code, body)
		}
		var r MissingResponse
		if err := json.Unmarshal([]byte(body), &r); err != nil {
			t.Fatal(err)
		}
		return r.Missing
	}
	if got := miss(h); len(got) != 1 || got[0] != h {
		t.Fatalf("missing before put: %v", got)
	}
	if code, body := do(http.MethodPut, PathChunk+h.String(), bytes.NewReader(data)); code != http.StatusNoContent {
		t.Fatalf("put: %d %s", code, body)
	}
	if got := miss(h); len(got) != 0 {
		t.Fatalf("missing after put: %v", got)
	}
	if code, body := do(http.MethodGet, PathChunk+h.String(), nil); code != http.StatusOK || body != string(data) {
		t.Fatalf("get: %d, %d bytes", code, len(body))
	}
	tooMany := make([]Hash, MaxMissingBatch+1)
	b, _ := json.Marshal(MissingRequest{Hashes: tooMany})
	if code, _ := do(http.MethodPost, PathMissing, bytes.NewReader(b)); code != http.StatusBadRequest && code != http.StatusRequestEntityTooLarge {
		t.Fatalf("too many hashes: %d", code)
	}
}
