package api

import (
	"context"
	"encoding/json"
	"path"
	"strings"
	"sync/atomic"
	"testing"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
	"github.com/distrisearch/distrisearch/auth/rbac"
	"github.com/distrisearch/distrisearch/replica/quorum"
)

// fakeFolders is a Folders of function fields; nil ones answer one file.
type fakeFolders struct {
	del  func(ctx context.Context, folder string, level quorum.Level) (FolderResult, error)
	move func(ctx context.Context, from, to string, level quorum.Level) (FolderResult, error)
}

func (f fakeFolders) DeleteFolder(ctx context.Context, folder string, level quorum.Level) (FolderResult, error) {
	if f.del != nil {
		return f.del(ctx, folder, level)
	}
	return FolderResult{Folder: folder, Count: 1, Files: []FolderFile{{FileID: fileU, NodeID: "n1", Path: folder + "/u.txt"}}}, nil
}

func (f fakeFolders) MoveFolder(ctx context.Context, from, to string, level quorum.Level) (FolderResult, error) {
	if f.move != nil {
		return f.move(ctx, from, to, level)
	}
	return FolderResult{Folder: from, To: to, Count: 1, Files: []FolderFile{{FileID: fileU, NodeID: "n1", Path: from + "/u.txt",
		NewFileID: ds.FileID("n1", "uploads/"+to+"/u.txt", "h"), NewPath: to + "/u.txt"}}}, nil
}

func folderServer(t *testing.T, f Folders, log *memAudit, tweak func(*Config)) *Server {
	t.Helper()
	return uploadServer(t, fakeUploads{}, log, func(c *Config) {
		c.Folders = f
		if tweak != nil {
			tweak(c)
		}
	})
}

func moveBody(from, to string) *strings.Reader {
	b, _ := json.Marshal(MoveFolderRequest{From: from, To: to})
	return strings.NewReader(string(b))
}

// TestFolderOperations: both routes reach the service with the folder and
// the level, answer the files, and audit the operation and each file.
func TestFolderOperations(t *testing.T) {
	log := &memAudit{}
	var gotLevel quorum.Level
	var gotFolder string
	srv := folderServer(t, fakeFolders{del: func(ctx context.Context, folder string, level quorum.Level) (FolderResult, error) {
		gotFolder, gotLevel = folder, level
		return fakeFolders{}.DeleteFolder(ctx, folder, level)
	}}, log, nil)
	rec := do(t, srv, "DELETE", "/api/folders?path="+urlQuery("reports/2025 (eu)")+"&consistency=strong", nil, nil)
	var res FolderResult
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.Count != 1 || res.Files[0].FileID != fileU {
		t.Fatalf("delete: %d %s", rec.Code, rec.Body)
	}
	if gotFolder != "reports/2025 (eu)" || gotLevel != quorum.Strong {
		t.Fatalf("service got %q at %v", gotFolder, gotLevel)
	}
	rec = do(t, srv, "POST", "/api/folders/move", nil, moveBody("reports/2025", "archive/2025"))
	res = FolderResult{}
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &res) != nil || res.To != "archive/2025" || res.Files[0].NewPath != "archive/2025/u.txt" {
		t.Fatalf("move: %d %s", rec.Code, rec.Body)
	}
	want := []audit.Action{audit.ActionFolderDelete, audit.ActionDelete, audit.ActionFolderMove, audit.ActionFolderMove}
	got := log.actions()
	if strings.Join(toStrings(got), ",") != strings.Join(toStrings(want), ",") {
		t.Fatalf("audited %v, want %v", got, want)
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	if e := log.entries[0]; e.Resource != "folder:reports/2025 (eu)" || e.Details["files"] != "1" || e.Details["consistency"] != "strong" {
		t.Fatalf("folder entry %+v", e)
	}
	if e := log.entries[1]; e.Resource != "file:"+fileU || e.Details["folder"] != "reports/2025 (eu)" {
		t.Fatalf("file entry %+v", e)
	}
	if e := log.entries[3]; e.Details["to_path"] != "archive/2025/u.txt" || e.Details["to_file_id"] == "" {
		t.Fatalf("moved file entry %+v", e)
	}
}

func toStrings(as []audit.Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = string(a)
	}
	return out
}

