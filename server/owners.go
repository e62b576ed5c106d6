package server

import (
	"strings"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// owners are the owners (货主) as pages show them: the default owner named in
// the request's language, then the others by code.
func (s *Server) owners(c *fiber.Ctx) ([]views.OwnerOption, error) {
	return s.ownerOptions(lang(c))
}

func (s *Server) ownerOptions(lang string) ([]views.OwnerOption, error) {
	list, err := s.ledger.Owners()
	if err != nil {
		return nil, err
	}
	out := make([]views.OwnerOption, 0, len(list))
	for _, o := range list {
		if o.Code == wms.DefaultOwner {
			o.Name = views.Translate(lang, "owner.default", nil)
		}
		out = append(out, views.OwnerOption{Code: o.Code, Name: o.Name})
	}
	return out, nil
}

// ownerRef reads an order reference as people type it and waves name it:
// "OWNER NUMBER" names an owner the warehouse must work for; a bare number
// names none (owner "").
func (s *Server) ownerRef(ref string) (owner, no string, err error) {
	o, n, ok := strings.Cut(strings.TrimSpace(ref), " ")
	if !ok {
		return "", strings.TrimSpace(ref), nil
	}
	owner, err = s.ledger.KnownOwner(o)
	return owner, strings.TrimSpace(n), err
}

// ownerFilter is what a page with an owner filter needs: the owners, the one
// chosen with ?owner= ("" for every owner's) and whether to show owners at
// all — only when the warehouse works for more than one.
func (s *Server) ownerFilter(c *fiber.Ctx) (views.OwnerFilter, error) {
	opts, err := s.owners(c)
	if err != nil {
		return views.OwnerFilter{}, err
	}
	f := views.OwnerFilter{Options: opts, Show: len(opts) > 1}
	if !f.Show {
		return f, nil
	}
	f.Chosen, err = s.ownerQuery(c)
	return f, err
}

// ownerList names owners for a message: "贝贝乳业 BEIBEI、默认货主 DEFAULT"
// (en: "贝贝乳业 BEIBEI, Default owner DEFAULT").
func (s *Server) ownerList(c *fiber.Ctx, codes []string) string {
	return s.ownerListIn(lang(c), codes)
}

func (s *Server) ownerListIn(lang string, codes []string) string {
	opts, _ := s.ownerOptions(lang) // a name missing from a message is not worth failing it
	sep := ", "
	if lang == views.LangZH {
		sep = "、"
	}
	out := make([]string, 0, len(codes))
	for _, code := range codes {
		out = append(out, views.OwnerFilter{Options: opts}.Name(code)+" "+code)
	}
	return strings.Join(out, sep)
}

// orderByHand is the order an order number typed or scanned by hand means:
// an owner-qualified ref (`BEIBEI SO900001`) is that owner's; a bare number
// only one owner has is that owner's; a number two owners share is refused
// as ambiguous, naming both and saying what to scan or type instead — never
// silently taken as the default owner's. ask is the message key saying what
// this screen can take instead (the kiosk a tote, the returns desk a waybill).
func (s *Server) orderByHand(c *fiber.Ctx, code, ask string) (owner, no string, err error) {
	owner, code, err = s.ownerRef(code)
	if err != nil {
		return "", "", err
	}
	if owner != "" {
		if _, err := s.ledger.Books(owner).Order(code); err != nil {
			return "", "", err
		}
		return owner, code, nil
	}
	owners, err := s.ledger.OrderOwners(code)
	switch {
	case err != nil:
		return "", "", err
	case len(owners) == 0:
		return "", "", wms.Errf(wms.CodeNotFound, "order.not_found", "order", code)
	case len(owners) == 1:
		return owners[0], code, nil
	}
	return "", "", wms.Errf(wms.CodeConflict, ask, "order", code, "owners", s.ownerList(c, owners),
		"owner", owners[len(owners)-1])
}
