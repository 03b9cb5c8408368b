package api

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch/auth/rbac"
)

// FuzzRequestBodies feeds arbitrary bodies to every endpoint that decodes
// one: the answer is a client error or a success, never a server error,
// and a body never creates a user with roles it did not name.
func FuzzRequestBodies(f *testing.F) {
	for _, s := range []string{`{"username":"alice","password":"alice-password"}`, `{"username":"x","password":"12345678","roles":["admin"]}`,
		`{"roles":["user"]}`, `{"disabled":true}`, `{}`, `[]`, `null`, `{"username":1}`, "\x00", `{"password":"` + strings.Repeat("p", 100) + `"}`} {
		f.Add(s)
	}
	srv, err := New(testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{}, Cluster: fakeCluster{}, Status: fakeStatus{}}))
	if err != nil {
		f.Fatal(err)
	}
	admin := "Bearer " + tokenFor(f, "admin-id", "admin", rbac.RoleAdmin)
	f.Fuzz(func(t *testing.T, body string) {
		for _, target := range []struct{ method, path string }{
			{"POST", "/api/auth/login"}, {"POST", "/api/users"}, {"PATCH", "/api/users/alice"},
		} {
			req := httptest.NewRequest(target.method, target.path, strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if target.path != "/api/auth/login" {
				req.Header.Set("Authorization", admin)
			}
			rec := httptest.NewRecorder()
			srv.ServeHTTP(rec, req)
			if rec.Code >= 500 {
				t.Fatalf("%s %s with %q: %d %s", target.method, target.path, body, rec.Code, rec.Body.String())
			}
		}
	})
}

// FuzzPathParameters feeds arbitrary file ids and usernames, raw and
// escaped, to the routes that take them: never a server error, and a file
// route answers 200 only for the one real id.
func FuzzPathParameters(f *testing.F) {
	for _, s := range []string{fileA, "../../etc/passwd", "%2e%2e%2f", "..\\..\\x", "/etc/passwd", "a\x00b", strings.Repeat("a", 300), "alice", "%00"} {
		f.Add(s)
	}
	srv := newTestServer(f, nil, nil)
	f.Fuzz(func(t *testing.T, param string) {
		for _, p := range []string{url.PathEscape(param), param} {
			for _, suffix := range []string{"", "/content", "/download"} {
				target := "/api/files/" + p + suffix
				if _, err := url.ParseRequestURI(target); err != nil || strings.ContainsAny(target, " \t\r\n#?") {
					continue
				}
				rec := do(t, srv, "GET", target, nil, nil)
				if rec.Code >= 500 || (rec.Code == 200 && param != fileA) {
					t.Fatalf("GET %q: %d %s", target, rec.Code, rec.Body.String())
				}
			}
			target := "/api/users/" + p
			if _, err := url.ParseRequestURI(target); err != nil || strings.ContainsAny(target, " \t\r\n#?") {
				continue
			}
			rec := do(t, srv, "PATCH", target, nil, strings.NewReader(`{"disabled":false}`))
			if rec.Code >= 500 {
				t.Fatalf("PATCH %q: %d %s", target, rec.Code, rec.Body.String())
			}
		}
	})
}
