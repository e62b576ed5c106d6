// Package fakeoms is a stand-in for a central OMS that speaks Tally's sync protocol
// (docs/sync.md), for tests and demonstrations of the warehouse's side: `tally fake-oms`.
//
// It keeps everything in its own bbolt file: the events the warehouse pushed (by event ID,
// for good), its change log (what the warehouse pulls), a stock projection folded from the
// accepted events (wms.StockEffect, in the transaction that accepts them) and what it knows
// of each order.
//
// # The protocol
//
// Every protocol request carries the bearer token and is signed (syncer.Verify, ±5 minutes);
// the key is the secret, or the token when no secret is set (the warehouse's upstream may
// have none). Refusals are 401 with the codes of docs/sync.md; bodies are at most 8 MiB.
// Every answer has a Date header.
//
//	POST {base}/events                       push: {"events":[Outward…]} → {"results":[{"id","status","code","reason"}]}
//	                                         accepted once per ID, duplicate ever after, rejected (not kept) when the
//	                                         type does not go upstream or the data does not fit; 400 batch.malformed
//	GET  {base}/changes?after=C&limit=N&owner=O
//	                                         pull: {"changes":[{"id","type","owner","at","data"}],"next","more"};
//	                                         limit 1–500 (default 100), 400 limit.invalid / cursor.invalid /
//	                                         owner.invalid; cursors look like c-000000000123; next points just after
//	                                         the page's last change, never further; an empty page answers after again
//	GET  {base}/stock?owner=O                the snapshot: {"owner","at","applied_through","lines":[{"sku","lot","qty"}],
//	                                         "open_orders":[…]}; applied_through is the highest seq accepted,
//	                                         open_orders the owner's orders pulled and neither shipped nor cancelled
//
// # The admin API and the page
//
// The admin API and the page are NOT authenticated: this is a test tool. It binds to
// loopback by default; never expose it. Error answers are {"error","code"}.
//
//	POST   /admin/changes   {"type","owner","id","data"}: append any change type of docs/sync.md (order,
//	                        order.cancel, sku, asn, rma, waybills, stock.instruction); owner an owner code
//	                        (empty: DEFAULT), id optional (made: OMS-000123), data a JSON object ≤ 1 MiB;
//	                        201 with the change, 400 change.invalid, 409 change.id_taken
//	POST   /admin/orders    the body of POST /api/v1/orders plus optional "owner" and "id": an order change,
//	                        checked by wms.OrderIntake.Validate (400 order.invalid)
//	POST   /admin/cancel    {"owner","no","reason"} (and optional "id"): an order.cancel change
//	POST   /admin/faults    one fault or a list (see below) → 201 {"faults":[active…]}
//	GET    /admin/faults    {"faults":[{"id","kind","count","left","path",…}]}
//	DELETE /admin/faults    clears them all
//	GET    /admin/requests  {"requests":[{"at","method","path","status","fault"}]}: the last 10,000 protocol
//	                        requests, oldest first; at is the arrival time by the OMS's own clock
//	GET    /admin/received  {"received":[Received…]}: events kept, in arrival order; ?after=N&limit=M (≤ 10,000)
//	GET    /admin/stats     {"types":{"order.shipped":{"accepted","duplicate","rejected"}},"accepted","duplicate","rejected"}
//	GET    /                the page (zh-CN or en by ?lang= or Accept-Language): orders and their state,
//	                        recent events, stock per owner, SKU and lot, active faults; refreshes every 5 s
//
// # Faults
//
// Faults live in memory. A fault is {"kind","count","path", …}: count is how many protocol
// requests it hits (0: until cleared), path one of "events", "changes", "stock" or "" (all).
// A request is hit by the first active fault that matches its path (poison aside):
//
//	{"kind":"drop"}                          the connection is closed (reset) before anything is read or stored
//	{"kind":"error","status":503}            500, 502 or 503 {"code":"fault.error"}, nothing stored
//	{"kind":"slow","delay_ms":2000}          waits, then serves the request (≤ 120000 ms)
//	{"kind":"lost"}                          serves the request (a batch IS stored), then closes the connection unanswered
//	{"kind":"ratelimit","retry_after_s":30}  429 with Retry-After {"code":"rate.limited"}, nothing stored
//	{"kind":"skew","skew_s":-900}            the OMS's clock moves: its Date header and its ±5 minute window
//	{"kind":"poison","match":"SKU00003","mode":"reject"}
//	                                         pushed events whose raw JSON holds match are answered rejected,
//	                                         code "poison" (mode reject), or the whole batch is 422
//	                                         {"code":"batch.poison"} (mode batch); its count goes down only on a
//	                                         request it matched
package fakeoms
