package api

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime/multipart"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

var (
	fileU = ds.FileID("n1", "uploads/u.txt", "h")
	recU  = ds.Record{FileID: fileU, NodeID: "n1", Share: UploadShare, Path: "u.txt", Name: "u.txt",
		MIME: "text/plain", Size: 3, ContentHash: "abc", Manifest: []byte{1, 2, 3}}
)

// fakeUploads is an Uploads of function fields; nil ones read the body
// and answer a record, or delete nothing.
type fakeUploads struct {
	upload func(ctx context.Context, u Upload) (ds.Record, error)
	del    func(ctx context.Context, rec ds.Record) error
	atomic func(ctx context.Context, level quorum.Level, next func() (*Upload, error)) ([]ds.Record, error)
}

// UploadAtomic reads every file as Upload does.
func (f fakeUploads) UploadAtomic(ctx context.Context, level quorum.Level, next func() (*Upload, error)) ([]ds.Record, error) {
	if f.atomic != nil {
		return f.atomic(ctx, level, next)
	}
	var recs []ds.Record
	for {
		u, err := next()
		if err != nil {
			return nil, err
		}
		if u == nil {
			return recs, nil
		}
		rec, err := f.Upload(ctx, *u)
		if err != nil {
			return nil, err
		}
		recs = append(recs, rec)
	}
}

func (f fakeUploads) Upload(ctx context.Context, u Upload) (ds.Record, error) {
	if f.upload != nil {
		return f.upload(ctx, u)
	}
	b, err := io.ReadAll(u.Body)
	if err != nil {
		return ds.Record{}, fmt.Errorf("read the upload: %w", err)
	}
	return ds.Record{FileID: ds.FileID("n1", UploadShare+"/"+u.Name, string(b)), NodeID: "n1", Share: UploadShare,
		Path: u.Name, Name: u.Name, Size: int64(len(b)), Manifest: []byte("secret manifest")}, nil
}

func (f fakeUploads) Delete(ctx context.Context, rec ds.Record) error {
	if f.del != nil {
		return f.del(ctx, rec)
	}
	return nil
}

