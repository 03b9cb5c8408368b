package api

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	ds "github.com/distrisearch/distrisearch"
)

// MaxQueryBytes bounds the q parameter.
const MaxQueryBytes = 1024

// parseSearch turns GET /api/search parameters into a SearchRequest.
func parseSearch(v url.Values) (ds.SearchRequest, error) {
	for k := range v {
		switch k {
		case "q", "limit", "cursor", "sort", "order", "facets", "highlight":
		default:
			return ds.SearchRequest{}, ds.Errorf(ds.KindInvalid, "bad_parameter",
				"unknown parameter %q; valid: q, limit, cursor, sort, order, facets, highlight", truncate(k, 64))
		}
		if len(v[k]) > 1 {
			return ds.SearchRequest{}, ds.Errorf(ds.KindInvalid, "bad_parameter", "parameter %q is given more than once", k)
		}
	}
	req := ds.SearchRequest{
		Query:     strings.TrimSpace(v.Get("q")),
		Limit:     20,
		Cursor:    v.Get("cursor"),
		Sort:      ds.SortRelevance,
		Desc:      true,
		Facets:    true,
		Highlight: true,
	}
	if req.Query == "" {
		return req, ds.Errorf(ds.KindInvalid, "missing_query", "the q parameter is required, e.g. /api/search?q=report")
	}
	if len(req.Query) > MaxQueryBytes {
		return req, ds.Errorf(ds.KindInvalid, "query_too_long", "the query is %d bytes; the limit is %d", len(req.Query), MaxQueryBytes)
	}
	if len(req.Cursor) > 4096 {
		return req, ds.Errorf(ds.KindInvalid, "bad_cursor", "the cursor is not one this server issued")
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > ds.MaxLimit {
			return req, ds.Errorf(ds.KindInvalid, "bad_limit", "limit must be a whole number from 1 to %d", ds.MaxLimit)
		}
		req.Limit = n
	}
	switch s := v.Get("sort"); s {
	case "", ds.SortRelevance:
	case ds.SortModified, ds.SortSize:
		req.Sort = s
	case ds.SortName:
		req.Sort, req.Desc = s, false
	default:
		return req, ds.Errorf(ds.KindInvalid, "bad_sort", "sort must be relevance, modified, size or name")
	}
	switch s := v.Get("order"); s {
	case "":
	case "asc":
		req.Desc = false
	case "desc":
		req.Desc = true
	default:
		return req, ds.Errorf(ds.KindInvalid, "bad_order", "order must be asc or desc")
	}
	var err error
	if req.Facets, err = boolParam(v, "facets", true); err != nil {
		return req, err
	}
	if req.Highlight, err = boolParam(v, "highlight", true); err != nil {
		return req, err
	}
	return req, nil
}

func boolParam(v url.Values, name string, def bool) (bool, error) {
	s := v.Get(name)
	if s == "" {
		return def, nil
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		return def, ds.Errorf(ds.KindInvalid, "bad_parameter", "%s must be true or false", name)
	}
	return b, nil
}

func (s *Server) handleSearch(w http.ResponseWriter, r *http.Request) {
	req, err := parseSearch(r.URL.Query())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	// Whom the search is for: the searcher restricts each partition by
	// the share ACLs of the node that holds it.
	p, _ := PrincipalFrom(r.Context())
	req.Viewer = &ds.Viewer{Roles: p.Roles, Groups: p.Groups}
	start := time.Now()
	res, err := s.cfg.Searcher.Search(r.Context(), req)
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	res.TookMS = float64(time.Since(start).Microseconds()) / 1000
	if res.Hits == nil {
		res.Hits = []ds.Hit{}
	}
	writeJSON(w, http.StatusOK, res)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
