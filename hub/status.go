package hub

import "sort"

func sortStatus(s []WarehouseStatus) {
	sort.Slice(s, func(i, j int) bool { return s[i].Warehouse < s[j].Warehouse })
}
