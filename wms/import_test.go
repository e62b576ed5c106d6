package wms

import (
	"bytes"
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

const skuCSV = "code,name,gtins,unit_weight_g,shelf_life_days,lot_tracked,min_outbound_life_pct\r\n" +
	"MILK3,飞鹤星飞帆 3段 800g,6901234567892,980,720,是,67\r\n" +
	"NUTS,三只松鼠 每日坚果,06901234567885|6901234567908,750,270,true,50\r\n"

func TestImportEncodings(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  []byte
	}{
		{"utf8", []byte(skuCSV)},
		{"utf8 bom", append([]byte{0xEF, 0xBB, 0xBF}, skuCSV...)},
		{"gbk", gbk(t, skuCSV)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l, _ := openTest(t)
			res, err := l.Import(context.Background(), "imp", ImportSKUs, "skus.csv", tc.raw, "B9001", "web")
			if err != nil {
				t.Fatalf("import: %v %+v", err, res.Errors)
			}
			if res.Rows != 2 {
				t.Errorf("rows = %d", res.Rows)
			}
			s, err := l.SKUByGTIN("06901234567908")
			if err != nil || s.Name != "三只松鼠 每日坚果" || !s.LotTracked {
				t.Errorf("sku by gtin: %+v %v", s, err)
			}
			m, _ := l.SKU("MILK3")
			if m.Name != "飞鹤星飞帆 3段 800g" || m.MinOutboundLifePct != 67 {
				t.Errorf("milk: %+v", m)
			}
		})
	}
}

func TestImportRefusesBadFilesWhole(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	cases := []struct {
		name string
		kind ImportKind
		csv  string
		want []string // "line:key" for every bad row
		file string   // key of a whole-file error
	}{
		{name: "bad rows in skus", kind: ImportSKUs, csv: "code,name,gtins,unit_weight_g\n" +
			"A1,ok,,10\n" +
			"A2,,,10\n" + // no name
			"A3,x,6901234567890,10\n" + // check digit
			"A1,again,,10\n" + // duplicate code
			"A4,x,,-5\n" + // negative
			"A5,x,,abc\n" + // not a number
			"A6,x,6901234567892,1\n", // GTIN of MILK already
			want: []string{"3:sku.name_invalid", "4:sku.gtin_invalid", "5:csv.duplicate", "6:csv.negative", "7:csv.not_integer", "8:sku.gtin_taken"}},
		{name: "bad stock rows", kind: ImportStock, csv: "sku,lot,expiry,location,qty\n" +
			"BOOK,,,A01-01-02,5\n" +
			"BOOK,,,NOWHERE,5\n" +
			"GHOST,,,A01-01-02,5\n" +
			"BOOK,,,A01-01-02,6\n" +
			"MILK,L1,2027-06-30,A01-01-01,-1\n" +
			"MILK,L1,2027-06-30,A01-01-02,1.5\n" +
			"MILK,,,A01-01-01,1\n" +
			"MILK,L3,,A01-01-01,1\n" +
			"MILK,L1,2027/7/1,R01-01-01,1\n" +
			"MILK,L4,2027-02-30,A01-01-01,1\n",
			want: []string{"3:location.not_found", "4:sku.not_found", "5:csv.duplicate", "6:csv.negative", "7:csv.not_integer",
				"8:stock.lot_required", "9:stock.expiry_required", "10:stock.expiry_mismatch", "11:date.invalid"}},
		{name: "bad staff", kind: ImportStaff, csv: "badge,name,role,pin\n" +
			"B5,王,picker,12\n" + "B6,王,chief,1234\n" + "B7,王,picker,\n",
			want: []string{"2:pin.format", "3:staff.role_invalid", "4:staff.pin_required"}},
		{name: "quoted field across lines keeps line numbers", kind: ImportLocations, csv: "code,zone,kind\n" +
			"\"X-1\",\"A\nB\",pick\n" + "X-2,A,cellar\n",
			want: []string{"2:location.zone_invalid", "4:location.kind_invalid"}},
		{name: "field count", kind: ImportLocations, csv: "code,zone,kind\nX-1,A\n", want: []string{"2:csv.field_count"}},
		{name: "unknown column", kind: ImportLocations, csv: "code,zone,kind,colour\n", file: "csv.column_unknown"},
		{name: "missing column", kind: ImportStock, csv: "sku,location\nBOOK,A01-01-01\n", file: "csv.column_missing"},
		{name: "empty", kind: ImportStock, csv: "", file: "csv.empty"},
		{name: "header only", kind: ImportStock, csv: "sku,location,qty\n", file: "csv.no_rows"},
		{name: "bad positions", kind: ImportLocations, csv: "code,zone,kind,x_m,y_m\n" +
			"P-1,A,pick,3,1.2\n" + "P-2,A,pick,3,\n" + "P-3,A,pick,abc,1\n" + "P-4,A,pick,100000.5,1\n" + "P-5,A,pick,-1,1\n",
			want: []string{"3:location.position_half", "4:csv.not_number", "5:location.position_invalid", "6:location.position_invalid"}},
		{name: "not text", kind: ImportStock, csv: "\xff\xfes\x00k\x00u\x00", file: "csv.utf16"},
		{name: "mis-encoded", kind: ImportSKUs, csv: "code,name\nA,\x81\x20\n", file: "csv.encoding"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			before := snapshot(t, l)
			seq := l.LastSeq()
			res, err := l.Import(context.Background(), "bad-"+tc.name, tc.kind, "f.csv", []byte(tc.csv), "B9001", "web")
			if err == nil {
				t.Fatal("bad file accepted")
			}
			if tc.file != "" {
				if e, ok := AsError(err); !ok || e.Key != tc.file {
					t.Fatalf("err = %v, want %s", err, tc.file)
				}
			} else {
				var got []string
				for _, r := range res.Errors {
					got = append(got, strconv.Itoa(r.Line)+":"+r.Key)
				}
				if strings.Join(got, " ") != strings.Join(tc.want, " ") {
					t.Errorf("rows:\n got %v\nwant %v", got, tc.want)
				}
			}
			if l.LastSeq() != seq || snapshot(t, l) != before {
				t.Error("a refused file changed the store")
			}
		})
	}
}

