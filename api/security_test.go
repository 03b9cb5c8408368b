package api

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/ratelimit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/auth/token"
	"github.com/distrisearch/distrisearch/clock"
	"github.com/distrisearch/distrisearch/events"
)

// who calls: the matrix's columns.
type caller string

const (
	noToken  caller = "no token"
	badToken caller = "bad token"
	guest    caller = rbac.RoleGuest
	user     caller = rbac.RoleUser
	admin    caller = rbac.RoleAdmin
	node     caller = rbac.RoleNode
)

// access levels: who may call a route. Written out here, independently of
// the server's permission table, so a wrong entry there fails this test.
const (
	lvlPublic = "public"        // everyone, even without a token
	lvlSigned = "authenticated" // any valid token
	lvlRead   = "read:files"    // guest, user, admin
	lvlUser   = "user"          // user and admin (read:nodes, read:events)
	lvlAdmin  = "admin"         // admin only
)

// matrixCase is one route: its level, a request that succeeds when the
// caller is allowed, and the status of that success.
type matrixCase struct {
	level  string
	method string
	target string
	body   func() string
	ok     int
}

func matrixCases() map[string]matrixCase {
	n := 0
	unique := func() string {
		n++
		return fmt.Sprintf(`{"username":"u%d","password":"secret-pass","roles":["user"]}`, n)
	}
	static := func(s string) func() string { return func() string { return s } }
	none := static("")
	return map[string]matrixCase{
		"GET /api/health":            {lvlPublic, "GET", "/api/health", none, 200},
		"GET /api/openapi.json":      {lvlPublic, "GET", "/api/openapi.json", none, 200},
		"GET /metrics":               {lvlPublic, "GET", "/metrics", none, 200},
		"POST /api/auth/login":       {lvlPublic, "POST", "/api/auth/login", static(`{"username":"alice","password":"alice-password"}`), 200},
		"POST /api/auth/logout":      {lvlSigned, "POST", "/api/auth/logout", none, 200},
		"GET /api/auth/me":           {lvlSigned, "GET", "/api/auth/me", none, 200},
		"POST /api/auth/keys/rotate": {lvlAdmin, "POST", "/api/auth/keys/rotate", none, 200},
		"GET /api/search":            {lvlRead, "GET", "/api/search?q=x", none, 200},
		"POST /api/files":            {lvlUser, "POST", "/api/files?name=up.txt", static("uploaded bytes"), 201},
		// Without a multipart body an allowed caller reaches the handler,
		// which refuses the content type.
		"POST /api/files/batch":             {lvlUser, "POST", "/api/files/batch", static("not multipart"), 400},
		"DELETE /api/files/{file_id}":       {lvlUser, "DELETE", "/api/files/" + fileU, none, 204},
		"DELETE /api/folders":               {lvlUser, "DELETE", "/api/folders?path=reports", none, 200},
		"POST /api/folders/move":            {lvlUser, "POST", "/api/folders/move", static(`{"from":"reports","to":"archive"}`), 200},
		"GET /api/files/{file_id}":          {lvlRead, "GET", "/api/files/" + fileA, none, 200},
		"GET /api/files/{file_id}/content":  {lvlRead, "GET", "/api/files/" + fileA + "/content", none, 200},
		"GET /api/files/{file_id}/download": {lvlRead, "GET", "/api/files/" + fileA + "/download", none, 200},
		"GET /api/status":                   {lvlUser, "GET", "/api/status", none, 200},
		"GET /api/nodes":                    {lvlUser, "GET", "/api/nodes", none, 200},
		"GET /api/cluster":                  {lvlUser, "GET", "/api/cluster", none, 200},
		"GET /api/events":                   {lvlUser, "GET", "/api/events", none, 200},
		"POST /api/node/leave":              {lvlAdmin, "POST", "/api/node/leave", none, 200},
		"GET /api/users":                    {lvlAdmin, "GET", "/api/users", none, 200},
		"POST /api/users":                   {lvlAdmin, "POST", "/api/users", unique, 201},
		"PATCH /api/users/{username}":       {lvlAdmin, "PATCH", "/api/users/alice", static(`{"disabled":false}`), 200},
		"GET /api/audit":                    {lvlAdmin, "GET", "/api/audit", none, 200},
		"GET /api/audit/verify":             {lvlAdmin, "GET", "/api/audit/verify", none, 200},
	}
}

