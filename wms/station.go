package wms

import (
	"cmp"
	"context"
	"strings"
)

// Station is a packing station: its scale and its label printer.
type Station struct {
	ID       string `json:"id"`
	Name     string `json:"name"`
	Scale    string `json:"scale,omitempty"`    // serial:///dev/ttyUSB0?baud=9600 or tcp://10.0.0.50:4001; empty = typed weights
	Protocol string `json:"protocol,omitempty"` // continuous or mtsics
	Printer  string `json:"printer"`            // cups:QUEUE, tcp://10.0.0.60:9100, or browser
	Format   string `json:"format"`             // pdf or zpl
	Label    string `json:"label"`              // 100x150 or 76x130
	Sender   string `json:"sender,omitempty"`   // return address printed on waybills
	// MaskPhone masks the middle digits of the recipient's phone on waybills
	// (138****0000), as carriers do; absent means true. The order keeps the full number.
	MaskPhone *bool `json:"mask_phone,omitempty"`
}

// MasksPhone tells whether the station's waybills mask the recipient's phone.
func (s Station) MasksPhone() bool { return s.MaskPhone == nil || *s.MaskPhone }

func (s *Station) Validate() error {
	s.ID = strings.TrimSpace(s.ID)
	if !validCode(s.ID) {
		return Errf(CodeInvalid, "station.id_invalid", "station", s.ID)
	}
	if s.Name == "" {
		s.Name = s.ID
	}
	if s.Printer == "" {
		s.Printer = "browser"
	}
	if s.Format == "" {
		s.Format = "pdf"
	}
	if s.Format != "pdf" && s.Format != "zpl" {
		return Errf(CodeInvalid, "station.format_invalid", "station", s.ID)
	}
	if s.Label == "" {
		s.Label = "100x150"
	}
	if s.Label != "100x150" && s.Label != "76x130" {
		return Errf(CodeInvalid, "station.label_invalid", "station", s.ID)
	}
	if s.Protocol != "" && s.Protocol != "continuous" && s.Protocol != "mtsics" {
		return Errf(CodeInvalid, "station.protocol_invalid", "station", s.ID)
	}
	return nil
}

func applyStation(tx *txn, ev *Event) error {
	var s Station
	if err := decode(ev, &s); err != nil {
		return err
	}
	if err := s.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketStations), []byte(s.ID), s)
}

// Station returns one station.
func (l *Ledger) Station(id string) (Station, error) {
	var s Station
	err := l.view(func(tx *txn) (err error) {
		s, err = mustGet[Station](tx, bucketStations, []byte(id), "station.not_found", "station", id)
		return err
	})
	return s, err
}

// Stations lists the packing stations.
func (l *Ledger) Stations() ([]Station, error) { return listAll[Station](l, bucketStations) }

// SaveStation creates or changes a station and answers with it as saved.
// id is the event's ID, the request's key ("" for a new one): a repeat gets
// the first answer; the key for another station or setting is refused.
func (l *Ledger) SaveStation(ctx context.Context, id string, s Station, actor, device string) (Station, error) {
	if err := s.Validate(); err != nil {
		return Station{}, err
	}
	if err := s.checkInput(); err != nil {
		return Station{}, err
	}
	return keyedAppend(ctx, l, cmp.Or(id, newID()), EvStationUpserted, "", s.ID, s, actor, device, nil)
}

// checkInput holds a station as sent to today's limits (text.go): its name and
// return address, and a printer and scale Tally can reach. Validate stays as
// it was, for the stations already in the log.
func (s Station) checkInput() error {
	if err := checkName(FieldName, s.Name, true); err != nil {
		return err
	}
	if err := checkFree(FieldSender, s.Sender, false); err != nil {
		return err
	}
	if err := CheckPrinter(s.ID, s.Printer); err != nil {
		return err
	}
	return CheckScale(s.ID, s.Scale)
}
