package server

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"

	"tally/printing"
	"tally/wms"
)

func itoa(n int) string { return strconv.Itoa(n) }

// carrierNames are printed on waybills.
var carrierNames = map[string]string{"SF": "顺丰速运 SF Express", "JD": "京东物流 JD Logistics", "YT": "圆通速递 YTO Express", "ZTO": "中通快递 ZTO Express"}

// waybillLabel gathers what a parcel's waybill shows.
func (s *Server) waybillLabel(job wms.PrintJob) (printing.WaybillLabel, error) {
	books := s.ledger.Books(job.Owner)
	o, err := books.Order(job.Order)
	if err != nil {
		return printing.WaybillLabel{}, err
	}
	ps, err := books.Pack(job.Order)
	if err != nil {
		return printing.WaybillLabel{}, err
	}
	if job.Parcel < 1 || job.Parcel > len(ps.Parcels) {
		return printing.WaybillLabel{}, wms.Errf(wms.CodeNotFound, "pack.parcel_not_found", "order", job.Order, "parcel", itoa(job.Parcel))
	}
	p := ps.Parcels[job.Parcel-1]
	st, err := s.ledger.Station(job.Station)
	if err != nil {
		return printing.WaybillLabel{}, err
	}
	var items []string
	for _, it := range p.Items {
		sku, _ := books.SKU(it.SKU)
		items = append(items, fmt.Sprintf("%s %s ×%d", it.SKU, sku.Name, it.Qty))
	}
	carrier := carrierNames[o.Carrier]
	if carrier == "" {
		carrier = o.Carrier
	}
	sender := printing.Party{Name: "Tally 仓"}
	if parts := strings.SplitN(st.Sender, "·", 3); len(parts) == 3 {
		sender = printing.Party{Name: strings.TrimSpace(parts[0]), Address: strings.TrimSpace(parts[1]), Phone: strings.TrimSpace(parts[2])}
	} else if st.Sender != "" {
		sender.Address = st.Sender
	}
	return printing.WaybillLabel{
		Size: st.Label, Carrier: carrier, Waybill: p.Waybill, ParentWaybill: p.Parent, Order: o.No,
		Recipient: printing.Party{Name: o.Recipient.Name, Phone: o.Recipient.Phone, Address: o.Recipient.Address},
		Sender:    sender, WeightKg: float64(p.WeightG) / 1000, Items: strings.Join(items, "; "),
		// stored times are UTC; a label says the warehouse's time, as the print jobs page does
		Parcel: p.N, Parcels: len(ps.Parcels), QR: p.Waybill, Copy: job.Copy, Printed: job.Created.In(s.ledger.Zone()),
		FullPhone: !st.MasksPhone(),
	}, nil
}

// renderLabel renders a job in the station's format.
func (s *Server) renderLabel(job wms.PrintJob, format string) ([]byte, error) {
	label, err := s.waybillLabel(job)
	if err != nil {
		return nil, err
	}
	var buf bytes.Buffer
	if format == "zpl" {
		err = printing.LabelZPL(&buf, []any{label})
	} else {
		err = printing.LabelPDF(&buf, []any{label}, s.cfg.FontPath)
	}
	return buf.Bytes(), err
}