func allowed(level string, c caller, anonymous bool) bool {
	switch level {
	case lvlPublic:
		return true
	case lvlSigned:
		return c == guest || c == user || c == admin || c == node
	case lvlRead:
		return c == guest || c == user || c == admin || (c == noToken && anonymous)
	case lvlUser:
		return c == user || c == admin
	case lvlAdmin:
		return c == admin
	}
	panic("unknown level " + level)
}

// TestAuthorizationMatrix calls every route as every kind of caller and
// asserts the exact status: the success status when allowed; otherwise
// 401 without a valid identity and 403 with a valid one lacking the
// permission. A route served without a row here fails the test.
func TestAuthorizationMatrix(t *testing.T) {
	for _, anonymous := range []bool{false, true} {
		t.Run(fmt.Sprintf("anonymous=%v", anonymous), func(t *testing.T) {
			cfg := testConfig(Config{Searcher: fakeSearcher{fn: func(context.Context, ds.SearchRequest) (ds.SearchResult, error) {
				return ds.SearchResult{}, nil
			}}, Files: fakeFiles{records: map[string]ds.Record{fileA: recA, fileU: recU}, data: map[string][]byte{fileA: []byte("abc")}},
				Uploads: fakeUploads{}, Folders: fakeFolders{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Events: emptyEvents(t), Audit: &memAudit{},
				Registry: prometheus.NewRegistry(), AnonymousSearch: anonymous})
			srv, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			cases := matrixCases()
			for _, rt := range srv.Routes() {
				if _, ok := cases[string(rt)]; !ok {
					t.Errorf("route %s has no row in the authorization matrix", rt)
				}
			}
			if err := rbac.Check(srv.Permissions(), srv.Routes()); err != nil {
				t.Error(err)
			}
			for route, c := range cases {
				if !slices.Contains(srv.Routes(), rbac.Route(route)) {
					t.Errorf("matrix row %s is not served", route)
					continue
				}
				for _, who := range []caller{noToken, badToken, guest, user, admin, node} {
					hdr := map[string]string{}
					switch who {
					case noToken:
						hdr["Authorization"] = ""
					case badToken:
						hdr["Authorization"] = "Bearer " + tamper(tokenFor(t, "x", "x", rbac.RoleAdmin))
					default:
						hdr["Authorization"] = "Bearer " + tokenFor(t, string(who)+"-id", string(who), string(who))
					}
					want := c.ok
					switch {
					case allowed(c.level, who, anonymous):
					case who == noToken || who == badToken:
						want = http.StatusUnauthorized
					default:
						want = http.StatusForbidden
					}
					if c.level == lvlPublic && who == badToken {
						want = c.ok // public routes ignore the header
					}
					rec := doCtx(t, srv, c.method, c.target, hdr, c.body())
					if rec.Code != want {
						t.Errorf("%s as %s: status %d, want %d (%s)", route, who, rec.Code, want, strings.TrimSpace(rec.Body.String()))
					}
					if rec.Code == 401 && rec.Header().Get("WWW-Authenticate") == "" {
						t.Errorf("%s as %s: 401 without WWW-Authenticate", route, who)
					}
				}
			}
		})
	}
}

// doCtx is do with a short-lived context, so that streaming routes end.
func doCtx(t *testing.T, h http.Handler, method, target string, hdr map[string]string, body string) *httptest.ResponseRecorder {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req := httptest.NewRequestWithContext(ctx, method, target, strings.NewReader(body))
	for k, v := range hdr {
		if v != "" {
			req.Header.Set(k, v)
		}
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	return rec
}

func emptyEvents(t *testing.T) EventSource {
	t.Helper()
	bus, err := events.NewBus(events.DefaultConfig("n1", clock.NewLamport(0), time.Now))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bus.Close)
	return bus
}

// tamper flips the role claim of a token without re-signing it.
func tamper(tok string) string {
	parts := strings.Split(tok, ".")
	raw, _ := base64.RawURLEncoding.DecodeString(parts[1])
	raw = bytes.Replace(raw, []byte(`"admin"`), []byte(`"user"`), 1)
	parts[1] = base64.RawURLEncoding.EncodeToString(raw)
	return strings.Join(parts, ".")
}

// TestHostileTokens: every forged, stale or oversized token is refused with
// 401 and its stable code, and never reaches the handler.
func TestHostileTokens(t *testing.T) {
	reached := false
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{fn: func(context.Context, ds.SearchRequest) (ds.SearchResult, error) {
		reached = true
		return ds.SearchResult{}, nil
	}}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}}))
	if err != nil {
		t.Fatal(err)
	}
	good := tokenFor(t, "u1", "ann", rbac.RoleUser)
	parts := strings.Split(good, ".")
	enc := func(v any) string { b, _ := json.Marshal(v); return base64.RawURLEncoding.EncodeToString(b) }
	exp := time.Now().Add(time.Hour).Unix()
	claims := map[string]any{"sub": "u1", "username": "ann", "roles": []string{"admin"}, "iss": "distrisearch", "jti": "j", "exp": exp, "iat": time.Now().Unix()}
	cases := map[string]struct {
		header string
		code   string
	}{
		"alg none":              {"Bearer " + enc(map[string]string{"alg": "none", "typ": "JWT"}) + "." + enc(claims) + ".", "token_alg_not_allowed"},
		"HS256 with public key": {"Bearer " + enc(map[string]string{"alg": "HS256", "kid": "whatever"}) + "." + enc(claims) + "." + parts[2], "token_alg_not_allowed"},
		"tampered role":         {"Bearer " + tamper(tokenFor(t, "u1", "ann", rbac.RoleAdmin)), "token_bad_signature"},
		"dropped signature":     {"Bearer " + parts[0] + "." + parts[1] + ".", "token_bad_signature"},
		"1 MB token":            {"Bearer " + strings.Repeat("a", 1<<20), "token_too_large"},
		"garbage":               {"Bearer !!!", "token_malformed"},
		"basic scheme":          {"Basic YWRtaW46YWRtaW4=", "token_malformed"},
		"empty bearer":          {"Bearer ", "token_malformed"},
	}
	for name, c := range cases {
		rec := do(t, srv, "GET", "/api/search?q=x", map[string]string{"Authorization": c.header}, nil)
		if rec.Code != 401 {
			t.Errorf("%s: status %d, want 401", name, rec.Code)
			continue
		}
		if e := decodeError(t, rec); e.Code != c.code {
			t.Errorf("%s: code %q, want %q", name, e.Code, c.code)
		}
		if strings.Contains(rec.Body.String(), c.header[min(len(c.header), 7):]) && len(c.header) > 12 {
			t.Errorf("%s: the error echoes the token", name)
		}
	}
	// Tokens signed with the cluster's own key but stale, early or from
	// another issuer.
	ks, err := testKeys()
	if err != nil {
		t.Fatal(err)
	}
	signed := func(cfg token.Config, now time.Time) string {
		tk, err := token.New(cfg, ks, token.Options{Now: func() time.Time { return now }})
		if err != nil {
			t.Fatal(err)
		}
		s, _, err := tk.Issue("u1", "ann", []string{rbac.RoleAdmin})
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	other := token.DefaultConfig()
	other.Issuer = "someone-else"
	for name, c := range map[string]struct {
		tok, code string
	}{
		"expired":           {signed(token.DefaultConfig(), time.Now().Add(-25*time.Hour)), "token_expired"},
		"not yet valid":     {signed(token.DefaultConfig(), time.Now().Add(time.Hour)), "token_not_yet_valid"},
		"wrong issuer":      {signed(other, time.Now()), "token_bad_issuer"},
		"another cluster's": {tokenFromOtherCluster(t), "token_bad_signature"},
	} {
		rec := do(t, srv, "GET", "/api/search?q=x", map[string]string{"Authorization": "Bearer " + c.tok}, nil)
		if rec.Code != 401 || decodeError(t, rec).Code != c.code {
			t.Errorf("%s: %d %s, want 401 %s", name, rec.Code, rec.Body.String(), c.code)
		}
	}
	if reached {
		t.Fatal("a refused token reached the handler")
	}
	// Two Authorization headers are refused, not guessed between.
	req := httptest.NewRequest("GET", "/api/search?q=x", nil)
	req.Header.Add("Authorization", "Bearer "+good)
	req.Header.Add("Authorization", "Bearer "+good)
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != 401 {
		t.Fatalf("two Authorization headers: %d", rec.Code)
	}
}

