package api

import (
	"net/http"

	"github.com/distrisearch/distrisearch/auth/rbac"
)

// permissions is the one table of what every public route needs. A route
// served without an entry here makes New fail, and the authorization
// matrix test checks each entry against every role.
var permissions = rbac.Table{
	"GET /api/health":                   rbac.Public,
	"GET /api/openapi.json":             rbac.Public,
	"GET /metrics":                      rbac.Public, // counters only: no file names, no user data
	"POST /api/auth/login":              rbac.Public,
	"POST /api/auth/logout":             rbac.Authenticated,
	"GET /api/auth/me":                  rbac.Authenticated,
	"POST /api/auth/keys/rotate":        rbac.AdminConfig,
	"GET /api/search":                   rbac.ReadFiles,
	"POST /api/files":                   rbac.WriteFiles,
	"POST /api/files/batch":             rbac.WriteFiles,
	"DELETE /api/files/{file_id}":       rbac.WriteFiles,
	"DELETE /api/folders":               rbac.WriteFiles,
	"POST /api/folders/move":            rbac.WriteFiles,
	"GET /api/files/{file_id}":          rbac.ReadFiles,
	"GET /api/files/{file_id}/content":  rbac.ReadFiles,
	"GET /api/files/{file_id}/download": rbac.ReadFiles,
	"GET /api/status":                   rbac.ReadNodes,
	"GET /api/nodes":                    rbac.ReadNodes,
	"GET /api/cluster":                  rbac.ReadNodes,
	"GET /api/events":                   rbac.ReadEvents,
	"POST /api/node/leave":              rbac.AdminNodes,
	"GET /api/users":                    rbac.AdminUsers,
	"POST /api/users":                   rbac.AdminUsers,
	"PATCH /api/users/{username}":       rbac.AdminUsers,
	"GET /api/audit":                    rbac.AdminAudit,
	"GET /api/audit/verify":             rbac.AdminAudit,
}

// handlers maps every built-in route to its handler.
func (s *Server) handlers() map[string]http.HandlerFunc {
	return map[string]http.HandlerFunc{
		"GET /api/health":                   s.handleHealth,
		"GET /api/openapi.json":             s.handleOpenAPI,
		"POST /api/auth/login":              s.handleLogin,
		"POST /api/auth/logout":             s.handleLogout,
		"GET /api/auth/me":                  s.handleMe,
		"POST /api/auth/keys/rotate":        s.handleRotateKey,
		"GET /api/search":                   s.handleSearch,
		"POST /api/files":                   s.handleUpload,
		"POST /api/files/batch":             s.handleUploadBatch,
		"DELETE /api/files/{file_id}":       s.handleDelete,
		"DELETE /api/folders":               s.handleFolderDelete,
		"POST /api/folders/move":            s.handleFolderMove,
		"GET /api/files/{file_id}":          s.handleFile,
		"GET /api/files/{file_id}/content":  s.handleContent,
		"GET /api/files/{file_id}/download": s.handleDownload,
		"GET /api/status":                   s.handleStatus,
		"GET /api/nodes":                    s.handleNodes,
		"GET /api/cluster":                  s.handleCluster,
		"GET /api/events":                   s.handleEvents,
		"POST /api/node/leave":              s.handleLeave,
		"GET /api/users":                    s.handleListUsers,
		"POST /api/users":                   s.handleAddUser,
		"PATCH /api/users/{username}":       s.handleUpdateUser,
		"GET /api/audit":                    s.handleAudit,
		"GET /api/audit/verify":             s.handleAuditVerify,
	}
}
