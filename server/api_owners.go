package server

import "tally/wms"

// The API's shapes for owners (货主).

// ownerIn is the body of POST /api/v1/owners.
type ownerIn struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

func (in ownerIn) owner() wms.Owner { return wms.Owner{Code: in.Code, Name: in.Name} }

type ownerOut struct {
	Code string `json:"code"`
	Name string `json:"name"`
}

// ownersOut answers GET /api/v1/owners.
type ownersOut struct {
	Owners []ownerOut `json:"owners"`
}

func newOwnerOut(o wms.Owner) ownerOut { return ownerOut{Code: o.Code, Name: o.Name} }
