package scan_test

import (
	"encoding/json"
	"fmt"
	"time"

	"tally/scan"
)

func ExampleParse() {
	for _, in := range []string{"]E06901234567892", "A01-02-03\r\n", "Ｔ０００４２", "6901234567890", "hello"} {
		r, err := scan.Parse(in)
		if err != nil {
			fmt.Printf("%q: %v\n", in, err)
			continue
		}
		fmt.Printf("%q: %s %s%s\n", in, r.Kind, r.GTIN, r.Code)
	}
	// Output:
	// "]E06901234567892": gtin 06901234567892
	// "A01-02-03\r\n": location A01-02-03
	// "Ｔ０００４２": tote T00042
	// "6901234567890": scan.check_digit: GTIN 6901234567890: check digit should be 2
	// "hello": unknown hello
}

func ExampleParser_Parse() {
	p := scan.NewParser(scan.DefaultPatterns())
	p.Now = func() time.Time { return time.Date(2026, 5, 1, 0, 0, 0, 0, time.UTC) }
	r, err := p.Parse("]d2\x1d01069012345678921727033110LOT42\x1d3103001250")
	if err != nil {
		fmt.Println(err)
		return
	}
	b, _ := json.Marshal(r)
	fmt.Println(string(b))
	// Output:
	// {"kind":"gs1","gtin":"06901234567892","batch":"LOT42","expiry":"2027-03-31","net_weight_kg":1.25,"ais":{"01":"06901234567892","10":"LOT42","17":"270331","3103":"001250"}}
}

func ExampleCompilePatterns() {
	pats, err := scan.CompilePatterns(map[string]string{"tote": `(?i)^TOTE-\d{4}$`})
	if err != nil {
		fmt.Println(err)
		return
	}
	r, _ := scan.NewParser(pats).Parse("tote-0042")
	fmt.Println(r.Kind, r.Code)
	// Output:
	// tote tote-0042
}
