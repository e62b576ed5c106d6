package fakeoms

import (
	"bytes"
	"encoding/binary"
	"html/template"
	"net/http"
	"slices"
	"strings"

	bolt "go.etcd.io/bbolt"
)

// recentEvents is how many of the last events the page shows.
const recentEvents = 30

// pageText is every string of the page, in both languages.
var pageText = map[string]map[string]string{
	"zh-CN": {
		"title": "模拟 OMS", "intro": "这是一个用于测试和演示的模拟中央 OMS：它接收仓库推送的事件，提供订单和面单号，并按需注入故障。",
		"orders": "订单", "owner": "货主", "no": "单号", "state": "状态", "carrier": "承运商", "waybills": "面单号", "note": "说明",
		"none": "暂无", "events": "最近收到的事件", "n": "序", "seq": "仓库序号", "type": "类型", "at": "发生时间",
		"stock": "库存（按收到的事件累计）", "sku": "SKU", "lot": "批次", "qty": "数量", "faults": "当前故障",
		"kind": "类型", "left": "剩余次数", "path": "路径", "forever": "直到清除", "all": "全部",
		"waiting": "待拉取", "served": "已下发", "accepted": "仓库已接单", "shipped": "已发货", "cancelled": "已取消", "refused": "仓库拒收",
		"lang": "English", "refresh": "每 5 秒自动刷新",
	},
	"en": {
		"title": "Fake OMS", "intro": "A stand-in central OMS for tests and demos: it keeps the events the warehouse pushes, serves orders and waybill numbers, and injects faults on request.",
		"orders": "Orders", "owner": "Owner", "no": "Number", "state": "State", "carrier": "Carrier", "waybills": "Waybills", "note": "Note",
		"none": "None yet", "events": "Recent events received", "n": "#", "seq": "Warehouse seq", "type": "Type", "at": "Happened",
		"stock": "Stock (folded from the events received)", "sku": "SKU", "lot": "Lot", "qty": "Qty", "faults": "Active faults",
		"kind": "Kind", "left": "Hits left", "path": "Path", "forever": "until cleared", "all": "all",
		"waiting": "waiting to be pulled", "served": "pulled", "accepted": "accepted by the warehouse", "shipped": "shipped", "cancelled": "cancelled", "refused": "refused by the warehouse",
		"lang": "中文", "refresh": "refreshes every 5 s",
	},
}

var pageTmpl = template.Must(template.New("page").Parse(`<!doctype html>
<html lang="{{.Lang}}"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="refresh" content="5">
<title>{{index .T "title"}}</title>
<style>
body{font:15px/1.4 system-ui,sans-serif;margin:0 auto;padding:8px;max-width:960px;color:#222}
h1{font-size:20px;margin:4px 0} h2{font-size:16px;margin:16px 0 4px}
.wrap{overflow-x:auto} table{border-collapse:collapse;width:100%;font-size:13px}
th,td{border-bottom:1px solid #ddd;padding:3px 4px;text-align:left;vertical-align:top}
.s-shipped{color:#060}.s-cancelled,.s-refused{color:#a00} .muted{color:#666;font-size:12px}
code{word-break:break-all}
</style></head><body>
<h1>{{index .T "title"}}</h1>
<p class="muted">{{index .T "intro"}} · {{index .T "refresh"}} · <a href="?lang={{.Other}}">{{index .T "lang"}}</a></p>
<h2>{{index .T "faults"}}</h2>
{{if .Faults}}<div class="wrap"><table><tr><th>{{index .T "kind"}}</th><th>{{index .T "path"}}</th><th>{{index .T "left"}}</th><th></th></tr>
{{range .Faults}}<tr><td>{{.Kind}}</td><td>{{if .Path}}{{.Path}}{{else}}{{index $.T "all"}}{{end}}</td>
<td>{{if .Count}}{{.Left}}{{else}}{{index $.T "forever"}}{{end}}</td>
<td>{{with .Status}}{{.}}{{end}}{{with .DelayMS}}{{.}} ms{{end}}{{with .RetryAfterS}}Retry-After {{.}}{{end}}{{with .SkewS}}{{.}} s{{end}}{{if .Match}}<code>{{.Match}}</code> {{.Mode}}{{end}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">{{index .T "none"}}</p>{{end}}
<h2>{{index .T "orders"}} ({{len .Orders}})</h2>
{{if .Orders}}<div class="wrap"><table><tr><th>{{index .T "owner"}}</th><th>{{index .T "no"}}</th><th>{{index .T "state"}}</th><th>{{index .T "carrier"}}</th><th>{{index .T "waybills"}}</th><th>{{index .T "note"}}</th></tr>
{{range .Orders}}<tr><td>{{.Owner}}</td><td>{{.No}}</td><td class="s-{{.State}}">{{index $.T .State}}</td><td>{{.Carrier}}</td><td>{{range .Waybills}}<code>{{.}}</code> {{end}}</td><td>{{.Code}} {{.Reason}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">{{index .T "none"}}</p>{{end}}
<h2>{{index .T "events"}}</h2>
{{if .Events}}<div class="wrap"><table><tr><th>{{index .T "n"}}</th><th>{{index .T "seq"}}</th><th>{{index .T "type"}}</th><th>{{index .T "owner"}}</th><th>{{index .T "at"}}</th></tr>
{{range .Events}}<tr><td>{{.N}}</td><td>{{.Seq}}</td><td>{{.Type}}</td><td>{{.Owner}}</td><td>{{.At.Format "2006-01-02 15:04:05"}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">{{index .T "none"}}</p>{{end}}
<h2>{{index .T "stock"}}</h2>
{{if .Stock}}<div class="wrap"><table><tr><th>{{index .T "owner"}}</th><th>{{index .T "sku"}}</th><th>{{index .T "lot"}}</th><th>{{index .T "qty"}}</th></tr>
{{range .Stock}}<tr><td>{{.Owner}}</td><td>{{.SKU}}</td><td>{{.Lot}}</td><td>{{.Qty}}</td></tr>{{end}}
</table></div>{{else}}<p class="muted">{{index .T "none"}}</p>{{end}}
</body></html>
`))

