package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"strconv"

	ds "github.com/distrisearch/distrisearch"
)

// statusOf is the one table from error kind to HTTP status.
var statusOf = map[ds.Kind]int{
	ds.KindInvalid:             http.StatusBadRequest,
	ds.KindUnauthorized:        http.StatusUnauthorized,
	ds.KindForbidden:           http.StatusForbidden,
	ds.KindNotFound:            http.StatusNotFound,
	ds.KindConflict:            http.StatusConflict,
	ds.KindTooLarge:            http.StatusRequestEntityTooLarge,
	ds.KindRangeNotSatisfiable: http.StatusRequestedRangeNotSatisfiable,
	ds.KindRateLimited:         http.StatusTooManyRequests,
	ds.KindUnavailable:         http.StatusServiceUnavailable,
	ds.KindInternal:            http.StatusInternalServerError,
}

// StatusOf returns the HTTP status for err's kind.
func StatusOf(err error) int {
	if s, ok := statusOf[ds.KindOf(err)]; ok {
		return s
	}
	return http.StatusInternalServerError
}

// ErrorBody is the one error shape of the API.
type ErrorBody struct {
	Error ErrorDetail `json:"error"`
}

// ErrorDetail is the inside of ErrorBody.
type ErrorDetail struct {
	Code      string `json:"code"`
	Message   string `json:"message"`
	RequestID string `json:"request_id,omitempty"`
}

// writeError sends err in the API's error shape and logs internal errors.
func (s *Server) writeError(w http.ResponseWriter, r *http.Request, err error) {
	var maxErr *http.MaxBytesError
	if errors.As(err, &maxErr) {
		err = ds.Errorf(ds.KindTooLarge, "body_too_large", "request body is larger than %d bytes", maxErr.Limit)
	}
	status := StatusOf(err)
	if status >= 500 {
		s.log.ErrorContext(r.Context(), "request failed", "method", r.Method, "path", r.URL.Path,
			"request_id", requestID(r.Context()), "err", err)
	}
	writeErrorBody(w, status, ds.CodeOf(err), ds.MessageOf(err), requestID(r.Context()))
}

func writeErrorBody(w http.ResponseWriter, status int, code, msg, reqID string) {
	if status == http.StatusTooManyRequests && w.Header().Get("Retry-After") == "" {
		w.Header().Set("Retry-After", strconv.Itoa(1))
	}
	writeJSON(w, status, ErrorBody{Error: ErrorDetail{Code: code, Message: msg, RequestID: reqID}})
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(true)
	_ = enc.Encode(v)
}