// tokenFromOtherCluster is a well-formed token signed by a key this
// cluster never had.
func tokenFromOtherCluster(t *testing.T) string {
	t.Helper()
	k, err := token.GenerateEd25519(nil)
	if err != nil {
		t.Fatal(err)
	}
	ks, err := token.NewKeySet(k)
	if err != nil {
		t.Fatal(err)
	}
	tk, err := token.New(token.DefaultConfig(), ks, token.Options{Now: time.Now})
	if err != nil {
		t.Fatal(err)
	}
	s, _, err := tk.Issue("u1", "ann", []string{rbac.RoleAdmin})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestLoginLogoutAndRevocation walks the session: a wrong password and an
// unknown user get the same answer, a login gives a working token, and
// after logout that token is refused.
func TestLoginLogoutAndRevocation(t *testing.T) {
	log := &memAudit{}
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{fn: func(context.Context, ds.SearchRequest) (ds.SearchResult, error) {
		return ds.SearchResult{}, nil
	}}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Audit: log}))
	if err != nil {
		t.Fatal(err)
	}
	noAuth := map[string]string{"Authorization": ""}
	wrong := do(t, srv, "POST", "/api/auth/login", noAuth, strings.NewReader(`{"username":"alice","password":"nope-nope"}`))
	unknown := do(t, srv, "POST", "/api/auth/login", noAuth, strings.NewReader(`{"username":"mallory","password":"nope-nope"}`))
	for _, rec := range []*httptest.ResponseRecorder{wrong, unknown} {
		if rec.Code != 401 || decodeError(t, rec).Code != "bad_credentials" {
			t.Fatalf("bad login: %d %s", rec.Code, rec.Body.String())
		}
	}
	if a, b := decodeError(t, wrong).Message, decodeError(t, unknown).Message; a != b {
		t.Fatalf("wrong password and unknown user differ: %q vs %q", a, b)
	}
	rec := do(t, srv, "POST", "/api/auth/login", noAuth, strings.NewReader(`{"username":"alice","password":"alice-password"}`))
	if rec.Code != 200 {
		t.Fatalf("login: %d %s", rec.Code, rec.Body.String())
	}
	var lr LoginResponse
	if err := json.Unmarshal(rec.Body.Bytes(), &lr); err != nil || lr.Token == "" || lr.TokenType != "Bearer" || lr.User.Username != "alice" {
		t.Fatalf("login response %s (%v)", rec.Body.String(), err)
	}
	if d := time.Until(lr.ExpiresAt); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("token lives %v, want 24h", d)
	}
	auth := map[string]string{"Authorization": "Bearer " + lr.Token}
	if rec := do(t, srv, "GET", "/api/auth/me", auth, nil); rec.Code != 200 || !strings.Contains(rec.Body.String(), `"username":"alice"`) {
		t.Fatalf("me: %d %s", rec.Code, rec.Body.String())
	}
	if rec := do(t, srv, "POST", "/api/auth/logout", auth, nil); rec.Code != 200 {
		t.Fatalf("logout: %d %s", rec.Code, rec.Body.String())
	}
	rec = do(t, srv, "GET", "/api/search?q=x", auth, nil)
	if rec.Code != 401 || decodeError(t, rec).Code != "token_revoked" {
		t.Fatalf("revoked token: %d %s", rec.Code, rec.Body.String())
	}
	want := []audit.Action{audit.ActionLoginFailure, audit.ActionLoginFailure, audit.ActionLoginSuccess, audit.ActionLogout}
	if got := log.actions(); !slices.Equal(got, want) {
		t.Fatalf("audited %v, want %v", got, want)
	}
	for _, e := range log.entries {
		if e.IPAddress == "" || e.Resource == "" || e.Result == "" {
			t.Errorf("incomplete audit entry %+v", e)
		}
		if strings.Contains(fmt.Sprint(e), "alice-password") || strings.Contains(fmt.Sprint(e), "nope-nope") {
			t.Errorf("a password reached the audit log: %+v", e)
		}
	}
}

