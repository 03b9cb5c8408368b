package replica

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/cluster"
	"github.com/distrisearch/distrisearch/replica/kv"
	"github.com/distrisearch/distrisearch/replica/merkle"
	"github.com/distrisearch/distrisearch/replica/quorum"
	"github.com/distrisearch/distrisearch/replica/version"
	"github.com/distrisearch/distrisearch/transport"
)

// fakes are structs of function fields (STYLE.md §4).
type fakeView struct{ v *cluster.View }

func (f fakeView) View() *cluster.View { return f.v }

type fakeRouter struct{ mux *http.ServeMux }

func (f fakeRouter) HandleInternal(p string, h http.Handler) { f.mux.Handle(p, h) }
func (f fakeRouter) MemberOnly(h http.Handler) http.Handler  { return h }

type fakeDoer struct {
	do func(*http.Request) (*http.Response, error)
}

func (f fakeDoer) Do(r *http.Request, _ ...transport.CallOption) (*http.Response, error) {
	if f.do == nil {
		return nil, errors.New("no network in this test")
	}
	return f.do(r)
}

// newUnit returns a service for node "a" in a 4-member view with RF = 2,
// and the mux serving its routes.
func newUnit(t *testing.T) (*Service, *http.ServeMux, *Layout) {
	t.Helper()
	st, err := kv.Open(filepath.Join(t.TempDir(), "r.db"), kv.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	v := &cluster.View{Index: 7, Config: cluster.ClusterConfig{PartitionCount: 8, ReplicationFactor: 2}}
	for _, id := range []string{"a", "b", "c", "d"} {
		v.Members = append(v.Members, cluster.Member{ID: id, Role: cluster.RoleHybrid, Status: cluster.StatusAlive})
	}
	cfg := DefaultConfig()
	cfg.MaxValueBytes = 1 << 10
	cfg.MaxBodyBytes = 8 << 10
	cfg.MaxBatch = 4
	s, err := New(cfg, Deps{Self: "a", View: fakeView{v}, Store: st, Client: fakeDoer{}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	mux := http.NewServeMux()
	s.Register(fakeRouter{mux})
	l, err := s.layout()
	if err != nil {
		t.Fatal(err)
	}
	return s, mux, l
}

func keyIn(l *Layout, held bool) (string, int) {
	for i := 0; ; i++ {
		k := "key-" + strings.Repeat("x", i%3) + string(rune('a'+i%26)) + string(rune('0'+i/26%10))
		p := l.Table.PartitionOf(k)
		if l.Table.Holds("a", p) == held {
			return k, p
		}
	}
}

func post(t *testing.T, mux *http.ServeMux, path string, body []byte) *httptest.ResponseRecorder {
	t.Helper()
	rec := httptest.NewRecorder()
	mux.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, path, bytes.NewReader(body)))
	return rec
}

func TestWriteHandler(t *testing.T) {
	s, mux, l := newUnit(t)
	held, hp := keyIn(l, true)
	other, op := keyIn(l, false)
	c, _ := clock.FromMap(map[string]uint64{"b": 1})
	env := func(k string) version.Envelope {
		return version.Envelope{Key: k, Version: version.Version{Clock: c, Stamp: clock.Timestamp{Wall: 1}, Writer: "b"}, Value: []byte("v")}
	}
	req := WriteRequest{ViewIndex: 7, Entries: []WriteEntry{
		{Partition: hp, Envelope: env(held)},
		{Partition: op, Envelope: env(other)},
		{Partition: (hp + 1) % 8, Envelope: env(held)},
		{Partition: hp, Envelope: version.Envelope{Key: held, Value: bytes.Repeat([]byte("x"), 2<<10)}},
	}}
	body, _ := json.Marshal(req)
	rec := post(t, mux, PathWrite, body)
	var resp WriteResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &resp); err != nil || rec.Code != 200 {
		t.Fatalf("status %d: %s", rec.Code, rec.Body)
	}
	want := []string{CodeOK, CodeNotReplica, CodeInvalid, CodeInvalid}
	for i, r := range resp.Results {
		if r.Code != want[i] {
			t.Errorf("entry %d: %s (%s), want %s", i, r.Code, r.Error, want[i])
		}
	}
	if _, ok, _ := s.store.Get(hp, held); !ok {
		t.Fatal("acknowledged entry not stored")
	}
	// Oversized bodies, too many entries and garbage are refused.
	if rec := post(t, mux, PathWrite, bytes.Repeat([]byte(" "), 9<<10)); rec.Code != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized body: %d", rec.Code)
	}
	many, _ := json.Marshal(WriteRequest{Entries: make([]WriteEntry, 5)})
	if rec := post(t, mux, PathWrite, many); rec.Code != http.StatusBadRequest {
		t.Errorf("too many entries: %d", rec.Code)
	}
	if rec := post(t, mux, PathWrite, []byte("{")); rec.Code != http.StatusBadRequest {
		t.Errorf("garbage: %d", rec.Code)
	}
}

func TestReadAndTreeHandlers(t *testing.T) {
	s, mux, l := newUnit(t)
	k, p := keyIn(l, true)
	if _, err := s.Put(t.Context(), k, []byte("v"), quorum.Eventual); err != nil { // the local copy acks
		t.Fatal(err)
	}
	// The other replica failed: it holds a hint now (once the background
	// attempt finished).
	s.Close()
	if n := s.store.PendingHints(); len(n) != 1 {
		t.Fatalf("hints %v", n)
	}
	get := func(path string) *httptest.ResponseRecorder {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		return rec
	}
	rec := get(PathRead + ResourceID(k) + "?partition=" + itoa(p))
	var rr ReadResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &rr); err != nil || !rr.Found || string(rr.Envelope.Value) != "v" {
		t.Fatalf("read: %d %s", rec.Code, rec.Body)
	}
	for _, bad := range []string{PathRead + "!!!?partition=0", PathRead + ResourceID(k) + "?partition=99", PathRead + ResourceID(k) + "?partition=" + itoa((p+1)%8)} {
		if rec := get(bad); rec.Code != http.StatusBadRequest {
			t.Errorf("%s: %d", bad, rec.Code)
		}
	}
	rec = get(PathMerkleRoot + "?partition=" + itoa(p))
	var root RootResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &root); err != nil || root.Keys != 1 {
		t.Fatalf("root: %s", rec.Body)
	}
	tooMany, _ := json.Marshal(TreeRequest{Partition: p, Paths: make([]merkle.Path, 257)})
	if rec := post(t, mux, PathMerkleChildren, tooMany); rec.Code != http.StatusBadRequest {
		t.Errorf("too many paths: %d", rec.Code)
	}
}

func itoa(i int) string { b, _ := json.Marshal(i); return string(b) }
