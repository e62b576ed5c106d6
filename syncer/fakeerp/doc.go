// Package fakeerp is a stand-in for a Chinese e-commerce ERP that speaks the Qimen (奇门) WMS
// standard, for tests and demonstrations of the warehouse's side: `tally fake-erp`. It is to
// Qimen what syncer/fakeoms is to Tally's own protocol, and an independent implementation of
// the ERP's side: it shares only the wire rules of syncer/qimen (signing, the envelope), never
// the syncer's or the ledger's code. Everything is kept in memory: a restart forgets.
//
// # Calls it receives (WMS → ERP)
//
//	POST /qimen?method=taobao.qimen.<m>&timestamp=…&app_key=…&customerId=…&sign_method=md5&sign=…
//
// The upstream URL a warehouse (or the hub) is given is http://ADDR/qimen. Every answer is HTTP
// 200 with <response><flag>success|failure</flag><code/><message/></response>. A call is
// refused, and nothing kept, when: the body is over 1 MiB (body-too-large); customerId or
// app_key is missing or not the ERP's (unknown-customer); the timestamp is missing, malformed
// or more than 10 minutes from the ERP's clock (invalid-timestamp); the sign is missing or
// does not match its secret (sign-check-failure); the method is not one of qimen.Outbound
// (invalid-method); the body is not a well-formed <request> (invalid-xml); the content lacks
// what the ERP needs — the order code, warehouseCode, outBizCode (per item for
// stockchange.report), whole quantities, dates as YYYY-MM-DD, a DELIVERED shipment's
// packages with logisticsCode and expressCode — (invalid-content); ownerCode or
// warehouseCode is not the ERP's (invalid-owner, invalid-warehouse).
//
// A confirmation is kept by method and outBizCode. The same outBizCode with the same body
// again is a repeat: success, counted once (received goes up, nothing else). The same
// outBizCode with another body is failure "outbizcode-conflict". Confirmations of an order the
// ERP made update it: deliveryorder.confirm and stockout.confirm mark it shipped with its
// packages (carrier, waybill), entryorder.confirm and returnorder.confirm received,
// orderprocess.report sets its process status, itemlack.report lists what was short.
//
// # Calls it sends (ERP → WMS)
//
// To Options.WMS (a warehouse's POST /qimen or the hub's), signed with its secret when sent:
// app_key, customerId, format=xml, method=taobao.qimen.<m>, sign_method=md5, timestamp (China
// time), v=2.0, sign. Calls go one at a time in the order made. A call that gets no answer
// (the network failed, HTTP 429 or 5xx, an answer that is not a Qimen <response>) is sent
// again after a wait (1 s doubling to 30 s, or the Retry-After), with the same body: the WMS
// must treat it as the repeat it is. Every answer is kept with its call.
//
//	deliveryorder.create   generated shop orders: TB, TM, JD, PDD or DY, a Chinese recipient, 1–3 lines of the
//	                       catalogue with the platform's order and sub-order IDs (sourceOrderCode,
//	                       subSourceOrderCode), carrier SF or JD; spread over the warehouses round robin
//	entryorder.create      a purchase arriving (CGRK)
//	returnorder.create     a customer's return (THRK) of a delivery order
//	order.cancel           of any order it made
//	items.synchronize      its catalogue: the demo warehouse's books and clothes, same codes and barcodes
//	inventory.query        stock of some items at a warehouse; the answer is kept with the call
//
// # The admin API and the page
//
// JSON; with Options.Token set, every /admin/ request needs Authorization: Bearer <token>.
// It binds to loopback by default: never expose it. Error answers are {"error","code"}.
//
//	GET    /admin/confirms   {"total","confirms":{method:[Confirmation…]}}; ?method= keeps one method's
//	GET    /admin/orders     {"orders":[Order…]}: made, answered, confirmed (shipped with waybills)
//	POST   /admin/orders     {"n":5,"warehouse":""} → 202 {"orders":[…]}: make and send n orders (1–10,000)
//	POST   /admin/cancel     {"order","reason"} → 202 the order.cancel call
//	POST   /admin/entries    {"warehouse","lines":{"SKU03000":20}} → 202 the entry order
//	POST   /admin/returns    {"order","reason"} → 202 the return order
//	POST   /admin/items      → 202 {"calls":[…]}: items.synchronize to each warehouse
//	POST   /admin/inventory  {"warehouse","items":["SKU03000"]} → 202 the call (its answer later in /admin/calls)
//	GET    /admin/calls      {"calls":[Call…]}: the calls made, with state, attempts and answer
//	GET    /admin/requests   {"requests":[…]}: the calls received, how each was answered
//	GET    /admin/stats      {"received":{method:{accepted,repeated,conflict,refused}},"sent":{method:{…}},"orders":{kind:{state:n}},"queued","faults"}
//	POST   /admin/faults     one fault or a list → 201 {"faults":[active…]}; GET lists them, DELETE clears them
//	GET    /                 the page: faults, confirmations, orders, calls; refreshes every 5 s
//
// # Faults
//
// A fault is {"kind","count","method",…}: count is how many calls it hits (0: until cleared),
// method limits it to one WMS→ERP method (empty: all). The first active fault that matches a
// received call hits it:
//
//	{"kind":"drop"}                          the connection is reset before anything is read or kept
//	{"kind":"error","status":503}            HTTP 500, 502 or 503, nothing kept
//	{"kind":"slow","delay_ms":2000}          waits, then serves the call (≤ 120000 ms)
//	{"kind":"lost"}                          serves the call (it IS kept), then closes the connection unanswered
//	{"kind":"ratelimit","retry_after_s":30}  HTTP 429 with Retry-After, nothing kept
//	{"kind":"poison","match":"SKU03001"}     a call whose body holds match is answered failure "poison"
//	{"kind":"skew","skew_s":-900}            the ERP's clock moves, for the calls it receives (its 10-minute
//	                                         window) and sends (its timestamps: beyond 10 minutes the WMS
//	                                         must refuse them); each such call is a hit
package fakeerp
