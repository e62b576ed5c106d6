package wms

import (
	"testing"
	"time"
)

// TestRVReturnLookupOfArchivedOrderNumber: the returns desk's lookup of an
// archived order by its number says the code is unknown
// (return.unknown_code), while the same order found by its outbound
// waybill says return.order_archived ("receive it as an unknown parcel").
func TestRVReturnLookupOfArchivedOrderNumber(t *testing.T) {
	l := shippedFixture(t)
	clock := &testClock{t: l.Now()}
	l.now = clock.Now
	clock.Add(31 * 24 * time.Hour)
	if run, err := l.Archive(ctx, DefaultRetention(), "system", "test"); err != nil || run.Orders == 0 {
		t.Fatalf("%d %v", run.Orders, err)
	}
	_, _, _, err := l.FindReturnOrder("SO1")
	if errKey(err) != "return.order_archived" {
		t.Errorf("the return lookup of archived SO1 by number: %v (want return.order_archived, as by its waybill)", err)
	}
}
