package syncer

// Shared by the Qimen methods both ways.

// QimenStockOutChannel is the channel of an order an ERP sent by
// stockout.create (an outbound to a business, not a shop's parcel): it is
// confirmed by stockout.confirm, not deliveryorder.confirm.
const QimenStockOutChannel = "stockout"

// qimenKey is the idempotency key of what an ERP's call did: the
// upstream, the method's noun and the ERP's own code for it (an order
// code, an outBizCode), so a repeat changes nothing and the same code
// with other content is refused.
func qimenKey(upstream, noun, code string) string {
	return "qimen:" + upstream + ":" + noun + ":" + code
}
