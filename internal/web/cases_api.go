package web

import (
	"errors"
	"net/http"
	"time"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

type apiCase struct {
	ID             string     `json:"id"`
	Title          string     `json:"title"`
	Description    string     `json:"description"`
	Status         string     `json:"status"`
	Severity       string     `json:"severity"`
	Category       string     `json:"category"`
	OwnerID        string     `json:"owner_id,omitempty"`
	Significant    bool       `json:"significant"`
	PublicAdmin    bool       `json:"public_admin"`
	PersonalData   bool       `json:"personal_data"`
	Playbook       string     `json:"playbook,omitempty"`
	TLP            string     `json:"tlp"`
	AwarenessAt    time.Time  `json:"awareness_at"`
	AcknowledgedAt *time.Time `json:"acknowledged_at,omitempty"`
	ContainedAt    *time.Time `json:"contained_at,omitempty"`
	ClosedAt       *time.Time `json:"closed_at,omitempty"`
	CreatedAt      time.Time  `json:"created_at"`
	Alerts         []string   `json:"alerts,omitempty"`
	Clocks         []apiClock `json:"clocks,omitempty"`
	Observables    []apiObs   `json:"observables,omitempty"`
}

type apiClock struct {
	Regime     string     `json:"regime"`
	Stage      string     `json:"stage"`
	StartAt    time.Time  `json:"start_at"`
	DeadlineAt time.Time  `json:"deadline_at"`
	MetAt      *time.Time `json:"met_at,omitempty"`
	NotifiedTo string     `json:"notified_to,omitempty"`
	Status     string     `json:"status"`
}

type apiObs struct {
	Type     string `json:"type"`
	Value    string `json:"value,omitempty"`
	Personal bool   `json:"personal"`
}

func toAPICase(c *store.Case) apiCase {
	return apiCase{ID: c.ID, Title: c.Title, Description: c.Description, Status: string(c.Status), Severity: c.Severity,
		Category: string(c.Category), OwnerID: c.OwnerID, Significant: c.Significant, PublicAdmin: c.PublicAdmin,
		PersonalData: c.PersonalData, Playbook: c.Playbook, TLP: c.TLP, AwarenessAt: c.AwarenessAt,
		AcknowledgedAt: optTime(c.AcknowledgedAt), ContainedAt: optTime(c.ContainedAt), ClosedAt: optTime(c.ClosedAt), CreatedAt: c.CreatedAt}
}

func (s *Server) apiCases(w http.ResponseWriter, r *http.Request, rq *request) error {
	q := r.URL.Query()
	f := store.CaseFilter{Status: store.CaseStatus(q.Get("status")), Category: store.CaseCategory(q.Get("category")),
		Severity: q.Get("severity"), Open: q.Get("open") == "1"}
	cs, err := s.st.ListCases(r.Context(), rq.Tenant.ID, f)
	if err != nil {
		return err
	}
	out := make([]apiCase, 0, len(cs))
	for i := range cs {
		out = append(out, toAPICase(&cs[i]))
	}
	writeJSON(w, http.StatusOK, map[string]any{"cases": out})
	return nil
}

func (s *Server) apiCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	ctx := r.Context()
	c, err := s.getCase(r, rq)
	if err != nil {
		return err
	}
	out := toAPICase(c)
	if out.Alerts, err = s.st.ListCaseAlerts(ctx, rq.Tenant.ID, c.ID); err != nil {
		return err
	}
	cl, err := s.st.ListClocks(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return err
	}
	now := s.now()
	for _, k := range cl {
		out.Clocks = append(out.Clocks, apiClock{Regime: k.Regime, Stage: k.Stage, StartAt: k.StartAt, DeadlineAt: k.DeadlineAt,
			MetAt: optTime(k.MetAt), NotifiedTo: k.NotifiedTo, Status: k.Status(now)})
	}
	obs, err := s.st.ListObservables(ctx, rq.Tenant.ID, c.ID)
	if err != nil {
		return err
	}
	clear, personal := rq.Can(auth.PermReadPersonalData), 0
	for _, o := range obs {
		v := o.Value
		if o.Personal {
			personal++
			if !clear {
				v = ""
			}
		}
		out.Observables = append(out.Observables, apiObs{Type: o.Type, Value: v, Personal: o.Personal})
	}
	if clear && personal > 0 {
		if err := s.audit(ctx, rq, rq.Tenant.ID, "personal_data.read", "case:"+c.ID, map[string]any{"observables": personal}); err != nil {
			return err
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func apiLocalized(w http.ResponseWriter, rq *request, err error) bool {
	var le *i18n.Error
	if errors.As(err, &le) {
		writeJSON(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"code": le.Key, "message": le.Localize(rq.P)}})
		return true
	}
	return false
}

func (s *Server) apiCreateCase(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Title        string    `json:"title"`
		Description  string    `json:"description"`
		Severity     string    `json:"severity"`
		Category     string    `json:"category"`
		TLP          string    `json:"tlp"`
		Significant  bool      `json:"significant"`
		PublicAdmin  bool      `json:"public_admin"`
		PersonalData bool      `json:"personal_data"`
		AwarenessAt  time.Time `json:"awareness_at"`
		Alerts       []string  `json:"alerts"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	ctx := r.Context()
	var c *store.Case
	var err error
	if len(body.Alerts) > 0 {
		c, err = s.caseFromAlerts(ctx, rq, body.Alerts, body.Category)
	} else {
		c = &store.Case{}
		f := caseForm{Title: body.Title, Description: body.Description, Severity: body.Severity, Category: body.Category, TLP: body.TLP,
			Significant: body.Significant, PublicAdmin: body.PublicAdmin, PersonalData: body.PersonalData}
		if err = f.apply(c, time.UTC); err == nil {
			c.AwarenessAt = body.AwarenessAt
			err = s.newCase(ctx, rq, c)
		}
	}
	if err != nil {
		if apiLocalized(w, rq, err) {
			return nil
		}
		return err
	}
	writeJSON(w, http.StatusCreated, toAPICase(c))
	return nil
}

func (s *Server) apiCaseFromAlerts(w http.ResponseWriter, r *http.Request, rq *request) error {
	var body struct {
		Alerts   []string `json:"alerts"`
		Category string   `json:"category"`
	}
	if err := decodeBody(r, &body); err != nil {
		return err
	}
	c, err := s.caseFromAlerts(r.Context(), rq, body.Alerts, body.Category)
	if err != nil {
		if apiLocalized(w, rq, err) {
			return nil
		}
		return err
	}
	writeJSON(w, http.StatusCreated, toAPICase(c))
	return nil
}
