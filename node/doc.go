// Package node assembles one DistriSearch node from its parts: the record
// store, the full-text index, the extractor, the share scanner and the public
// API. New checks the configuration; Start opens storage, binds the listener
// and starts the scanner; Close stops everything in reverse order and is safe
// after a partial Start.
package node
