package server

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"tally/views"
	"tally/wms"
)

// POST /api/v1/orders:batch at its exact path: each order answered in the
// reader's language; over its limits refused whole with 413 and nothing
// stored; supervisors' and integrations' like POST /api/v1/orders.
func TestOrdersBatchAPI(t *testing.T) {
	s, l := testServer(t)
	ctx := context.Background()
	admin, _ := l.CreateToken(ctx, "oms", wms.RoleAdmin, "test")
	c := newClient(t, s)
	c.bearer = admin
	order := func(no, sku string, qty int) string {
		return fmt.Sprintf(`{"no":%q,"channel":"tmall","recipient":{"name":"王芳","phone":"13800138000","address":"浙江省杭州市西湖区文三路 100 号"},"lines":[{"sku":%q,"qty":%d}]}`, no, sku, qty)
	}
	send := func(body string) (int, string) {
		resp, text := c.do("POST", "/api/v1/orders:batch", strings.NewReader(body), map[string]string{"Content-Type": "application/json"})
		return resp.StatusCode, text
	}
	seq := l.LastSeq()
	for _, lang := range langs {
		c.lang = lang
		st, text := send(`{"orders":[` + order("SO-H1-"+lang, "SKU03000", 1) + `,` + order("SO-H2-"+lang, "NOPE", 1) + `]}`)
		var out ordersBatchOut
		if err := json.Unmarshal([]byte(text), &out); err != nil || st != 200 || len(out.Orders) != 2 {
			t.Fatalf("%s: %d %s", lang, st, text)
		}
		if o := out.Orders[0]; o.Result != wms.BatchCreated || o.State != "new" || o.Error != nil {
			t.Errorf("%s: first %+v", lang, o)
		}
		e := out.Orders[1].Error
		if out.Orders[1].Result != wms.BatchRefused || e == nil || e.Code != "not_found" || e.Key != "sku.not_found" {
			t.Fatalf("%s: second %+v", lang, out.Orders[1])
		}
		if want := views.Translate(lang, "sku.not_found", e.Args); e.Error != want || !strings.Contains(e.Error, "NOPE") {
			t.Errorf("%s: %q, want %q", lang, e.Error, want)
		}
	}
	c.lang = "en"
	if got := l.LastSeq() - seq; got != 2 {
		t.Errorf("%d events for two created orders", got)
	}

	seq = l.LastSeq()
	many := make([]string, wms.MaxBatchOrders+1)
	for i := range many {
		many[i] = order(fmt.Sprintf("SO-M%04d", i), "SKU03000", 1)
	}
	if st, text := send(`{"orders":[` + strings.Join(many, ",") + `]}`); st != 413 || !strings.Contains(text, `"key":"orders.batch_too_many"`) || !strings.Contains(text, "1001") {
		t.Errorf("1,001 orders: %d %.300s", st, text)
	}
	huge := `{"orders":[` + order("SO-Z1", "SKU03000", 1) + `],"pad":"` + strings.Repeat("x", maxBatchBytes) + `"}`
	if st, text := send(huge); st != 413 || !strings.Contains(text, `"key":"orders.batch_too_large"`) {
		t.Errorf("over %d bytes: %d %.300s", maxBatchBytes, st, text)
	}
	if st, text := send(`{"orders":[]}`); st != 400 || !strings.Contains(text, `"key":"orders.batch_empty"`) {
		t.Errorf("no orders: %d %s", st, text)
	}
	if st, text := send(`{"orders":[` + order("SO-U0", "SKU03000", 1) + `],"colour":"red"}`); st != 400 || !strings.Contains(text, `"key":"http.bad_json"`) {
		t.Errorf("an unknown field of the batch: %d %s", st, text)
	}
	if l.LastSeq() != seq {
		t.Errorf("refused batches appended %d events", l.LastSeq()-seq)
	}
	for _, no := range []string{"SO-M0000", "SO-Z1"} {
		if _, err := l.Order(no); wms.ErrorCode(err) != wms.CodeNotFound {
			t.Errorf("%s of a refused batch was stored: %v", no, err)
		}
	}
	// the whole limit in one request
	if st, text := send(`{"orders":[` + strings.Join(many[:wms.MaxBatchOrders], ",") + `]}`); st != 200 || !strings.Contains(text, fmt.Sprintf(`"created":%d`, wms.MaxBatchOrders)) {
		t.Errorf("%d orders: %d %.300s", wms.MaxBatchOrders, st, text)
	}
	// the roles of POST /api/v1/orders: supervisors and admins
	for _, tc := range []struct {
		role   wms.Role
		status int
	}{{wms.RoleSupervisor, 200}, {wms.RoleAdmin, 200}, {wms.RolePicker, 403}, {wms.RoleReceiver, 403}, {wms.RolePacker, 403}, {wms.RoleIntegration, 403}, {"", 401}} {
		c.bearer = ""
		if tc.role != "" {
			tok, err := l.CreateToken(ctx, "role-"+string(tc.role), tc.role, "test")
			if err != nil {
				t.Fatal(err)
			}
			c.bearer = tok
		}
		if st, text := send(`{"orders":[` + order("SO-R-"+string(tc.role), "SKU03000", 1) + `]}`); st != tc.status {
			t.Errorf("%q: %d, want %d: %.200s", tc.role, st, tc.status, text)
		}
	}
}

