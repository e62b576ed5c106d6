package wms

import (
	"context"
	"sort"
	"strings"
)

// Box is a carton in the box catalogue.
type Box struct {
	Code     string `json:"code"`
	Name     string `json:"name"`
	LengthMM int    `json:"length_mm"`
	WidthMM  int    `json:"width_mm"`
	HeightMM int    `json:"height_mm"`
	TareG    int    `json:"tare_g"`
}

func (b *Box) Validate() error {
	b.Code, b.Name = strings.TrimSpace(b.Code), strings.TrimSpace(b.Name)
	if !validCode(b.Code) {
		return Errf(CodeInvalid, "box.code_invalid", "box", b.Code)
	}
	if b.Name == "" {
		b.Name = b.Code
	}
	if b.LengthMM <= 0 || b.WidthMM <= 0 || b.HeightMM <= 0 || b.TareG < 0 {
		return Errf(CodeInvalid, "box.size_invalid", "box", b.Code)
	}
	return nil
}

func (b Box) volume() int64 { return int64(b.LengthMM) * int64(b.WidthMM) * int64(b.HeightMM) }

func applyBox(tx *txn, ev *Event) error {
	var b Box
	if err := decode(ev, &b); err != nil {
		return err
	}
	return putBox(tx, b)
}

func putBox(tx *txn, b Box) error {
	if err := b.Validate(); err != nil {
		return err
	}
	return putJSON(tx.Bucket(bucketBoxes), []byte(b.Code), b)
}

// Boxes returns the catalogue, smallest first.
func (l *Ledger) Boxes() ([]Box, error) {
	boxes, err := listAll[Box](l, bucketBoxes)
	sort.SliceStable(boxes, func(i, j int) bool { return boxes[i].volume() < boxes[j].volume() })
	return boxes, err
}

// SaveBox creates or changes a box.
func (l *Ledger) SaveBox(ctx context.Context, b Box, actor, device string) error {
	if err := checkName(FieldName, b.Name, false); err != nil {
		return err
	}
	if err := b.Validate(); err != nil {
		return err
	}
	_, err := l.appendData(ctx, newID(), EvBoxUpserted, actor, device, b)
	return err
}

// SuggestBox is the smallest box the default owner's items fit in.
func (l *Ledger) SuggestBox(items []PackedItem) (Box, error) {
	return l.Books(DefaultOwner).SuggestBox(items)
}

// SuggestBox is the smallest box the owner's items fit in: every item's sides fit the
// box's sides (both sorted), and the items' volume with 15 % slack fits its volume.
func (b Books) SuggestBox(items []PackedItem) (Box, error) {
	boxes, err := b.l.Boxes()
	if err != nil {
		return Box{}, err
	}
	var vol int64
	var biggest [3]int
	for _, it := range items {
		sku, err := b.SKU(it.SKU)
		if err != nil {
			return Box{}, err
		}
		d := []int{sku.LengthMM, sku.WidthMM, sku.HeightMM}
		sort.Sort(sort.Reverse(sort.IntSlice(d)))
		for i := range 3 {
			biggest[i] = max(biggest[i], d[i])
		}
		vol += int64(d[0]) * int64(d[1]) * int64(d[2]) * it.Qty
	}
	for _, b := range boxes {
		d := []int{b.LengthMM, b.WidthMM, b.HeightMM}
		sort.Sort(sort.Reverse(sort.IntSlice(d)))
		if d[0] >= biggest[0] && d[1] >= biggest[1] && d[2] >= biggest[2] && b.volume()*100 >= vol*115 {
			return b, nil
		}
	}
	if len(boxes) == 0 {
		return Box{}, Errf(CodeNotFound, "box.none")
	}
	return boxes[len(boxes)-1], Errf(CodeConflict, "box.too_small", "box", boxes[len(boxes)-1].Code)
}
