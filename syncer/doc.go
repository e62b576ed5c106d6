// Package syncer keeps the warehouse and its upstreams (a central OMS, an
// ERP) in step: it pushes the events that go upstream, in their outward
// shapes, pulls orders, master data and instructions, and reconciles stock.
// The protocol is written down in docs/sync.md and docs/sync.openapi.json;
// TestSyncDocs keeps those documents true to the event catalogue.
package syncer
