package hub

import (
	"encoding/xml"

	"tally/syncer/qimen"
)

// snapshotAnswer answers an inventory.query (body) from a warehouse's last
// snapshot (an answer for every item): only the lines the query asks
// for, with msg (the snapshot's time) as the message.
func snapshotAnswer(snap, body []byte, msg string) ([]byte, error) {
	q, err := qimen.DecodeInventoryQuery(body)
	if err != nil {
		return nil, err
	}
	var all qimen.InventoryQueryAnswer
	if err := xml.Unmarshal(snap, &all); err != nil {
		return nil, err
	}
	out := qimen.InventoryQueryAnswer{Response: qimen.Response{Flag: qimen.FlagSuccess, Message: msg}, Items: []qimen.InventoryQueryItem{}}
	for _, it := range all.Items {
		if q.Matches(it) {
			out.Items = append(out.Items, it)
		}
	}
	return qimen.Marshal(out)
}