func TestExportRoundTrip(t *testing.T) {
	src, _ := openTest(t)
	if _, err := src.SeedDemo(context.Background()); err != nil {
		t.Fatal(err)
	}
	dst, _ := openTest(t)
	owners, _ := src.Owners()
	for _, o := range owners[1:] { // the files name owners; the new store must work for them first
		if _, err := dst.SaveOwner(context.Background(), "", o, "B9001", "cli"); err != nil {
			t.Fatal(err)
		}
	}
	for _, kind := range ExportKinds {
		var buf bytes.Buffer
		if err := src.Export(kind, &buf); err != nil {
			t.Fatal(err)
		}
		if !bytes.HasPrefix(buf.Bytes(), []byte{0xEF, 0xBB, 0xBF}) {
			t.Errorf("%s export has no BOM", kind)
		}
		raw := buf.Bytes()
		if kind == ImportStaff { // PINs are never exported; give the new store some
			raw = []byte(strings.ReplaceAll(string(raw), ",,false", ",1234,false"))
		}
		if res, err := dst.Import(context.Background(), "rt-"+string(kind), kind, "x.csv", raw, "B9001", "cli"); err != nil {
			t.Fatalf("re-import %s: %v %+v", kind, err, res.Errors[:min(3, len(res.Errors))])
		}
		var again bytes.Buffer
		if err := dst.Export(kind, &again); err != nil {
			t.Fatal(err)
		}
		if again.String() != buf.String() {
			t.Errorf("%s: export of the re-import differs", kind)
		}
	}
	if strings.Contains(mustExport(t, src, ImportStaff), "pbkdf2") {
		t.Error("staff export contains PIN hashes")
	}
}

