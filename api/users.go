package api

import (
	"net/http"
	"strconv"
	"strings"

	ds "github.com/distrisearch/distrisearch"
	"github.com/distrisearch/distrisearch/audit"
)

// MaxUserBodyBytes bounds the body of a user change.
const MaxUserBodyBytes = 16 << 10

func (s *Server) handleListUsers(w http.ResponseWriter, r *http.Request) {
	users, err := s.cfg.Accounts.ListUsers(r.Context())
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	for i := range users {
		users[i].Roles, users[i].Groups = nonNil(users[i].Roles), nonNil(users[i].Groups)
	}
	if users == nil {
		users = []User{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"users": users})
}

func (s *Server) handleAddUser(w http.ResponseWriter, r *http.Request) {
	var body NewUser
	if err := decodeJSON(w, r, &body, MaxUserBodyBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	u, err := s.cfg.Accounts.AddUser(r.Context(), body)
	s.audit(r, audit.Entry{Action: audit.ActionUserAdd, Resource: "user:" + body.Username, Result: resultOf(err),
		Details: map[string]string{"roles": strings.Join(body.Roles, ","), "groups": strings.Join(body.Groups, ",")}})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u.Roles, u.Groups = nonNil(u.Roles), nonNil(u.Groups)
	writeJSON(w, http.StatusCreated, u)
}

// handleUpdateUser changes a user's password, roles, groups or disabled
// flag. Role and group changes are audited as role_change, the others as
// user_change; a password never appears in the log.
func (s *Server) handleUpdateUser(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("username")
	var ch UserChange
	if err := decodeJSON(w, r, &ch, MaxUserBodyBytes); err != nil {
		s.writeError(w, r, err)
		return
	}
	if ch.Password == nil && ch.Roles == nil && ch.Groups == nil && ch.Disabled == nil {
		s.writeError(w, r, ds.Errorf(ds.KindInvalid, "empty_change", "give at least one of password, roles, groups, disabled"))
		return
	}
	u, err := s.cfg.Accounts.UpdateUser(r.Context(), name, ch)
	details := map[string]string{}
	action := audit.ActionUserChange
	if ch.Roles != nil {
		action, details["roles"] = audit.ActionRoleChange, strings.Join(*ch.Roles, ",")
	}
	if ch.Groups != nil {
		action, details["groups"] = audit.ActionRoleChange, strings.Join(*ch.Groups, ",")
	}
	if ch.Password != nil {
		details["password"] = "changed"
	}
	if ch.Disabled != nil {
		details["disabled"] = strconv.FormatBool(*ch.Disabled)
	}
	s.audit(r, audit.Entry{Action: action, Resource: "user:" + name, Result: resultOf(err), Details: details})
	if err != nil {
		s.writeError(w, r, err)
		return
	}
	u.Roles, u.Groups = nonNil(u.Roles), nonNil(u.Groups)
	writeJSON(w, http.StatusOK, u)
}
