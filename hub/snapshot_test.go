package hub

import (
	"strings"
	"testing"

	"tally/syncer/qimen"
)

// TestSnapshotAnswer: an inventory.query answered from a snapshot gets
// the lines it asks for, and the snapshot's time in the message.
func TestSnapshotAnswer(t *testing.T) {
	snap, _ := qimen.Marshal(qimen.InventoryQueryAnswer{Response: qimen.Success(), Items: []qimen.InventoryQueryItem{
		{WarehouseCode: "WH1", ItemCode: "A", InventoryType: "ZP", Quantity: 5},
		{WarehouseCode: "WH1", ItemCode: "A", InventoryType: "CC", Quantity: 1},
		{WarehouseCode: "WH1", ItemCode: "B", InventoryType: "ZP", Quantity: 7}}})
	for _, c := range []struct {
		body string
		want []string
	}{
		{`<request><criteriaList><criteria><warehouseCode>WH1</warehouseCode><itemCode>A</itemCode></criteria></criteriaList></request>`, []string{"A/ZP", "A/CC"}},
		{`<request><criteriaList><criteria><itemCode>A</itemCode><inventoryType>CC</inventoryType></criteria><criteria><itemCode>B</itemCode></criteria></criteriaList></request>`, []string{"A/CC", "B/ZP"}},
		{`<request><criteriaList></criteriaList></request>`, []string{"A/ZP", "A/CC", "B/ZP"}},
		{`<request><criteriaList><criteria><itemCode>Z</itemCode></criteria></criteriaList></request>`, nil},
	} {
		out, err := snapshotAnswer(snap, []byte(c.body), "as of then")
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, part := range strings.Split(string(out), "<item>")[1:] {
			code := part[strings.Index(part, "<itemCode>")+10 : strings.Index(part, "</itemCode>")]
			typ := part[strings.Index(part, "<inventoryType>")+15 : strings.Index(part, "</inventoryType>")]
			got = append(got, code+"/"+typ)
		}
		if strings.Join(got, ",") != strings.Join(c.want, ",") || !strings.Contains(string(out), "<message>as of then</message>") {
			t.Errorf("%s: %v in %s", c.body, got, out)
		}
	}
	if _, err := snapshotAnswer(snap, []byte(`<request><criteriaList>`), "x"); err == nil {
		t.Error("a malformed query answered")
	}
}