// A time that does not parse is refused naming its field, not only its
// value, and nothing is stored.
func TestBadTimeNamesItsField(t *testing.T) {
	s, l := testServer(t)
	admin, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "test")
	c := newClient(t, s)
	c.bearer = admin
	c.lang = "en"
	seq := l.LastSeq()
	body := `{"no":"SO-T1","channel":"tmall","ship_by":"tomorrow","recipient":{"name":"王芳","phone":"13800138000","address":"浙江省杭州市西湖区文三路 100 号"},"lines":[{"sku":"SKU03000","qty":1}]}`
	resp, text := c.do("POST", "/api/v1/orders", strings.NewReader(body), map[string]string{"Content-Type": "application/json", "Idempotency-Key": "bad-time-1"})
	if resp.StatusCode != 400 || !strings.Contains(text, `"key":"http.bad_json"`) || !strings.Contains(text, `field ship_by: \"tomorrow\" is not a time`) {
		t.Errorf("%d %s", resp.StatusCode, text)
	}
	if l.LastSeq() != seq {
		t.Errorf("%d events written for a refused order", l.LastSeq()-seq)
	}
	if got := jsonDetail(&time.ParseError{Value: "x"}, []byte(`not json`), &orderIn{}); got != `"x" is not a time: write it as RFC 3339, like 2026-11-11T18:00:00+08:00` {
		t.Errorf("no body to name the field from: %s", got)
	}
}

// jsonDetail names the time field that failed, and only that one: not
// another field holding the same text, not a guess between two.
func TestJSONDetailNamesTheTimeField(t *testing.T) {
	for _, tc := range []struct {
		into any
		body string
		want string
	}{
		{&orderIn{}, `{"no":"A","carrier":"","notes":"","ship_by":""}`, `field ship_by: "" is not a time: write it as RFC 3339`},
		{&orderIn{}, `{"no":"A","notes":"tomorrow","ship_by":"tomorrow"}`, `field ship_by: "tomorrow" is not a time`},
		{&orderIn{}, `{"no":"A","ship_by":"2026-02-30T10:00:00+08:00"}`, `field ship_by: "2026-02-30T10:00:00+08:00" is not a valid time: day out of range`},
		{&orderIn{}, `{"no":"A","ship_by":20261111}`, `field ship_by: is not a time: write it as a string in RFC 3339`},
		{&orderIn{}, `{"no":"A","ship_by":"2026\/11\/11"}`, `field ship_by: "2026\\/11\\/11" is not a time`},
		{&waveIn{}, `{"owner":"","carrier":"","due_by":"","mode":"single"}`, `field due_by: "" is not a time`},
	} {
		dec := json.NewDecoder(strings.NewReader(tc.body))
		dec.DisallowUnknownFields()
		err := dec.Decode(tc.into)
		if err == nil {
			t.Fatalf("%s: decoded", tc.body)
		}
		if got := jsonDetail(err, []byte(tc.body), tc.into); !strings.HasPrefix(got, tc.want) {
			t.Errorf("%s:\n got %s\nwant %s…", tc.body, got, tc.want)
		}
	}
	// a field that is not a time keeps the decoder's own words
	err := json.Unmarshal([]byte(`{"priority":"1"}`), &orderIn{})
	if got := jsonDetail(err, []byte(`{"priority":"1"}`), &orderIn{}); got != err.Error() || !strings.Contains(got, "priority") {
		t.Errorf("a type error: %s", got)
	}
}