// TestCredentialStuffing: login attempts are limited per address and per
// username (10 a minute by default), answered 429 with Retry-After, and
// the refused attempts never reach the password check.
func TestCredentialStuffing(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	limits, err := ratelimit.NewSet(ratelimit.DefaultConfig())
	if err != nil {
		t.Fatal(err)
	}
	checked := 0
	acc := &countingAccounts{fakeAccounts: testConfig(Config{}).Accounts.(*fakeAccounts), n: &checked}
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{},
		Accounts: acc, Limits: limits, Now: func() time.Time { return now }}))
	if err != nil {
		t.Fatal(err)
	}
	login := func(ip, name string) *httptest.ResponseRecorder {
		req := httptest.NewRequest("POST", "/api/auth/login", strings.NewReader(`{"username":"`+name+`","password":"guess-guess"}`))
		req.RemoteAddr = ip + ":1234"
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		return rec
	}
	for i := 0; i < 10; i++ {
		if rec := login("203.0.113.7", fmt.Sprintf("user%d", i)); rec.Code != 401 {
			t.Fatalf("attempt %d: %d", i, rec.Code)
		}
	}
	rec := login("203.0.113.7", "user99")
	if rec.Code != 429 || rec.Header().Get("Retry-After") == "" || decodeError(t, rec).Code != "rate_limited" {
		t.Fatalf("11th attempt from one address: %d %q %s", rec.Code, rec.Header().Get("Retry-After"), rec.Body.String())
	}
	// One username from many addresses is limited too.
	for i := 0; i < 10; i++ {
		login(fmt.Sprintf("198.51.100.%d", i), "alice")
	}
	if rec := login("198.51.100.200", "alice"); rec.Code != 429 {
		t.Fatalf("11th attempt on one username: %d", rec.Code)
	}
	if checked != 20 {
		t.Fatalf("%d passwords checked, want 20: refused attempts must not reach the check", checked)
	}
	// A minute later the address may try again.
	now = now.Add(time.Minute)
	if rec := login("203.0.113.7", "user100"); rec.Code != 401 {
		t.Fatalf("after a minute: %d", rec.Code)
	}
}