// TestFolderBadInput: bad paths, moves onto or into themselves, bad
// levels and bad bodies are refused before the service is called.
func TestFolderBadInput(t *testing.T) {
	var calls atomic.Int32
	srv := folderServer(t, fakeFolders{
		del: func(context.Context, string, quorum.Level) (FolderResult, error) {
			calls.Add(1)
			return FolderResult{}, nil
		},
		move: func(context.Context, string, string, quorum.Level) (FolderResult, error) {
			calls.Add(1)
			return FolderResult{}, nil
		},
	}, nil, nil)
	for _, p := range []string{"", "..", "../x", "a/../b", "/abs", "a//b", "a/", ".", "a\\b", " a", "nul\x00", strings.Repeat("n", 256)} {
		rec := do(t, srv, "DELETE", "/api/folders?path="+urlQuery(p), nil, nil)
		if rec.Code != 400 || decodeError(t, rec).Code != "bad_path" {
			t.Errorf("delete %q: %d %s", p, rec.Code, rec.Body)
		}
	}
	for _, c := range [][2]string{{"a", "a"}, {"a", "a/b"}, {"../a", "b"}, {"a", "/b"}, {"a", ""}, {"", "b"}} {
		rec := do(t, srv, "POST", "/api/folders/move", nil, moveBody(c[0], c[1]))
		if rec.Code != 400 || decodeError(t, rec).Code != "bad_path" {
			t.Errorf("move %q → %q: %d %s", c[0], c[1], rec.Code, rec.Body)
		}
	}
	for _, c := range []struct {
		method, target, body, code string
		status                     int
	}{
		{"DELETE", "/api/folders?path=a&consistency=all", "", "bad_consistency", 400},
		{"POST", "/api/folders/move", `{"from":"a","to":"b","extra":1}`, "bad_json", 400},
		{"POST", "/api/folders/move", `{"from":"a"`, "bad_json", 400},
		{"POST", "/api/folders/move", `{"from":"` + strings.Repeat("a", 5000) + `","to":"b"}`, "body_too_large", 413},
	} {
		rec := do(t, srv, c.method, c.target, nil, strings.NewReader(c.body))
		if rec.Code != c.status || decodeError(t, rec).Code != c.code {
			t.Errorf("%s %s %.40s: %d %s", c.method, c.target, c.body, rec.Code, rec.Body)
		}
	}
	// A move into a sibling whose name starts like the folder is fine.
	if rec := do(t, srv, "POST", "/api/folders/move", nil, moveBody("a", "ab/c")); rec.Code != 200 {
		t.Errorf("move a → ab/c: %d %s", rec.Code, rec.Body)
	}
	if calls.Load() != 1 {
		t.Fatalf("the service was called %d times, want once", calls.Load())
	}
}

// TestFolderErrors: the service's errors reach the client with their
// status and code, and are audited as failures, without file entries.
func TestFolderErrors(t *testing.T) {
	for _, c := range []struct {
		err    error
		status int
	}{
		{ds.Errorf(ds.KindNotFound, "folder_not_found", "none"), 404},
		{ds.Errorf(ds.KindTooLarge, "too_many_files", "many"), 413},
		{ds.Errorf(ds.KindConflict, "target_exists", "exists"), 409},
		{ds.Errorf(ds.KindUnavailable, "folder_operation_aborted", "aborted"), 503},
		{ds.Errorf(ds.KindUnavailable, "outcome_unknown", "unknown"), 503},
	} {
		log := &memAudit{}
		fail := func(context.Context, string, string, quorum.Level) (FolderResult, error) {
			return FolderResult{}, c.err
		}
		srv := folderServer(t, fakeFolders{move: fail, del: func(ctx context.Context, f string, l quorum.Level) (FolderResult, error) {
			return fail(ctx, f, "", l)
		}}, log, nil)
		del := do(t, srv, "DELETE", "/api/folders?path=a", nil, nil)
		mv := do(t, srv, "POST", "/api/folders/move", nil, moveBody("a", "b"))
		for _, rec := range []struct {
			code int
			body string
		}{{del.Code, del.Body.String()}, {mv.Code, mv.Body.String()}} {
			if rec.code != c.status || !strings.Contains(rec.body, `"`+ds.CodeOf(c.err)+`"`) {
				t.Errorf("%s: %d %s", ds.CodeOf(c.err), rec.code, rec.body)
			}
		}
		log.mu.Lock()
		if len(log.entries) != 2 || log.entries[0].Result != audit.ResultFailure || log.entries[1].Result != audit.ResultFailure {
			t.Errorf("%s: audited %+v", ds.CodeOf(c.err), log.entries)
		}
		log.mu.Unlock()
	}
}

