package fakeerp

import (
	"bytes"
	"html/template"
	"net/http"
	"slices"
	"strings"
)

// pageRows is how many of the newest orders, confirmations and calls the page shows.
const pageRows = 50

var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"waybills": func(ps []Package) string {
		var s []string
		for _, p := range ps {
			s = append(s, p.Carrier+" "+p.Waybill)
		}
		return strings.Join(s, ", ")
	},
}).Parse(`<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>Fake ERP (Qimen)</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;padding:8px;max-width:1100px;color:#222}
h1{font-size:20px;margin:4px 0} h2{font-size:16px;margin:16px 0 4px}
.wrap{overflow-x:auto} table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:3px 4px;text-align:left;vertical-align:top}
.s-done{color:#060}.s-refused,.s-cancelled,.s-unanswered,.f-failure{color:#a00} .muted{color:#666;font-size:12px}
</style></head><body>
<h1>Fake ERP (Qimen)</h1>
<p class="muted">A stand-in ERP for tests and demos: it sends orders to the WMS over the Qimen (奇门) standard and keeps the confirmations the WMS sends back. Customer {{.Customer}}, owner {{.Owner}}, warehouses {{.Warehouses}}; WMS {{if .WMS}}{{.WMS}}{{else}}none (receive only){{end}}. Refreshes every 5 s. No login: loopback only.</p>
<h2>Active faults</h2>
{{if .Faults}}<div class="wrap"><table><tr><th>Kind</th><th>Method</th><th>Hits left</th><th></th></tr>
{{range .Faults}}<tr><td>{{.Kind}}</td><td>{{if .Method}}{{.Method}}{{else}}all{{end}}</td><td>{{if .Count}}{{.Left}}{{else}}until cleared{{end}}</td>
<td>{{with .Status}}{{.}}{{end}}{{with .DelayMS}}{{.}} ms{{end}}{{with .RetryAfterS}}Retry-After {{.}}{{end}}{{with .SkewS}}{{.}} s{{end}}{{with .Match}}<code>{{.}}</code>{{end}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">None</p>{{end}}
<h2>Confirmations received</h2>
{{if .Stats.Received}}<div class="wrap"><table><tr><th>Method</th><th>New</th><th>Repeats</th><th>Conflicts</th><th>Refused</th></tr>
{{range $m, $s := .Stats.Received}}<tr><td>{{$m}}</td><td>{{$s.Accepted}}</td><td>{{$s.Repeated}}</td><td>{{$s.Conflict}}</td><td>{{$s.Refused}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">None yet</p>{{end}}
<h2>Orders ({{.OrderCount}}, newest first)</h2>
{{if .Orders}}<div class="wrap"><table><tr><th>Code</th><th>Kind</th><th>Warehouse</th><th>Platform</th><th>Recipient</th><th>Lines</th><th>State</th><th>Shipped</th><th>Note</th></tr>
{{range .Orders}}<tr><td>{{.Code}}</td><td>{{.Kind}}</td><td>{{.Warehouse}}</td><td>{{.Platform}}</td><td>{{.Recipient}}</td>
<td>{{range .Lines}}{{.ItemCode}}×{{.Qty}} {{end}}</td><td class="s-{{.State}}">{{.State}}{{with .Process}} ({{.}}){{end}}</td>
<td>{{waybills .Shipped}}</td><td>{{.Code2}} {{.Message}} {{.CancelNote}}{{if .Lacking}} short: {{range .Lacking}}{{.ItemCode}}×{{.Qty}} {{end}}{{end}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">None yet</p>{{end}}
<h2>Calls sent (newest first)</h2>
{{if .Calls}}<div class="wrap"><table><tr><th>Call</th><th>Method</th><th>Document</th><th>Warehouse</th><th>State</th><th>Attempts</th><th>Answer</th></tr>
{{range .Calls}}<tr><td>{{.ID}}</td><td>{{.Method}}</td><td>{{.Doc}}</td><td>{{.Warehouse}}</td><td>{{.State}}</td><td>{{.Attempts}}</td>
<td class="f-{{.Flag}}">{{.Flag}} {{.Code}} {{.Message}}{{with .LastError}} <span class="muted">{{.}}</span>{{end}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">None yet</p>{{end}}
</body></html>
`))

func (e *ERP) page(w http.ResponseWriter, _ *http.Request) {
	orders, calls := e.Orders(), e.Calls()
	data := struct {
		Customer, Owner, Warehouses, WMS string
		Faults                           []Fault
		Stats                            Stats
		Orders                           []Order
		OrderCount                       int
		Calls                            []Call
	}{Customer: e.o.CustomerID, Owner: e.o.OwnerCode, Warehouses: strings.Join(e.o.Warehouses, ", "),
		Faults: e.faults.list(), Stats: e.Stats(), OrderCount: len(orders)}
	if e.wms != nil {
		data.WMS = e.wms.String()
	}
	slices.Reverse(orders)
	slices.Reverse(calls)
	data.Orders, data.Calls = orders[:min(len(orders), pageRows)], calls[:min(len(calls), pageRows)]
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