type countingAccounts struct {
	*fakeAccounts
	n *int
}

func (c *countingAccounts) Authenticate(ctx context.Context, u, p string) (User, error) {
	*c.n++
	return c.fakeAccounts.Authenticate(ctx, u, p)
}

// TestPerAddressAndPerUserLimits: requests without a token are limited by
// address, signed-in ones by user.
func TestPerAddressAndPerUserLimits(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	limits, err := ratelimit.NewSet(ratelimit.Config{PerIP: ratelimit.PerMinute(3), PerUser: ratelimit.PerMinute(5),
		Login: ratelimit.PerMinute(10), MaxKeys: 100})
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{fn: func(context.Context, ds.SearchRequest) (ds.SearchResult, error) {
		return ds.SearchResult{}, nil
	}}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Limits: limits, Now: func() time.Time { return now }}))
	if err != nil {
		t.Fatal(err)
	}
	codes := func(n int, hdr map[string]string) []int {
		var out []int
		for i := 0; i < n; i++ {
			out = append(out, do(t, srv, "GET", "/api/health", hdr, nil).Code)
		}
		return out
	}
	if got := codes(4, map[string]string{"Authorization": ""}); !slices.Equal(got, []int{200, 200, 200, 429}) {
		t.Fatalf("per address: %v", got)
	}
	tok := tokenFor(t, "u1", "ann", rbac.RoleUser)
	var got []int
	for i := 0; i < 6; i++ {
		got = append(got, do(t, srv, "GET", "/api/search?q=x", map[string]string{"Authorization": "Bearer " + tok}, nil).Code)
	}
	if !slices.Equal(got, []int{200, 200, 200, 200, 200, 429}) {
		t.Fatalf("per user: %v", got)
	}
}