// pageLang picks the page's language: ?lang=, then Accept-Language, then Chinese.
func pageLang(r *http.Request) string {
	switch l := r.URL.Query().Get("lang"); l {
	case "en", "zh-CN":
		return l
	}
	for part := range strings.SplitSeq(r.Header.Get("Accept-Language"), ",") {
		tag := strings.ToLower(strings.TrimSpace(strings.SplitN(part, ";", 2)[0]))
		switch {
		case strings.HasPrefix(tag, "zh"):
			return "zh-CN"
		case strings.HasPrefix(tag, "en"):
			return "en"
		}
	}
	return "zh-CN"
}

type pageStock struct {
	Owner, SKU, Lot string
	Qty             int64
}

func (o *OMS) page(w http.ResponseWriter, r *http.Request) {
	lang := pageLang(r)
	data := struct {
		Lang, Other string
		T           map[string]string
		Faults      []Fault
		Orders      []OrderView
		Events      []Received
		Stock       []pageStock
	}{Lang: lang, Other: "en", T: pageText[lang], Faults: o.faults.list()}
	if lang == "en" {
		data.Other = "zh-CN"
	}
	var err error
	if data.Orders, err = o.Orders(); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	// the newest first: what just happened is what a demo looks for
	slices.SortStableFunc(data.Orders, func(a, b OrderView) int { return b.Updated.Compare(a.Updated) })
	if data.Events, err = o.recent(recentEvents); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	stock, err := o.allStock()
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	for owner, lines := range stock {
		for _, l := range lines {
			data.Stock = append(data.Stock, pageStock{owner, l.SKU, l.Lot, l.Qty})
		}
	}
	slices.SortFunc(data.Stock, func(a, b pageStock) int {
		return strings.Compare(a.Owner+"\x00"+a.SKU+"\x00"+a.Lot, b.Owner+"\x00"+b.SKU+"\x00"+b.Lot)
	})
	var buf bytes.Buffer
	if err := pageTmpl.Execute(&buf, data); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}

// recent lists the last n events received, newest first.
func (o *OMS) recent(n int) ([]Received, error) {
	var last uint64
	if err := o.db.View(func(tx *bolt.Tx) error {
		if k, _ := tx.Bucket(bucketArrival).Cursor().Last(); k != nil {
			last = binary.BigEndian.Uint64(k)
		}
		return nil
	}); err != nil {
		return nil, err
	}
	from := uint64(0)
	if last > uint64(n) {
		from = last - uint64(n)
	}
	got, err := o.receivedAfter(from, n)
	slices.Reverse(got)
	return got, err
}