func mustExport(t testing.TB, l *Ledger, kind ImportKind) string {
	var buf bytes.Buffer
	if err := l.Export(kind, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.String()
}

func TestNormalizeDay(t *testing.T) {
	for in, want := range map[string]string{"2027-03-31": "2027-03-31", "2027/3/31": "2027-03-31", "2027.3.1": "2027-03-01",
		"20270331": "2027-03-31", "2028-02-29": "2028-02-29", "2027-02-29": "", "31/03/2027": "", "tomorrow": ""} {
		got, err := NormalizeDay(in)
		if got != want || (want == "") != (err != nil) {
			t.Errorf("NormalizeDay(%q) = %q, %v; want %q", in, got, err, want)
		}
	}
}

func FuzzImportCSV(f *testing.F) {
	f.Add([]byte(skuCSV))
	f.Add([]byte("sku,lot,expiry,location,qty\nBOOK,,,A01-01-01,5\n"))
	f.Add([]byte("code,zone,kind\n\"X\nY\",A,pick\n"))
	l, _ := openTest(f)
	seedSmall(f, l)
	f.Fuzz(func(t *testing.T, raw []byte) {
		for _, kind := range ImportKinds {
			_, report, err := l.PrepareImport(kind, "fuzz.csv", raw)
			if err != nil {
				if _, ok := AsError(err); !ok {
					t.Fatalf("%s: non-domain error %v", kind, err)
				}
			}
			if len(report.Errors) > MaxReportedRows || (report.BadRows == 0) != (len(report.Errors) == 0) {
				t.Fatalf("%s: report of %d bad rows names %d errors", kind, report.BadRows, len(report.Errors))
			}
			for _, r := range report.Errors {
				if r.Line < 1 || r.Key == "" {
					t.Fatalf("%s: row error without line or key: %+v", kind, r)
				}
			}
		}
	})
}

// A name that a spreadsheet would run as a formula is exported with a leading
// apostrophe and comes back unchanged when the export is imported.
func TestExportGuardsFormulas(t *testing.T) {
	src, _ := openTest(t)
	names := []string{`=HYPERLINK("http://x.example","点我")`, "+86 奶粉", "-减价款", "@SUM(A1)", "'已有撇号", "'=真的以撇号开头"}
	for i, name := range names {
		mustAppend(t, src, "f"+strconv.Itoa(i), EvSKUUpserted, SKU{Code: "F" + strconv.Itoa(i), Name: name, GTINs: []string{}, UnitWeightG: 100})
	}
	out := mustExport(t, src, ImportSKUs)
	for _, bad := range []string{",=HYPERLINK", ",+86", ",-减价", ",@SUM"} {
		if strings.Contains(out, bad) {
			t.Errorf("export has a live formula cell %q:\n%s", bad, out)
		}
	}
	if !strings.Contains(out, `"'=HYPERLINK(""http://x.example"",""点我"")"`) || !strings.Contains(out, ",'+86 奶粉,") {
		t.Errorf("guarded cells not as expected:\n%s", out)
	}
	dst, _ := openTest(t)
	if res, err := dst.Import(context.Background(), "rt", ImportSKUs, "x.csv", []byte(out), "B9001", "cli"); err != nil {
		t.Fatalf("re-import: %v %+v", err, res.Errors)
	}
	for i, name := range names {
		s, err := dst.SKU("F" + strconv.Itoa(i))
		if err != nil || s.Name != name {
			t.Errorf("F%d: name %q after the round trip, want %q (%v)", i, s.Name, name, err)
		}
	}
}

// A typed or imported date either is refused or comes out as a real
// YYYY-MM-DD day that normalises to itself.
func FuzzNormalizeDay(f *testing.F) {
	for _, s := range []string{"2027-03-31", "2027/3/31", "2027.3.1", "20270331", "2028-02-29", "2027-02-29", "31/03/2027", " 2027-1-1 ", "２０２７-03-31", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out, err := NormalizeDay(in)
		if err != nil {
			if out != "" {
				t.Errorf("NormalizeDay(%q) = %q with error %v", in, out, err)
			}
			return
		}
		if _, perr := time.Parse("2006-01-02", out); perr != nil {
			t.Errorf("NormalizeDay(%q) = %q, not a day: %v", in, out, perr)
		}
		if again, err := NormalizeDay(out); err != nil || again != out {
			t.Errorf("NormalizeDay(%q) = %q, but that normalises to %q, %v", in, out, again, err)
		}
	})
}