// TestRestrictedShares: a user outside a share's ACL never learns that its
// files exist — searches say whom they are for (the searcher restricts
// each partition by its node's ACLs), and metadata, preview and download
// of such a file answer exactly like a file that does not exist.
func TestRestrictedShares(t *testing.T) {
	secret := ds.Record{FileID: ds.FileID("n1", "finance/q.xlsx", "h2"), NodeID: "n1", Share: "finance", Path: "q.xlsx", Name: "q.xlsx", Size: 3}
	var viewers []ds.Viewer
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{fn: func(_ context.Context, req ds.SearchRequest) (ds.SearchResult, error) {
		if req.Viewer == nil || req.Scope != nil {
			return ds.SearchResult{}, fmt.Errorf("search without its viewer: %+v", req)
		}
		viewers = append(viewers, *req.Viewer)
		return ds.SearchResult{}, nil
	}}, Files: fakeFiles{records: map[string]ds.Record{fileA: recA, secret.FileID: secret},
		data: map[string][]byte{fileA: []byte("abc"), secret.FileID: []byte("xyz")}},
		Cluster: fakeCluster{}, Status: fakeStatus{},
		Access: fakeAccess{{Node: "n1", Share: "docs"}, {Node: "n1", Share: "finance", ACL: rbac.ACL{Groups: []string{"finance"}}}},
	}))
	if err != nil {
		t.Fatal(err)
	}
	bob := map[string]string{"Authorization": "Bearer " + tokenFor(t, "bob-id", "bob", rbac.RoleUser)}
	carol := map[string]string{"Authorization": "Bearer " + tokenWithGroups(t, "carol-id", "carol", []string{rbac.RoleUser}, []string{"finance"})}
	missing := strings.Repeat("0", 64)
	for _, suffix := range []string{"", "/content", "/download"} {
		hidden := do(t, srv, "GET", "/api/files/"+secret.FileID+suffix, bob, nil)
		absent := do(t, srv, "GET", "/api/files/"+missing+suffix, bob, nil)
		if hidden.Code != 404 || absent.Code != 404 {
			t.Fatalf("%s: hidden %d, absent %d", suffix, hidden.Code, absent.Code)
		}
		h, a := decodeError(t, hidden), decodeError(t, absent)
		if h.Code != a.Code || h.Message != a.Message {
			t.Fatalf("%s: a hidden file answers %+v, a missing one %+v", suffix, h, a)
		}
		if rec := do(t, srv, "GET", "/api/files/"+secret.FileID+suffix, carol, nil); rec.Code != 200 {
			t.Fatalf("%s: a finance member got %d", suffix, rec.Code)
		}
	}
	do(t, srv, "GET", "/api/search?q=x", bob, nil)
	do(t, srv, "GET", "/api/search?q=x", carol, nil)
	do(t, srv, "GET", "/api/search?q=x", nil, nil) // admin
	want := []ds.Viewer{{Roles: []string{"user"}}, {Roles: []string{"user"}, Groups: []string{"finance"}}, {Roles: []string{"admin"}}}
	if !reflect.DeepEqual(viewers, want) {
		t.Fatalf("search viewers %+v, want %+v", viewers, want)
	}
}

// delegatingFiles are Files whose records of other nodes were checked by
// those nodes (Delegated).
type delegatingFiles struct{ fakeFiles }

func (delegatingFiles) Delegated(nodeID string) bool { return nodeID != "n1" }