// An order of a batch that does not read as an order (a field it does not
// know, a value of the wrong shape) is refused on its own, naming the
// field or the value; the others are taken. A retry with the key gets the first answer;
// the key with another bad order is another request.
func TestOrdersBatchOneUnreadableOrder(t *testing.T) {
	s, l := testServer(t)
	admin, _ := l.CreateToken(context.Background(), "oms", wms.RoleAdmin, "test")
	c := newClient(t, s)
	c.bearer = admin
	c.lang = "en"
	order := func(no, extra string) string {
		return fmt.Sprintf(`{"no":%q,"channel":"tmall","recipient":{"name":"王芳","phone":"13800138000","address":"浙江省杭州市西湖区文三路 100 号"},"lines":[{"sku":"SKU03000","qty":1}]%s}`, no, extra)
	}
	for i, bad := range []struct{ extra, field string }{{`,"ship_by":"2026-11-11"`, `field ship_by: "2026-11-11" is not a time`}, {`,"priority":"1"`, "priority"}, {`,"remark":"x"`, "remark"}} {
		key := fmt.Sprintf("batch-unread-%d", i)
		body := `{"orders":[` + order(fmt.Sprintf("SO-G%d1", i), "") + `,` + order(fmt.Sprintf("SO-G%d2", i), bad.extra) + `,` + order(fmt.Sprintf("SO-G%d3", i), "") + `]}`
		seq := l.LastSeq()
		send := func(body string) (int, string) {
			resp, text := c.do("POST", "/api/v1/orders:batch", strings.NewReader(body), map[string]string{"Content-Type": "application/json", "Idempotency-Key": key})
			return resp.StatusCode, text
		}
		st, first := send(body)
		var out ordersBatchOut
		if err := json.Unmarshal([]byte(first), &out); err != nil || st != 200 || len(out.Orders) != 3 || out.Created != 2 || out.Refused != 1 {
			t.Fatalf("%s: %d %s", bad.field, st, first)
		}
		if o := out.Orders[1]; o.No != fmt.Sprintf("SO-G%d2", i) || o.Result != wms.BatchRefused || o.Error == nil || o.Error.Key != "http.bad_json" || !strings.Contains(o.Error.Error, bad.field) {
			t.Errorf("%s: the unread order's answer %+v %+v", bad.field, o, o.Error)
		}
		if got := l.LastSeq() - seq; got != 2 {
			t.Errorf("%s: %d events for the two good orders", bad.field, got)
		}
		if _, err := l.Order(fmt.Sprintf("SO-G%d2", i)); wms.ErrorCode(err) != wms.CodeNotFound {
			t.Errorf("%s: the unread order was stored: %v", bad.field, err)
		}
		if st, again := send(body); st != 200 || again != first {
			t.Errorf("%s: the retry: %d %s, want the first answer %s", bad.field, st, again, first)
		}
		other := strings.Replace(body, bad.extra, `,"priority":"2"`, 1)
		if st, text := send(other); st != 409 || !strings.Contains(text, `"key":"key.changed"`) {
			t.Errorf("%s: the key with another unread order: %d %s", bad.field, st, text)
		}
	}
}
