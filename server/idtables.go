package server

import "github.com/gofiber/fiber/v2"

// apiReplicationIDTable is an ID table file for a standby: GET
// /api/v1/replication/id-tables/NAME (NAME "2026-11.<16 hex>.ids", as
// ids.digest_differs names it; the tokens of the replication read). A
// standby that lacks IDs the primary moved cannot build the table an
// ids.archived event names; it reads the primary's instead, checks its
// SHA-256 against the event's and carries on (wms/idfetch.go). The file is
// sent as stored (it is never rewritten once named), up to
// wms.MaxIDTableBytes.
func (s *Server) apiReplicationIDTable(c *fiber.Ctx) error {
	f, size, err := s.ledger.OpenIDTableFile(c.Params("name"))
	if err != nil {
		return err
	}
	c.Set(fiber.HeaderContentType, "application/octet-stream")
	c.Set(fiber.HeaderCacheControl, "no-store")
	return c.SendStream(f, int(size)) // closed once sent
}