// TestDelegatedRecords: a record of a share this node does not know is
// visible to admins only, unless Files says the share's own node checked
// it; this node's own shares are checked here either way.
func TestDelegatedRecords(t *testing.T) {
	remote := ds.Record{FileID: ds.FileID("n2", "docs/r.txt", "h3"), NodeID: "n2", Share: "docs", Path: "r.txt", Name: "r.txt", Size: 3}
	secret := ds.Record{FileID: ds.FileID("n1", "finance/q.xlsx", "h2"), NodeID: "n1", Share: "finance", Path: "q.xlsx", Name: "q.xlsx", Size: 3}
	ff := fakeFiles{records: map[string]ds.Record{remote.FileID: remote, secret.FileID: secret},
		data: map[string][]byte{remote.FileID: []byte("abc"), secret.FileID: []byte("xyz")}}
	access := fakeAccess{{Node: "n1", Share: "finance", ACL: rbac.ACL{Groups: []string{"finance"}}}}
	bob := map[string]string{"Authorization": "Bearer " + tokenFor(t, "bob-id", "bob", rbac.RoleUser)}
	for _, tc := range []struct {
		files          Files
		remote, secret int
	}{{ff, 404, 404}, {delegatingFiles{ff}, 200, 404}} {
		srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: tc.files, Cluster: fakeCluster{}, Status: fakeStatus{}, Access: access}))
		if err != nil {
			t.Fatal(err)
		}
		for _, suffix := range []string{"", "/content", "/download"} {
			if got := do(t, srv, "GET", "/api/files/"+remote.FileID+suffix, bob, nil).Code; got != tc.remote {
				t.Errorf("%T: another node's file%s: %d, want %d", tc.files, suffix, got, tc.remote)
			}
			if got := do(t, srv, "GET", "/api/files/"+secret.FileID+suffix, bob, nil).Code; got != tc.secret {
				t.Errorf("%T: a hidden local file%s: %d, want %d", tc.files, suffix, got, tc.secret)
			}
		}
	}
}

type fakeAccess []SharePolicy

func (f fakeAccess) Shares() []SharePolicy { return f }

// TestHostilePathsAndIDs: traversal and junk in every path parameter is
// refused with a clear 4xx, never a 500 or a file.
func TestHostilePathsAndIDs(t *testing.T) {
	srv := newTestServer(t, nil, nil)
	ids := []string{"..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2f", "%252e%252e%252f", "..%5C..%5Cwindows", "%2Fetc%2Fpasswd",
		"a%00b", strings.Repeat("a", 10000), fileA + "%00", fileA + "%2F..", strings.ToUpper(fileA), "%E2%80%AE" + fileA[3:]}
	for _, id := range ids {
		for _, suffix := range []string{"", "/content", "/download"} {
			rec := do(t, srv, "GET", "/api/files/"+id+suffix, nil, nil)
			if rec.Code < 400 || rec.Code >= 500 {
				t.Errorf("file id %.40q%s: status %d", id, suffix, rec.Code)
			}
		}
	}
	for _, name := range []string{"..%2F..%2Fadmin", "%2e%2e", "a%00b", "a%0d%0aX-Evil:1", strings.Repeat("n", 5000)} {
		rec := do(t, srv, "PATCH", "/api/users/"+name, nil, strings.NewReader(`{"disabled":true}`))
		if rec.Code < 400 || rec.Code >= 500 {
			t.Errorf("username %.40q: status %d", name, rec.Code)
		}
	}
}

// TestHostileBodies: oversized bodies are refused before they are read
// whole, malformed and many-part bodies get 400, and none reaches the
// account store.
func TestHostileBodies(t *testing.T) {
	acc := &fakeAccounts{users: map[string]fakeUser{}}
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Accounts: acc}))
	if err != nil {
		t.Fatal(err)
	}
	var mp bytes.Buffer
	mw := multipart.NewWriter(&mp)
	for i := 0; i < 10000; i++ {
		_ = mw.WriteField(fmt.Sprintf("f%d", i), "x")
	}
	_ = mw.Close()
	cases := []struct {
		name, method, target, ctype string
		body                        io.Reader
		status                      int
	}{
		{"10 MB login", "POST", "/api/auth/login", "application/json", io.LimitReader(zeros{}, 10<<20), 413},
		{"10 MB user", "POST", "/api/users", "application/json", io.LimitReader(zeros{}, 10<<20), 413},
		{"10,000-part multipart", "POST", "/api/users", mw.FormDataContentType(), &mp, 400},
		{"not JSON", "POST", "/api/users", "application/json", strings.NewReader("username=x"), 400},
		{"two objects", "POST", "/api/users", "application/json", strings.NewReader(`{"username":"a"}{"username":"b"}`), 400},
		{"unknown field", "POST", "/api/users", "application/json", strings.NewReader(`{"username":"a","password":"12345678","admin":true}`), 400},
		{"deep nesting", "POST", "/api/users", "application/json", strings.NewReader(strings.Repeat("[", 5000)), 400},
		{"empty change", "PATCH", "/api/users/alice", "application/json", strings.NewReader(`{}`), 400},
		{"empty body", "POST", "/api/auth/login", "application/json", strings.NewReader(""), 400},
	}
	for _, c := range cases {
		req := httptest.NewRequest(c.method, c.target, c.body)
		req.Header.Set("Content-Type", c.ctype)
		if c.target != "/api/auth/login" {
			req.Header.Set("Authorization", "Bearer "+tokenFor(t, "admin-id", "admin", rbac.RoleAdmin))
		}
		req.ContentLength = -1 // chunked: the limit must hold without a declared length
		rec := httptest.NewRecorder()
		srv.ServeHTTP(rec, req)
		if rec.Code != c.status {
			t.Errorf("%s: status %d, want %d (%s)", c.name, rec.Code, c.status, rec.Body.String())
		}
	}
	if len(acc.users) != 0 {
		t.Fatalf("a hostile body created users: %v", acc.users)
	}
	// A declared length over the limit is refused before reading.
	req := httptest.NewRequest("POST", "/api/auth/login", failingReader{})
	req.ContentLength = 1 << 30
	rec := httptest.NewRecorder()
	srv.ServeHTTP(rec, req)
	if rec.Code != 413 {
		t.Fatalf("declared 1 GB: %d", rec.Code)
	}
}

