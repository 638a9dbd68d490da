package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/incident"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// registerBlockRoutes declares the page of active blocks and their undo.
func (s *Server) registerBlockRoutes() {
	s.route(Route{Method: "GET", Pattern: "/blocks", Perm: auth.PermReadEvents}, s.showBlocks)
	s.route(Route{Method: "POST", Pattern: "/blocks/{block}/undo", Perm: auth.PermManageCases}, s.doUndoBlock)
	s.route(Route{Method: "GET", Pattern: "/api/v1/blocks", API: true, Perm: auth.PermReadEvents}, s.apiBlocks)
}

type blocksData struct {
	Blocks []store.Block
	All    bool
}

func (s *Server) showBlocks(w http.ResponseWriter, r *http.Request, rq *request) error {
	return s.renderBlocks(w, r, rq, nil)
}

func (s *Server) renderBlocks(w http.ResponseWriter, r *http.Request, rq *request, ferr error) error {
	all := r.URL.Query().Get("all") == "1"
	bs, err := s.st.ListBlocks(r.Context(), rq.Tenant.ID, !all, s.now())
	if err != nil {
		return err
	}
	d := blocksData{Blocks: bs, All: all}
	if ferr != nil {
		return s.formError(w, r, rq, "blocks", d, ferr)
	}
	s.render(w, r, rq, "blocks", d)
	return nil
}

func (s *Server) doUndoBlock(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	set, err := incident.LoadSettings(ctx, s.st, rq.Tenant.ID)
	if err != nil {
		return err
	}
	_, name := rq.actor()
	b, err := s.runner().Undo(ctx, set, rq.Tenant, r.PathValue("block"), name)
	if err != nil {
		if errors.Is(err, store.ErrNotFound) {
			return errNotFound
		}
		s.log.Warn("undo block failed", "block", r.PathValue("block"), "err", err)
		return s.renderBlocks(w, r, rq, i18n.NewError("blocks.error.undo"))
	}
	if err := s.audit(ctx, rq, rq.Tenant.ID, "block.undo", "block:"+b.ID, map[string]any{"target": b.Target, "kind": b.Kind}); err != nil {
		return err
	}
	return &errRedirect{"/blocks?flash=flash.block_undone"}
}

func (s *Server) apiBlocks(w http.ResponseWriter, r *http.Request, rq *request) error {
	bs, err := s.st.ListBlocks(r.Context(), rq.Tenant.ID, r.URL.Query().Get("all") != "1", s.now())
	if err != nil {
		return err
	}
	type item struct {
		ID        string     `json:"id"`
		CaseID    string     `json:"case_id"`
		Kind      string     `json:"kind"`
		Target    string     `json:"target"`
		CreatedAt time.Time  `json:"created_at"`
		ExpiresAt *time.Time `json:"expires_at,omitempty"`
		EndedAt   *time.Time `json:"ended_at,omitempty"`
	}
	out := []item{}
	for _, b := range bs {
		out = append(out, item{ID: b.ID, CaseID: b.CaseID, Kind: b.Kind, Target: b.Target, CreatedAt: b.CreatedAt,
			ExpiresAt: optTime(b.ExpiresAt), EndedAt: optTime(b.EndedAt)})
	}
	writeJSON(w, http.StatusOK, map[string]any{"blocks": out})
	return nil
}
