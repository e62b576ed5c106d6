package server

import (
	"time"

	"tally/wms"
)

// The API's shapes for packing stations, scales and waybill pools.

// stationIn is the body of PUT /api/v1/stations/{id}; the answer is a
// stationOut (the same fields and the ID).
type stationIn struct {
	Name      string `json:"name"`
	Scale     string `json:"scale,omitempty"`    // serial:///dev/ttyUSB0?baud=9600 or tcp://10.0.0.50:4001; empty: typed weights
	Protocol  string `json:"protocol,omitempty"` // continuous or mtsics
	Printer   string `json:"printer"`            // cups:QUEUE, tcp://10.0.0.60:9100 or browser
	Format    string `json:"format"`             // pdf or zpl
	Label     string `json:"label"`              // 100x150 or 76x130
	Sender    string `json:"sender,omitempty"`
	MaskPhone *bool  `json:"mask_phone,omitempty"` // absent: true
}

type stationOut struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Scale     string `json:"scale,omitempty"`
	Protocol  string `json:"protocol,omitempty"`
	Printer   string `json:"printer"`
	Format    string `json:"format"`
	Label     string `json:"label"`
	Sender    string `json:"sender,omitempty"`
	MaskPhone bool   `json:"mask_phone"`
}

func (in stationIn) station(id string) wms.Station {
	return wms.Station{ID: id, Name: in.Name, Scale: in.Scale, Protocol: in.Protocol, Printer: in.Printer,
		Format: in.Format, Label: in.Label, Sender: in.Sender, MaskPhone: in.MaskPhone}
}

func newStationOut(st wms.Station) stationOut {
	return stationOut{ID: st.ID, Name: st.Name, Scale: st.Scale, Protocol: st.Protocol, Printer: st.Printer,
		Format: st.Format, Label: st.Label, Sender: st.Sender, MaskPhone: st.MasksPhone()}
}

// weightOut answers GET /api/v1/stations/{id}/weight.
type weightOut struct {
	Grams  float64   `json:"grams"`
	Stable bool      `json:"stable"`
	At     time.Time `json:"at"`
}

// waybillsIn is the body of POST /api/v1/waybills: numbers for a carrier
// account's pool.
type waybillsIn struct {
	Owner   string   `json:"owner,omitempty"` // whose pool; empty: the default owner
	Account string   `json:"account"`
	Numbers []string `json:"numbers"`
}

// waybillsOut says how many numbers the account's pool holds now.
type waybillsOut struct {
	Owner   string `json:"owner"`
	Account string `json:"account"`
	Left    int    `json:"left"`
}

// printJobsOut answers GET /api/v1/print-jobs.
type printJobsOut struct {
	Jobs []printJobOut `json:"jobs"`
}