type zeros struct{}

func (zeros) Read(p []byte) (int, error) {
	for i := range p {
		p[i] = ' '
	}
	return len(p), nil
}

type failingReader struct{}

func (failingReader) Read([]byte) (int, error) { return 0, fmt.Errorf("the body was read") }

// TestUserManagementAudited: user and role changes are recorded with who
// made them, never with a password.
func TestUserManagementAudited(t *testing.T) {
	log := &memAudit{}
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}, Audit: log}))
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		method, target, body string
		status               int
	}{
		{"POST", "/api/users", `{"username":"dan","password":"dan-password","roles":["user"],"groups":["ops"]}`, 201},
		{"POST", "/api/users", `{"username":"dan","password":"dan-password","roles":["user"]}`, 409},
		{"PATCH", "/api/users/dan", `{"roles":["admin"]}`, 200},
		{"PATCH", "/api/users/dan", `{"password":"new-password"}`, 200},
		{"PATCH", "/api/users/nobody", `{"disabled":true}`, 404},
		{"POST", "/api/auth/keys/rotate", ``, 200},
		{"POST", "/api/auth/keys/rotate?retire=never", ``, 400},
	}
	for _, s := range steps {
		if rec := do(t, srv, s.method, s.target, nil, strings.NewReader(s.body)); rec.Code != s.status {
			t.Fatalf("%s %s: %d %s", s.method, s.target, rec.Code, rec.Body.String())
		}
	}
	want := []audit.Action{audit.ActionUserAdd, audit.ActionUserAdd, audit.ActionRoleChange, audit.ActionUserChange, audit.ActionUserChange, audit.ActionKeyRotate}
	if got := log.actions(); !slices.Equal(got, want) {
		t.Fatalf("audited %v, want %v", got, want)
	}
	results := []audit.Result{audit.ResultSuccess, audit.ResultFailure, audit.ResultSuccess, audit.ResultSuccess, audit.ResultFailure, audit.ResultSuccess}
	for i, e := range log.entries {
		if e.Result != results[i] || e.Username != "admin" || e.UserID != "admin-id" {
			t.Errorf("entry %d: %+v", i, e)
		}
		if strings.Contains(fmt.Sprint(e.Details), "password\":") || strings.Contains(fmt.Sprint(e), "new-password") || strings.Contains(fmt.Sprint(e), "dan-password") {
			t.Errorf("entry %d holds a password: %+v", i, e)
		}
	}
	rec := do(t, srv, "GET", "/api/audit?action=role_change", nil, nil)
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"resource":"user:dan"`) {
		t.Fatalf("audit query: %d %s", rec.Code, rec.Body.String())
	}
	for _, q := range []string{"since=yesterday", "limit=0", "limit=5000", "bogus=1", "action=a&action=b"} {
		if rec := do(t, srv, "GET", "/api/audit?"+q, nil, nil); rec.Code != 400 {
			t.Errorf("audit ?%s: %d", q, rec.Code)
		}
	}
}
