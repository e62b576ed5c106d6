package wms

// memoCopy is deepCopy for the records a replay's memo holds (replayLookup):
// SKUs, locations and lots are copied by their record memo's clone
// (recmemo.go), not by reflection, which was a twentieth of a replay's CPU;
// any other type by deepCopy. TestMemoCopyMatchesDeepCopy checks that the
// clones give what deepCopy gives and share nothing with their source.
func memoCopy[T any](v T) T {
	switch p := any(&v).(type) {
	case *SKU:
		*p = memoSKUs.clone(*p)
	case *Location:
		*p = memoLocations.clone(*p)
	case *Lot:
		*p = memoLots.clone(*p)
	default:
		return deepCopy(v)
	}
	return v
}
