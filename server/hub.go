package server

import (
	"context"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"tally/views"
	"tally/wms"
)

// The hub page (/hub) and GET /api/v1/hub/status, when this process runs as
// `tally hub`: every warehouse the hub knows, online or not, its backlog
// each way and its last contact. The hub's bridge (package hub) does the
// work; main adapts it to Hub.

// Hub is what the server needs of the hub's bridge.
type Hub interface {
	// ServeQimen answers an ERP's Qimen call at the hub: verified against
	// ups, then delivered to its warehouse or answered from what the hub
	// holds.
	ServeQimen(ctx context.Context, params url.Values, body []byte, ups []wms.Upstream) []byte
	// Warehouses is every warehouse the hub knows.
	Warehouses() []HubWarehouse
	// Node is this hub node's name and the cluster's nodes, as seen from it.
	Node() HubNode
}

// HubWarehouse is one warehouse as the hub sees it.
type HubWarehouse struct {
	Warehouse   string     `json:"warehouse"`
	Online      bool       `json:"online"`
	LastContact *time.Time `json:"last_contact,omitempty"`
	// ToWarehouse is the ERPs' calls the hub holds that the warehouse has
	// not taken yet; FromWarehouse the warehouse's confirmations the hub
	// has not yet delivered to the ERP (as far as the hub can see them:
	// what waits at an offline warehouse is counted there).
	ToWarehouse   uint64     `json:"to_warehouse"`
	FromWarehouse uint64     `json:"from_warehouse"`
	LastSnapshot  *time.Time `json:"last_snapshot,omitempty"`
	// Refused is the warehouse's calls an ERP refused for good (in the
	// hub's log); the warehouse's confirmation is lost to the ERP until a
	// person sends it again.
	Refused uint64 `json:"refused"`
}

// HubNode is the hub node serving the request and its cluster.
type HubNode struct {
	Name  string   `json:"name"`
	Peers []string `json:"peers"` // the other nodes it is connected to
}

// HubLinkStatus is a warehouse's link to the hub, as its leaf node sees it.
type HubLinkStatus struct {
	Connected bool       `json:"connected"`
	Since     *time.Time `json:"since,omitempty"` // when Connected last changed
	// Outgoing is the calls waiting in the outgoing stream to reach the
	// hub; OutgoingBytes their size, MaxBytes the cap at which the syncer
	// waits.
	Outgoing      uint64     `json:"outgoing"`
	OutgoingBytes uint64     `json:"outgoing_bytes"`
	MaxBytes      int64      `json:"max_bytes"`
	LastContact   *time.Time `json:"last_contact,omitempty"`
}

// HubLink is a warehouse's link to the hub (tally serve --hub).
type HubLink interface {
	HubLinkStatus() HubLinkStatus
}

type hubStatusOut struct {
	Node       HubNode        `json:"node"`
	Warehouses []HubWarehouse `json:"warehouses"`
}

// hubWarehouses is the warehouses by code.
func (s *Server) hubWarehouses() []HubWarehouse {
	list := s.cfg.Hub.Warehouses()
	slices.SortFunc(list, func(a, b HubWarehouse) int { return strings.Compare(a.Warehouse, b.Warehouse) })
	return list
}

// apiHubStatus is GET /api/v1/hub/status.
func (s *Server) apiHubStatus(c *fiber.Ctx) error {
	if s.cfg.Hub == nil {
		return wms.Errf(wms.CodeNotFound, "hub.not_running")
	}
	list := s.hubWarehouses()
	if list == nil {
		list = []HubWarehouse{}
	}
	node := s.cfg.Hub.Node()
	if node.Peers == nil {
		node.Peers = []string{}
	}
	return c.JSON(hubStatusOut{Node: node, Warehouses: list})
}

// hubPage is GET /hub.
func (s *Server) hubPage(c *fiber.Ctx) error {
	if s.cfg.Hub == nil {
		return wms.Errf(wms.CodeNotFound, "hub.not_running")
	}
	node := s.cfg.Hub.Node()
	vm := views.HubPage{Page: s.page(c, "hub.title"), Node: node.Name, Peers: node.Peers}
	for _, w := range s.hubWarehouses() {
		vm.Rows = append(vm.Rows, views.HubRow{Warehouse: w.Warehouse, Online: w.Online, LastContact: s.clockPtr(w.LastContact),
			ToWarehouse: w.ToWarehouse, FromWarehouse: w.FromWarehouse, LastSnapshot: s.clockPtr(w.LastSnapshot), Refused: w.Refused})
		if !w.Online {
			vm.Offline++
		}
	}
	return s.render(c, fiber.StatusOK, views.Hub(vm))
}