// Dates people write in a file go through the one parser of typed dates:
// an expiry as a spreadsheet writes it, a ship-by day in any typed form with
// the time on the warehouse's clock.
func TestTypedDatesInFiles(t *testing.T) {
	l, _ := openTest(t)
	seedSmall(t, l)
	orders := "no,channel,name,phone,address,sku,qty,ship_by\n" +
		"SO7,jd,李雷,13900000000,北京市海淀区,BOOK,1,2026/11/12 18:00\n" +
		"SO8,jd,李雷,13900000000,北京市海淀区,BOOK,1,２０２６．１１．１３ 09:30\n"
	if _, err := l.Import(ctx, "typed-orders", ImportOrders, "orders.csv", []byte(orders), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	for no, want := range map[string]string{"SO7": "2026-11-12T10:00:00Z", "SO8": "2026-11-13T01:30:00Z"} {
		o, err := l.Order(no)
		if err != nil || o.ShipBy == nil || o.ShipBy.UTC().Format(time.RFC3339) != want {
			t.Errorf("%s ship by %v (%v), want %s", no, o.ShipBy, err, want)
		}
	}
	bad := "no,channel,name,phone,address,sku,qty,ship_by\nSO9,jd,李雷,13900000000,北京市海淀区,BOOK,1,2026/02/30 10:00\n"
	if res, err := l.Import(ctx, "typed-orders-bad", ImportOrders, "orders.csv", []byte(bad), "B9001", "web"); err == nil || len(res.Errors) != 1 {
		t.Errorf("a ship-by day that does not exist: %v %+v", err, res.Errors)
	}
	for in, want := range map[string]string{"2027/3/31": "2027-03-31", "20270331": "2027-03-31", "２０２７-３-３１": "2027-03-31"} {
		if got, err := NormalizeDay(in); err != nil || got != want {
			t.Errorf("expiry %q: %q (%v), want %s", in, got, err, want)
		}
	}
	if _, err := NormalizeDay("270331"); ErrorCode(err) != CodeInvalid {
		t.Errorf("a six-digit day in a file (no year to window it by): %v", err)
	}
}

// TestStaffTemporaryColumn: the staff file marks temporary staff, the
// export writes the mark back, and a value that is not a yes or no is refused.
func TestStaffTemporaryColumn(t *testing.T) {
	l, _ := openTest(t)
	csv := "badge,name,role,pin,temporary\n" + "B5,王芳,picker,1234,是\n" + "B6,李雷,packer,1234,\n"
	if res, err := l.Import(context.Background(), "st1", ImportStaff, "s.csv", []byte(csv), "B9001", "web"); err != nil {
		t.Fatalf("%v %+v", err, res.Errors)
	}
	staff, err := l.StaffList()
	if err != nil {
		t.Fatal(err)
	}
	temp := map[string]bool{}
	for _, s := range staff {
		temp[s.Badge] = s.Temporary
	}
	if !temp["B5"] || temp["B6"] {
		t.Fatalf("temporary: %v", temp)
	}
	out := mustExport(t, l, ImportStaff)
	if !strings.Contains(out, "badge,name,role,language,pin,disabled,temporary\r\n") ||
		!strings.Contains(out, "B5,王芳,picker,,,false,true\r\n") || !strings.Contains(out, "B6,李雷,packer,,,false,false\r\n") {
		t.Fatalf("export:\n%s", out)
	}
	// an existing badge may drop the mark without a new PIN
	if _, err := l.Import(context.Background(), "st2", ImportStaff, "s.csv", []byte("badge,name,role,temporary\nB5,王芳,picker,no\n"), "B9001", "web"); err != nil {
		t.Fatal(err)
	}
	staff, _ = l.StaffList()
	for _, s := range staff {
		if s.Badge == "B5" && s.Temporary {
			t.Error("the mark was not taken off")
		}
	}
	res, err := l.Import(context.Background(), "st3", ImportStaff, "s.csv", []byte("badge,name,role,temporary\nB5,王芳,picker,maybe\n"), "B9001", "web")
	if err == nil || len(res.Errors) != 1 || res.Errors[0].Key != "csv.not_bool" || res.Errors[0].Line != 2 {
		t.Fatalf("a bad mark: %v %+v", err, res.Errors)
	}
}
