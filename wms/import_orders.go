package wms

import (
	"iter"
	"slices"
	"strconv"
	"strings"
	"time"
)

// prepareOrders groups rows by order number (one row per order line); the
// order's own fields come from its first row. Each row may name the platform
// order its line belongs to: the order stands for the platform orders its
// rows name, in the order they first appear.
func prepareOrders(tx *txn, rows iter.Seq[csvRow], bad *rowErrors, zone *time.Location) []OrderIntake {
	var out []OrderIntake
	index := map[string]int{}
	taken := map[string]int{}              // an order's rows taken: each is a line as sent (MaxOrderLines)
	over := map[string]map[string]string{} // an order past MaxOrderLines: its one message's arguments
	for r := range rows {
		owner, ownerBad := rowOwner(tx, r)
		if ownerBad != nil {
			bad.add(*ownerBad)
			continue
		}
		no := r.get("no")
		ref := OrderRef(owner, no)
		qty, err := strconv.ParseInt(r.get("qty"), 10, 64)
		if err != nil {
			bad.add(rowErrf(r.line, "csv.not_integer", "column", "qty", "value", r.get("qty")))
			continue
		}
		sku := r.get("sku")
		if tx.Bucket(bucketSKUs).Get(skuKey(owner, sku)) == nil {
			bad.add(rowErrf(r.line, "sku.not_found", "sku", sku, "owner", owner))
			continue
		}
		line := OrderLineIn{LineIn: LineIn{SKU: sku, Qty: qty}, PlatformOrderID: r.get("platform_order_id"), PlatformSubOrderID: r.get("platform_sub_order_id")}
		if i, ok := index[ref]; ok {
			taken[ref]++
			if taken[ref] > MaxOrderLines { // refused here, before it costs more: one message an order, its count at the end
				if over[ref] == nil {
					e := rowErrf(r.line, "order.too_many_lines", "order", no, "lines", "", "max", strconv.Itoa(MaxOrderLines))
					over[ref] = e.Args
					bad.add(e)
				}
				over[ref]["lines"] = strconv.Itoa(taken[ref])
				continue
			}
			out[i].Lines = append(out[i].Lines, line)
			addPlatformOrder(&out[i], line.PlatformOrderID)
			if err := out[i].Validate(); err != nil {
				bad.add(rowErr(r.line, err))
			}
			continue
		}
		in := OrderIntake{Owner: envelopeOwner(owner), No: no, Channel: r.get("channel"), Platform: r.get("platform"), Shop: r.get("shop"), Carrier: r.get("carrier"), Notes: r.get("notes"),
			Recipient: Recipient{Name: r.get("name"), Phone: r.get("phone"), Address: r.get("address")},
			Lines:     []OrderLineIn{line}}
		addPlatformOrder(&in, line.PlatformOrderID)
		if p := r.get("priority"); p != "" {
			n, err := strconv.Atoi(p)
			if err != nil {
				bad.add(rowErrf(r.line, "csv.not_integer", "column", "priority", "value", p))
				continue
			}
			in.Priority = n
		}
		if sb := r.get("ship_by"); sb != "" {
			t, err := time.Parse(time.RFC3339, sb)
			if err != nil {
				// a day as people write it, and the time on the warehouse's clock
				day, clock, _ := strings.Cut(strings.TrimSpace(sb), " ")
				d, derr := TypedDay(day, 0)
				if derr == nil {
					t, err = time.ParseInLocation("2006-01-02 15:04", d+" "+strings.TrimSpace(clock), zone)
				}
				if derr != nil || err != nil {
					bad.add(rowErrf(r.line, "csv.not_time", "column", "ship_by", "value", sb))
					continue
				}
			}
			in.ShipBy = &t
		}
		if err := in.Validate(); err != nil {
			bad.add(rowErr(r.line, err))
			continue
		}
		existing, found, err := getOrder(tx, owner, in.No)
		if err != nil {
			bad.add(rowErr(r.line, err))
			continue
		}
		if found && existing.State != OrderNew {
			bad.add(rowErrf(r.line, "order.locked", "order", in.No, "state", string(existing.State)))
			continue
		}
		index[ref] = len(out)
		taken[ref] = 1
		out = append(out, in)
	}
	return out
}

func addPlatformOrder(in *OrderIntake, id string) {
	if id = strings.TrimSpace(id); id != "" && !slices.Contains(in.PlatformOrderIDs, id) {
		in.PlatformOrderIDs = append(in.PlatformOrderIDs, id)
	}
}