func uploadServer(t *testing.T, up Uploads, log *memAudit, tweak func(*Config)) *Server {
	t.Helper()
	cfg := testConfig(Config{Searcher: fakeSearcher{}, Files: fakeFiles{records: map[string]ds.Record{fileA: recA, fileU: recU}},
		Cluster: fakeCluster{}, Status: fakeStatus{}, Uploads: up})
	if log != nil {
		cfg.Audit = log
	}
	if tweak != nil {
		tweak(&cfg)
	}
	srv, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestUploadStreamsWithItsOwnLimit: an upload is not bound by
// MaxBodyBytes but by MaxUploadBytes; over it, a declared length is
// refused before the body is read and an undeclared one when the read
// passes it; both 413.
func TestUploadStreamsWithItsOwnLimit(t *testing.T) {
	var calls atomic.Int32
	var got Upload
	up := fakeUploads{}
	up.upload = func(ctx context.Context, u Upload) (ds.Record, error) {
		calls.Add(1)
		got = u
		return fakeUploads{}.Upload(ctx, u)
	}
	log := &memAudit{}
	srv := uploadServer(t, up, log, func(c *Config) { c.MaxBodyBytes, c.MaxUploadBytes = 10, 1000 })

	rec := do(t, srv, "POST", "/api/files?name=notes.txt&consistency=STRONG", nil, strings.NewReader(strings.Repeat("x", 500)))
	if rec.Code != 201 {
		t.Fatalf("500 bytes under a 10-byte body limit and a 1000-byte upload limit: %d %s", rec.Code, rec.Body.String())
	}
	if got.Name != "notes.txt" || got.Level != quorum.Strong || got.Size != 500 {
		t.Fatalf("upload reached the service as %+v", got)
	}
	if strings.Contains(rec.Body.String(), "manifest") || rec.Header().Get("Location") == "" {
		t.Fatalf("answer %s shows the manifest or has no Location", rec.Body.String())
	}
	var out ds.Record
	if err := json.Unmarshal(rec.Body.Bytes(), &out); err != nil || out.Size != 500 || out.Share != UploadShare {
		t.Fatalf("answer %s (%v)", rec.Body.String(), err)
	}

	// Declared too large: 413 before the service is called.
	rec = do(t, srv, "POST", "/api/files?name=big.bin", nil, strings.NewReader(strings.Repeat("x", 1001)))
	if rec.Code != 413 || decodeError(t, rec).Code != "upload_too_large" || calls.Load() != 1 {
		t.Fatalf("declared 1001 bytes: %d %s (service called %d times)", rec.Code, rec.Body.String(), calls.Load())
	}
	// Not declared: the limit is on the reader.
	req := httptest.NewRequest("POST", "/api/files?name=big.bin", io.MultiReader(strings.NewReader(strings.Repeat("x", 2000))))
	req.ContentLength = -1
	req.Header.Set("Authorization", "Bearer "+tokenFor(t, "u-id", "ann", rbac.RoleUser))
	w := httptest.NewRecorder()
	srv.ServeHTTP(w, req)
	if w.Code != 413 || decodeError(t, w).Code != "upload_too_large" {
		t.Fatalf("streamed 2000 bytes: %d %s", w.Code, w.Body.String())
	}
	// Other routes keep MaxBodyBytes.
	if rec := do(t, srv, "POST", "/api/users", nil, strings.NewReader(`{"username":"a-long-name","password":"x"}`)); rec.Code != 413 {
		t.Fatalf("a JSON body over MaxBodyBytes: %d", rec.Code)
	}
	var results []audit.Result
	for _, e := range log.entries {
		if e.Action == audit.ActionUpload {
			results = append(results, e.Result)
		}
	}
	if want := []audit.Result{audit.ResultSuccess, audit.ResultFailure}; !slices.Equal(results, want) {
		t.Fatalf("upload audit results %v, want %v (the refused declared length is not an attempt)", results, want)
	}
}

func TestUploadRefusesBadNamesAndLevels(t *testing.T) {
	srv := uploadServer(t, fakeUploads{upload: func(context.Context, Upload) (ds.Record, error) {
		t.Error("a refused upload reached the service")
		return ds.Record{}, nil
	}}, nil, nil)
	for _, name := range []string{"", `a\b.txt`, "..", ".", "nul\x00.txt", "cr\r\nlf.txt", "tab\t.txt",
		strings.Repeat("n", 256), " lead.txt", "trail.txt ", "bad\xffutf8", "line\u2028sep",
		"../x", "a/../../x", "a//b", "/abs", "a/", "a/./b", "a /b", "a/ b", "a/b\x00/c", `a/b\c`,
		strings.Repeat("d/", 32) + "f"} {
		rec := do(t, srv, "POST", "/api/files?name="+urlQuery(name), nil, strings.NewReader("x"))
		if rec.Code != 400 || decodeError(t, rec).Code != "bad_name" {
			t.Errorf("name %q: %d %s", name, rec.Code, rec.Body.String())
		}
	}
	rec := do(t, srv, "POST", "/api/files?name=ok.txt&consistency=all", nil, strings.NewReader("x"))
	if rec.Code != 400 || decodeError(t, rec).Code != "bad_consistency" {
		t.Errorf("consistency=all: %d %s", rec.Code, rec.Body.String())
	}
	for _, name := range []string{"a.txt", "über café (2).pdf", "..hidden", "a..b", "a/b.txt", "reports/2025/q1.pdf",
		".config/x", strings.Repeat("d/", 31) + "f"} {
		if err := ValidUploadName(name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}

func urlQuery(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		fmt.Fprintf(&b, "%%%02X", s[i])
	}
	return b.String()
}

// TestDeleteOnlyUploads: a shared folder's file answers 409 not_deletable;
// an upload is deleted and audited.
func TestDeleteOnlyUploads(t *testing.T) {
	var deleted []string
	log := &memAudit{}
	srv := uploadServer(t, fakeUploads{del: func(_ context.Context, rec ds.Record) error {
		deleted = append(deleted, rec.FileID)
		return nil
	}}, log, nil)
	rec := do(t, srv, "DELETE", "/api/files/"+fileA, nil, nil)
	if rec.Code != 409 {
		t.Fatalf("delete of a shared file: %d %s", rec.Code, rec.Body.String())
	}
	if e := decodeError(t, rec); e.Code != "not_deletable" || !strings.Contains(e.Message, "docs") {
		t.Fatalf("delete of a shared file: %+v", e)
	}
	if rec := do(t, srv, "DELETE", "/api/files/"+fileU, nil, nil); rec.Code != 204 {
		t.Fatalf("delete of an upload: %d %s", rec.Code, rec.Body.String())
	}
	if rec := do(t, srv, "DELETE", "/api/files/"+ds.FileID("x", "y", "z"), nil, nil); rec.Code != 404 {
		t.Fatalf("delete of an unknown file: %d", rec.Code)
	}
	if !slices.Equal(deleted, []string{fileU}) {
		t.Fatalf("deleted %v", deleted)
	}
	if got := log.actions(); !slices.Equal(got, []audit.Action{audit.ActionDelete}) {
		t.Fatalf("audited %v", got)
	}
	// The record of an upload does not show its manifest.
	if rec := do(t, srv, "GET", "/api/files/"+fileU, nil, nil); rec.Code != 200 || strings.Contains(rec.Body.String(), "manifest") {
		t.Fatalf("GET an upload: %d %s", rec.Code, rec.Body.String())
	}
}

// TestUploadShareACL: a restricted upload share refuses uploads from those
// who may not see it.
func TestUploadShareACL(t *testing.T) {
	srv := uploadServer(t, fakeUploads{}, nil, func(c *Config) {
		c.Access = fakeAccess{{Node: "n1", Share: UploadShare, ACL: rbac.ACL{Groups: []string{"editors"}}}}
	})
	post := func(tok string) int {
		return do(t, srv, "POST", "/api/files?name=a.txt", map[string]string{"Authorization": "Bearer " + tok}, strings.NewReader("x")).Code
	}
	if c := post(tokenFor(t, "u1", "ann", rbac.RoleUser)); c != 403 {
		t.Fatalf("outside the group: %d", c)
	}
	if c := post(tokenWithGroups(t, "u2", "bob", []string{rbac.RoleUser}, []string{"editors"})); c != 201 {
		t.Fatalf("in the group: %d", c)
	}
}

// TestUploadsUnavailable: without Uploads both routes answer 503.
func TestUploadsUnavailable(t *testing.T) {
	srv := uploadServer(t, nil, nil, nil)
	for _, c := range [][2]string{{"POST", "/api/files?name=a.txt"}, {"DELETE", "/api/files/" + fileU}} {
		if rec := do(t, srv, c[0], c[1], nil, strings.NewReader("x")); rec.Code != 503 {
			t.Errorf("%s %s: %d", c[0], c[1], rec.Code)
		}
	}
}

// multipartBody builds a multipart/form-data body of files (name, content
// pairs) and a form field, and returns it with its content type.
func multipartBody(t *testing.T, files ...string) (string, string) {
	t.Helper()
	var b strings.Builder
	w := multipart.NewWriter(&b)
	if err := w.WriteField("note", "not a file"); err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(files); i += 2 {
		fw, err := w.CreateFormFile("file", files[i])
		if err != nil {
			t.Fatal(err)
		}
		io.WriteString(fw, files[i+1])
	}
	w.Close()
	return b.String(), w.FormDataContentType()
}

// TestUploadBatch: the files of a multipart body go to UploadAtomic in
// order, form fields are skipped, each file is audited; bad batches are
// refused with clear codes, and a failed commit is the answer.
func TestUploadBatch(t *testing.T) {
	log := &memAudit{}
	var level quorum.Level
	up := fakeUploads{}
	up.atomic = func(ctx context.Context, l quorum.Level, next func() (*Upload, error)) ([]ds.Record, error) {
		level = l
		return fakeUploads{}.UploadAtomic(ctx, l, next)
	}
	srv := uploadServer(t, up, log, nil)
	body, ctype := multipartBody(t, "a.txt", "alpha", "b.txt", "beta")
	rec := do(t, srv, "POST", "/api/files/batch?consistency=strong", map[string]string{"Authorization": "Bearer " + tokenFor(t, "u1", "ana", rbac.RoleUser), "Content-Type": ctype}, strings.NewReader(body))
	var out struct {
		Files []ds.Record `json:"files"`
	}
	if rec.Code != 201 || json.Unmarshal(rec.Body.Bytes(), &out) != nil || len(out.Files) != 2 || out.Files[0].Path != "a.txt" || out.Files[1].Size != 4 {
		t.Fatalf("batch: %d %s", rec.Code, rec.Body)
	}
	if out.Files[0].Manifest != nil || level != quorum.Strong {
		t.Fatalf("manifest shown or level %v", level)
	}
	uploads := 0
	log.mu.Lock()
	entries := slices.Clone(log.entries)
	log.mu.Unlock()
	for _, e := range entries {
		if e.Action == audit.ActionUpload && e.Details["atomic"] == "true" {
			uploads++
		}
	}
	if uploads != 2 {
		t.Fatalf("%d upload entries audited, want 2", uploads)
	}
	for _, c := range []struct {
		name, code string
		files      []string
		status     int
	}{
		{"no file", "no_files", nil, 400},
		{"duplicate", "duplicate_name", []string{"a.txt", "1", "a.txt", "2"}, 400},
		{"bad name", "bad_name", []string{"..", "1"}, 400},
	} {
		body, ctype := multipartBody(t, c.files...)
		rec := do(t, srv, "POST", "/api/files/batch", map[string]string{"Authorization": "Bearer " + tokenFor(t, "u1", "ana", rbac.RoleUser), "Content-Type": ctype}, strings.NewReader(body))
		if rec.Code != c.status || !strings.Contains(rec.Body.String(), `"`+c.code+`"`) {
			t.Errorf("%s: %d %s", c.name, rec.Code, rec.Body)
		}
	}
	aborted := uploadServer(t, fakeUploads{atomic: func(context.Context, quorum.Level, func() (*Upload, error)) ([]ds.Record, error) {
		return nil, ds.Errorf(ds.KindUnavailable, "atomic_upload_aborted", "aborted")
	}}, nil, nil)
	rec = do(t, aborted, "POST", "/api/files/batch", map[string]string{"Authorization": "Bearer " + tokenFor(t, "u1", "ana", rbac.RoleUser), "Content-Type": ctype}, strings.NewReader(body))
	if rec.Code != 503 || !strings.Contains(rec.Body.String(), "atomic_upload_aborted") {
		t.Fatalf("aborted batch: %d %s", rec.Code, rec.Body)
	}
}
