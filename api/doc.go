// Package api serves DistriSearch's public REST API: search, file metadata,
// downloads, node status and the OpenAPI document.
//
// Every error leaves as {"error":{"code":"...","message":"...","request_id":"..."}}
// with the HTTP status that errors.go's table gives its kind. Handlers depend
// only on the small interfaces declared in service.go; the node package
// supplies the implementations.
package api
