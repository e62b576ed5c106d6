package fakemarket

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestTopJDGatewaysRefuseOversizeAndUnsigned(t *testing.T) {
	m := New(Options{})
	srv := httptest.NewServer(m.Handler())
	defer srv.Close()
	for _, c := range []struct{ platform, want string }{
		{"taobao", `"code":41`},
		{"jd", `"code":"67"`},
	} {
		big := url.Values{"method": {"x"}, "pad": {strings.Repeat("a", maxGatewayRequest)}}.Encode()
		resp, err := http.Post(srv.URL+Path(c.platform), "application/x-www-form-urlencoded", strings.NewReader(big))
		if err != nil {
			t.Fatal(err)
		}
		b := make([]byte, 4096)
		n, _ := resp.Body.Read(b)
		resp.Body.Close()
		if !strings.Contains(string(b[:n]), c.want) || !strings.Contains(string(b[:n]), "over") {
			t.Errorf("%s, a body over 1 MiB: %s", c.platform, b[:n])
		}
	}
	k := m.Keys("taobao")
	resp, err := http.PostForm(srv.URL+Path("taobao"), url.Values{"method": {"taobao.logistics.orders.get"}, "app_key": {k.AppKey}, "sign": {"00"},
		"timestamp": {m.now().In(topCST).Format("2006-01-02 15:04:05")}, "v": {"2.0"}, "session": {k.Session}, "tid": {"1"}})
	if err != nil {
		t.Fatal(err)
	}
	b := make([]byte, 4096)
	n, _ := resp.Body.Read(b)
	resp.Body.Close()
	if !strings.Contains(string(b[:n]), `"code":25`) {
		t.Errorf("a bad signature: %s", b[:n])
	}
}