// TestFolderAccess: without Folders both routes answer 503; a restricted
// upload share refuses those outside it; guests may not write.
func TestFolderAccess(t *testing.T) {
	srv := folderServer(t, nil, nil, nil)
	if rec := do(t, srv, "DELETE", "/api/folders?path=a", nil, nil); rec.Code != 503 {
		t.Errorf("delete without Folders: %d", rec.Code)
	}
	if rec := do(t, srv, "POST", "/api/folders/move", nil, moveBody("a", "b")); rec.Code != 503 {
		t.Errorf("move without Folders: %d", rec.Code)
	}
	srv = folderServer(t, fakeFolders{}, nil, func(c *Config) {
		c.Access = fakeAccess{{Node: "n1", Share: UploadShare, ACL: rbac.ACL{Groups: []string{"editors"}}}}
	})
	outsider := map[string]string{"Authorization": "Bearer " + tokenFor(t, "u1", "ann", rbac.RoleUser)}
	editor := map[string]string{"Authorization": "Bearer " + tokenWithGroups(t, "u2", "bob", []string{rbac.RoleUser}, []string{"editors"})}
	guest := map[string]string{"Authorization": "Bearer " + tokenFor(t, "g1", "gus", rbac.RoleGuest)}
	if rec := do(t, srv, "DELETE", "/api/folders?path=a", outsider, nil); rec.Code != 403 {
		t.Errorf("outside the group: %d", rec.Code)
	}
	if rec := do(t, srv, "DELETE", "/api/folders?path=a", editor, nil); rec.Code != 200 {
		t.Errorf("in the group: %d %s", rec.Code, rec.Body)
	}
	if rec := do(t, srv, "POST", "/api/folders/move", guest, moveBody("a", "b")); rec.Code != 403 {
		t.Errorf("guest: %d", rec.Code)
	}
}

// TestUploadNamesWithFolders: a single upload and a batch file may name a
// path; it reaches the service whole.
func TestUploadNamesWithFolders(t *testing.T) {
	var names []string
	up := fakeUploads{}
	up.upload = func(ctx context.Context, u Upload) (ds.Record, error) {
		names = append(names, u.Name)
		return fakeUploads{}.Upload(ctx, u)
	}
	srv := uploadServer(t, up, nil, nil)
	if rec := do(t, srv, "POST", "/api/files?name="+urlQuery("reports/2025/q1.txt"), nil, strings.NewReader("x")); rec.Code != 201 {
		t.Fatalf("upload in folders: %d %s", rec.Code, rec.Body)
	}
	body, ctype := multipartBody(t, "docs/a.txt", "alpha", "b.txt", "beta")
	rec := do(t, srv, "POST", "/api/files/batch", map[string]string{"Content-Type": ctype}, strings.NewReader(body))
	if rec.Code != 201 {
		t.Fatalf("batch in folders: %d %s", rec.Code, rec.Body)
	}
	if strings.Join(names, ",") != "reports/2025/q1.txt,docs/a.txt,b.txt" {
		t.Fatalf("names %v", names)
	}
}

// FuzzValidUploadName: an accepted name is a clean relative path that
// stays inside the share, and a folder path is accepted exactly when the
// same text is as an upload name.
func FuzzValidUploadName(f *testing.F) {
	for _, s := range []string{"a.txt", "a/b", "../x", "a//b", "/a", "a/./b", " a", "a/", "a\\b", "r/2025/q1.pdf"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		err := ValidUploadName(name)
		if (err == nil) != (ValidFolderPath(name) == nil) {
			t.Fatalf("%q: upload name and folder path disagree", name)
		}
		if err != nil {
			return
		}
		if path.Clean(name) != name || path.IsAbs(name) || name == ".." || strings.HasPrefix(name, "../") ||
			strings.ContainsAny(name, "\\\x00") || len(name) > MaxUploadNameBytes {
			t.Fatalf("accepted %q", name)
		}
	})
}
