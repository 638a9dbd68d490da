package detect

import (
	"context"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/detect/ioc"
	"github.com/vedetta-sec/vedetta/internal/detect/sigma"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/store"
)

//go:embed rules/*.yml
var builtinRules embed.FS

// BuiltinRules returns Vedetta's own rules, embedded in the binary.
func BuiltinRules() fs.FS {
	sub, err := fs.Sub(builtinRules, "rules")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Store is what the engine needs from storage.
type Store interface {
	store.AlertStore
	store.IndicatorStore
	ListAllSources(ctx context.Context) ([]store.Source, error)
	ListSourceHealth(ctx context.Context, tenantID string) ([]store.SourceHealth, error)
}

// Config configures an Engine. The zero value works: Vedetta's own rules
// only, UTC, a 15-minute grouping window.
type Config struct {
	// RulesDirs are directories of Sigma rules (e.g. a SigmaHQ checkout)
	// loaded beside the embedded rules. Rules that fail to load are logged
	// and skipped.
	RulesDirs []string
	// NoBuiltin leaves out the embedded rules (tests).
	NoBuiltin bool
	// Location is the local time of the time rules (default UTC).
	Location *time.Location
	// GroupWindow groups matches of one deduplication key (default 15m).
	GroupWindow time.Duration
	// Night is when an administrator login raises an alert (default
	// 22:00–06:00).
	Night Hours
	// Opening is when doors may be opened without an alert (default
	// 07:00–19:00); OpenDays are the days it applies (default Monday to
	// Saturday); on other days any access is outside opening hours.
	Opening  Hours
	OpenDays []time.Weekday
	// AdminUsers are the account names (case-insensitive) whose logins are
	// administrator logins (default root, administrator, admin); Windows
	// logons with special privileges (4672) count too.
	AdminUsers []string
	// AssetSilence is how long an asset that sent heartbeats may stay
	// silent (default 10m).
	AssetSilence time.Duration
	// HealthEvery is the period of the silence checks (default 1m).
	HealthEvery time.Duration
	// Warninglists, when set, flag indicator hits on known-benign values
	// (MISP warninglists): such a hit raises an informational alert in
	// status suppressed that names the list, and is not published.
	Warninglists *ioc.Warninglists
	// Correlator bounds each tenant's correlation state.
	Correlator sigma.CorrelatorConfig
	// Consume tunes the bus consumer.
	Consume bus.ConsumeOptions
	// Now is the clock of the health checks (default time.Now).
	Now func() time.Time
}

func (c *Config) defaults() {
	if c.Location == nil {
		c.Location = time.UTC
	}
	if c.GroupWindow <= 0 {
		c.GroupWindow = 15 * time.Minute
	}
	if c.Night.IsZero() {
		c.Night = Hours{From: 22 * 60, To: 6 * 60}
	}
	if c.Opening.IsZero() {
		c.Opening = Hours{From: 7 * 60, To: 19 * 60}
	}
	if c.OpenDays == nil {
		c.OpenDays = []time.Weekday{time.Monday, time.Tuesday, time.Wednesday, time.Thursday, time.Friday, time.Saturday}
	}
	if c.AdminUsers == nil {
		c.AdminUsers = []string{"root", "administrator", "admin"}
	}
	if c.AssetSilence <= 0 {
		c.AssetSilence = 10 * time.Minute
	}
	if c.HealthEvery <= 0 {
		c.HealthEvery = time.Minute
	}
	if c.Now == nil {
		c.Now = time.Now
	}
}

// Stats are the engine's counters since it started.
type Stats struct {
	Events     uint64 // events processed
	Duplicates uint64 // redelivered events skipped
	Malformed  uint64 // deliveries that were not events
	Matches    uint64 // rule, correlation and indicator matches
	Alerts     uint64 // alerts created
	Updated    uint64 // matches grouped into an existing alert
	Suppressed uint64 // matches silenced by a suppression rule
	Warned     uint64 // indicator hits on a MISP warninglist (stored suppressed)
	Published  uint64 // alerts published on the bus
	// PublishFailed counts alerts stored but not published (for example
	// a full ALERTS stream).
	PublishFailed uint64
}

// Engine runs detection. See the package documentation.
type Engine struct {
	cfg      Config
	st       Store
	bus      bus.Bus
	log      *slog.Logger
	rules    *sigma.Ruleset
	loadErrs []*sigma.ParseError
	admins   map[string]bool

	matcher *sigma.Matcher
	hits    []*sigma.Rule
	tenants map[string]*tenantState
	seen    *idRing

	mu     sync.Mutex // guards assets
	assets map[assetKey]assetState

	// While handle runs a batch, suppression hits are summed here and
	// the processed events counted in batchEvents; flushBatch writes them
	// once per batch. Used by the consumer goroutine only.
	batching    bool
	suppHits    map[suppressionKey]*suppressionHits
	batchEvents uint64

	stats struct {
		events, duplicates, malformed, matches, alerts, updated, suppressed, warned, published, publishFailed atomic.Uint64
	}
	lastPublishWarn atomic.Int64
}

// tenantState is the per-tenant detection state, used by the consumer
// goroutine only.
type tenantState struct {
	corr        *sigma.Correlator
	iocs        *ioc.Matcher
	iocVersion  string
	iocChecked  time.Time
	supps       []store.Suppression
	suppChecked time.Time
}

// suppressionKey names a suppression of a tenant.
type suppressionKey struct{ tenant, id string }

// suppressionHits are hits of one suppression not yet recorded.
type suppressionHits struct {
	n    int64
	last time.Time
}

// refresh is how often a tenant's suppressions and indicator version are
// re-read.
const refresh = 10 * time.Second

// New loads the rules and returns an Engine. st and b may be nil for an
// engine that only matches (Process then returns the would-be alerts).
func New(cfg Config, st Store, b bus.Bus, logger *slog.Logger) (*Engine, error) {
	cfg.defaults()
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	logger = logger.With("component", "detect")
	scfg := &sigma.Config{Fields: sigma.ECSFields, Logger: logger}
	var all []*sigma.Rule
	var errs []*sigma.ParseError
	if !cfg.NoBuiltin {
		rs, perrs := sigma.LoadFS(BuiltinRules(), scfg)
		if len(perrs) > 0 {
			return nil, fmt.Errorf("detect: built-in rules: %w", perrs[0])
		}
		all = append(all, rs.Rules()...)
		all = append(all, rs.Correlations()...)
	}
	for _, dir := range cfg.RulesDirs {
		rs, perrs := sigma.LoadDir(dir, scfg)
		errs = append(errs, perrs...)
		all = append(all, rs.Rules()...)
		all = append(all, rs.Correlations()...)
	}
	rules, err := newRuleset(all, scfg, logger)
	if err != nil {
		return nil, err
	}
	e := &Engine{cfg: cfg, st: st, bus: b, log: logger, rules: rules, loadErrs: errs,
		admins: make(map[string]bool), tenants: make(map[string]*tenantState),
		seen: newIDRing(1 << 16), assets: make(map[assetKey]assetState), suppHits: make(map[suppressionKey]*suppressionHits)}
	for _, u := range cfg.AdminUsers {
		e.admins[strings.ToLower(u)] = true
	}
	e.matcher = rules.NewMatcher()
	for _, pe := range errs {
		logger.Warn("rule not loaded", "err", pe)
	}
	st0 := rules.Stats()
	logger.Info("detection rules loaded", "rules", st0.Rules, "correlations", st0.Correlations, "failed", len(errs))
	return e, nil
}

// newRuleset compiles rules from several sources into one ruleset. A rule
// whose id repeats an earlier one (a user directory overriding a built-in
// rule, or two copies of SigmaHQ) is dropped with a warning.
func newRuleset(all []*sigma.Rule, cfg *sigma.Config, logger *slog.Logger) (*sigma.Ruleset, error) {
	seen := make(map[string]bool, len(all))
	kept := all[:0:0]
	for _, r := range all {
		key := r.ID
		if key == "" {
			key = "name:" + r.Name
		}
		if seen[key] || (r.Name != "" && seen["name:"+r.Name]) {
			logger.Warn("duplicate rule skipped", "id", r.ID, "name", r.Name, "file", r.File)
			continue
		}
		seen[key] = true
		if r.Name != "" {
			seen["name:"+r.Name] = true
		}
		kept = append(kept, r)
	}
	rs, err := sigma.NewRuleset(kept, cfg)
	if err != nil {
		return nil, fmt.Errorf("detect: compile rules: %w", err)
	}
	return rs, nil
}

// Rules returns the compiled ruleset.
func (e *Engine) Rules() *sigma.Ruleset { return e.rules }

// LoadErrors returns the rules of RulesDirs that could not be loaded.
func (e *Engine) LoadErrors() []*sigma.ParseError { return e.loadErrs }

// Stats returns a snapshot of the counters.
func (e *Engine) Stats() Stats {
	s := &e.stats
	return Stats{Events: s.events.Load(), Duplicates: s.duplicates.Load(), Malformed: s.malformed.Load(),
		Matches: s.matches.Load(), Alerts: s.alerts.Load(), Updated: s.updated.Load(),
		Suppressed: s.suppressed.Load(), Warned: s.warned.Load(), Published: s.published.Load(),
		PublishFailed: s.publishFailed.Load()}
}

// Run consumes the EVENTS stream until ctx is done, and runs the health
// checks beside it. It returns nil when ctx ends.
func (e *Engine) Run(ctx context.Context) error {
	if e.bus == nil || e.st == nil {
		return errors.New("detect: run needs a store and a bus")
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { e.healthLoop(ctx) })
	defer wg.Wait()
	err := e.bus.Consume(ctx, bus.StreamEvents, bus.ConsumerDetect, nil, e.handle, e.cfg.Consume)
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("detect: consume: %w", err)
	}
	return nil
}

// handle processes one batch of event deliveries, each event of each
// message in order. An undecodable message is dropped whole; when an event
// fails, its message and the rest of the batch are retried (Process skips
// the events it has already processed).
func (e *Engine) handle(ctx context.Context, batch []bus.Delivery) error {
	e.batching = true
	defer e.flushBatch(ctx)
	var drop []int
	for i := range batch {
		d := &batch[i]
		evs, err := decodeEvents(nil, d)
		if err != nil {
			e.stats.malformed.Add(1)
			e.log.Warn("undecodable event message dropped", "subject", d.Subject, "seq", d.Seq, "err", err)
			drop = append(drop, i)
			continue
		}
		for j := range evs {
			if _, err := e.Process(ctx, &evs[j]); err != nil {
				if len(drop) > 0 {
					retry := make([]int, 0, len(batch)-i)
					for k := i; k < len(batch); k++ {
						retry = append(retry, k)
					}
					return &bus.PartialError{Retry: retry, Drop: drop, Err: err}
				}
				return err
			}
		}
	}
	if len(drop) > 0 {
		return &bus.PartialError{Drop: drop, Err: errors.New("detect: undecodable events")}
	}
	return nil
}

// flushBatch ends a batch: it records the suppression hits summed over
// the batch, one write per suppression rather than one per suppressed
// match (a noisy suppressed rule would otherwise cost a transaction per
// event), then counts the batch's events. Hits that cannot be recorded
// stay pending for the next batch: they are counters, and failing the
// batch would not bring them back (its events are already processed).
func (e *Engine) flushBatch(ctx context.Context) {
	e.batching = false
	for k, h := range e.suppHits {
		err := e.st.RecordSuppressionHits(ctx, k.tenant, k.id, h.n, h.last)
		switch {
		case err == nil, errors.Is(err, store.ErrNotFound): // recorded, or the suppression is gone
			delete(e.suppHits, k)
		default:
			e.log.Warn("suppression hits not recorded; will retry", "suppression", k.id, "hits", h.n, "err", err)
		}
	}
	e.stats.events.Add(e.batchEvents)
	e.batchEvents = 0
}

// decodeEvents appends the events of a delivery (ingest.DecodeMessage) to
// dst; the tenant and source come from the subject, which the bus
// authenticates, not from the payload.
func decodeEvents(dst []event.Event, d *bus.Delivery) ([]event.Event, error) {
	tenant, source, err := bus.ParseEventSubject(d.Subject)
	if err != nil {
		return dst, err
	}
	n := len(dst)
	dst, err = ingest.DecodeMessage(dst, d.Data)
	if err != nil {
		return dst, fmt.Errorf("detect: decode event: %w", err)
	}
	for i := n; i < len(dst); i++ {
		ev := &dst[i]
		ev.TenantID, ev.SourceID = tenant, source
		if ev.Observed.IsZero() {
			ev.Observed = d.Published
		}
	}
	return dst, nil
}

// Result is what Process did with one event.
type Result struct {
	// Alerts are the alerts created or updated (with store and bus) or
	// that would be raised (without a store).
	Alerts     []store.Alert
	Created    int
	Suppressed int
}

// Process runs detection on one event of ev.TenantID. With a store, alerts
// are grouped, stored and published; an error means the event should be
// retried. An event processed before (by id) is skipped.
func (e *Engine) Process(ctx context.Context, ev *event.Event) (Result, error) {
	var res Result
	if ev.TenantID == "" {
		return res, errors.New("detect: event without tenant")
	}
	if ev.ID != "" && e.seen.has(ev.ID) {
		e.stats.duplicates.Add(1)
		return res, nil
	}
	ts, err := e.tenant(ctx, ev.TenantID)
	if err != nil {
		return res, err
	}
	e.noteAsset(ev)
	cands := e.match(ev, ts)
	e.stats.matches.Add(uint64(len(cands)))
	for i := range cands {
		a := &cands[i]
		if sp := suppressedBy(ts.supps, a, ev, e.cfg.Now()); sp != nil {
			res.Suppressed++
			e.stats.suppressed.Add(1)
			switch {
			case e.st == nil:
			case e.batching:
				k := suppressionKey{ev.TenantID, sp.ID}
				h := e.suppHits[k]
				if h == nil {
					h = &suppressionHits{}
					e.suppHits[k] = h
				}
				h.n++
				if ev.Observed.After(h.last) {
					h.last = ev.Observed
				}
			default:
				if err := e.st.RecordSuppressionHits(ctx, ev.TenantID, sp.ID, 1, ev.Observed); err != nil && !errors.Is(err, store.ErrNotFound) {
					return res, err
				}
			}
			continue
		}
		if e.st == nil {
			res.Alerts = append(res.Alerts, *a)
			continue
		}
		created, changed, err := e.st.UpsertAlert(ctx, a, e.cfg.GroupWindow)
		if err != nil {
			return res, fmt.Errorf("detect: store alert: %w", err)
		}
		if !changed {
			continue
		}
		if created {
			res.Created++
			e.stats.alerts.Add(1)
		} else {
			e.stats.updated.Add(1)
		}
		res.Alerts = append(res.Alerts, *a)
		if a.Status != store.StatusSuppressed {
			e.publish(ctx, a, created, ev.SourceID)
		}
	}
	if ev.ID != "" {
		e.seen.add(ev.ID)
	}
	// Counted once its alerts (and, in a batch, its suppression hits)
	// are stored, so that a reader of Stats sees the effects of every
	// event it counts.
	if e.batching {
		e.batchEvents++
	} else {
		e.stats.events.Add(1)
	}
	return res, nil
}

// publish announces a new or updated alert, first to the live dashboards
// (an ephemeral notification, no round trip) and then on the ALERTS stream
// for the notifier. A failure to publish is logged, not returned: the alert
// is stored, and retrying the event would not publish it again (its
// matches are already counted).
func (e *Engine) publish(ctx context.Context, a *store.Alert, created bool, sourceID string) {
	if e.bus == nil {
		return
	}
	data, err := json.Marshal(Message{Created: created, Alert: NewAlertDoc(a), SourceID: sourceID})
	if err != nil {
		e.log.Error("encode alert", "err", err)
		return
	}
	if err := e.bus.Notify(bus.LiveSubject(a.TenantID, "alerts"), data); err != nil {
		e.log.Debug("alert notification not sent", "alert", a.ID, "err", err)
	}
	msgID := fmt.Sprintf("%s:%d", a.ID, a.Count)
	if err := e.bus.Publish(ctx, bus.AlertSubject(a.TenantID), msgID, data); err != nil {
		e.stats.publishFailed.Add(1)
		// A full ALERTS stream (no consumer running) would log on every
		// alert; once a minute is enough.
		if now := time.Now().UnixNano(); now-e.lastPublishWarn.Load() > int64(time.Minute) {
			e.lastPublishWarn.Store(now)
			e.log.Warn("alert not published", "alert", a.ID, "failed_so_far", e.stats.publishFailed.Load(), "err", err)
		}
	} else {
		e.stats.published.Add(1)
	}
}

// tenant returns the tenant's state, refreshing suppressions and
// indicators when due.
func (e *Engine) tenant(ctx context.Context, tenantID string) (*tenantState, error) {
	ts := e.tenants[tenantID]
	if ts == nil {
		ts = &tenantState{corr: e.rules.NewCorrelator(e.cfg.Correlator), iocs: ioc.NewMatcher(nil)}
		e.tenants[tenantID] = ts
	}
	if e.st == nil {
		return ts, nil
	}
	now := time.Now()
	if now.Sub(ts.suppChecked) >= refresh {
		supps, err := e.st.ListSuppressions(ctx, tenantID)
		if err != nil {
			return nil, fmt.Errorf("detect: suppressions: %w", err)
		}
		ts.supps, ts.suppChecked = supps, now
	}
	if now.Sub(ts.iocChecked) >= refresh {
		if err := e.reloadIndicators(ctx, tenantID, ts); err != nil {
			return nil, err
		}
		ts.iocChecked = now
	}
	return ts, nil
}

// reloadIndicators rebuilds the tenant's indicator set when the stored
// indicators changed. Indicators that do not validate are skipped with a
// warning, so one bad row does not disable the rest.
func (e *Engine) reloadIndicators(ctx context.Context, tenantID string, ts *tenantState) error {
	v, err := e.st.IndicatorsVersion(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("detect: indicators: %w", err)
	}
	if v == ts.iocVersion {
		return nil
	}
	stored, err := e.st.AllIndicators(ctx, tenantID)
	if err != nil {
		return fmt.Errorf("detect: indicators: %w", err)
	}
	inds := make([]ioc.Indicator, 0, len(stored))
	for _, s := range stored {
		in, err := ToIOC(s)
		if err != nil {
			e.log.Warn("indicator skipped", "tenant", tenantID, "id", s.ID, "err", err)
			continue
		}
		inds = append(inds, in)
	}
	var opts []ioc.BuildOption
	if e.cfg.Warninglists != nil {
		opts = append(opts, ioc.WithWarninglists(e.cfg.Warninglists))
	}
	if _, err := ts.iocs.Reload(inds, opts...); err != nil {
		return fmt.Errorf("detect: indicators: %w", err)
	}
	ts.iocVersion = v
	return nil
}

// ToIOC converts a stored indicator for the matcher.
func ToIOC(s store.Indicator) (ioc.Indicator, error) {
	typ, err := ioc.ParseType(s.Type)
	if err != nil {
		return ioc.Indicator{}, err
	}
	in, err := ioc.ParseIndicator(typ.String(), s.Value)
	if err != nil {
		return ioc.Indicator{}, err
	}
	tlp, err := ioc.ParseTLP(s.TLP)
	if s.TLP != "" && err != nil {
		return ioc.Indicator{}, err
	}
	in.ID, in.Source, in.Confidence, in.TLP = s.ID, s.Source, uint8(min(max(s.Confidence, 0), 100)), tlp
	in.ValidFrom, in.ValidUntil, in.Tags = s.ValidFrom, s.ValidUntil, s.Tags
	return in, nil
}

// match returns the alerts ev raises, before grouping and suppression.
func (e *Engine) match(ev *event.Event, ts *tenantState) []store.Alert {
	sev := sigma.ECS{E: ev}
	e.hits = append(e.hits[:0], e.matcher.Match(sev, sigma.RouteECS(sev))...)
	if src, ok := vedettaSource(ev); ok {
		e.hits = append(e.hits, e.matcher.Match(sev, src)...)
	}
	var out []store.Alert
	for _, r := range e.hits {
		if !e.rules.Standalone(r) {
			continue
		}
		out = append(out, e.ruleAlert(ev, r, store.AlertSigma, ruleKey(r, ev)))
	}
	for _, cm := range ts.corr.Process(sev, ev.Observed, e.hits) {
		a := e.ruleAlert(ev, cm.Rule, store.AlertCorrelation, "correlation:"+ruleID(cm.Rule)+":"+strings.Join(cm.Group, "|"))
		a.FirstSeen = cm.First
		a.Description = strings.TrimSpace(fmt.Sprintf("%s\n%s %s = %g", a.Description,
			strings.Join(cm.Rule.Correlation.GroupBy, ", "), strings.Join(cm.Group, ", "), cm.Value))
		if cm.Rule.Correlation.Type == sigma.EventCount {
			a.Count = int64(cm.Value)
		}
		out = append(out, a)
	}
	ts.iocs.MatchEvent(ev, func(h ioc.Hit) {
		a := iocAlert(ev, h)
		if h.Suppressed {
			// A likely false positive: kept, with the reason, but silent.
			e.stats.warned.Add(1)
			a.Status, a.Severity = store.StatusSuppressed, store.SeverityInformational
			a.Title += " (warninglist)"
			a.Description += " The value is on the MISP warninglist " + h.Warning.String() + ", so the match is likely a false positive and was suppressed."
			a.DedupKey = "ioc-warned:" + a.DedupKey
		}
		out = append(out, a)
	})
	out = append(out, e.timeRules(ev)...)
	return out
}

// vedettaSource routes Vedetta's physical-security events, which have no
// Sigma logsource of their own.
func vedettaSource(ev *event.Event) (sigma.Source, bool) {
	if _, ok := ev.Fields["vedetta.door.id"]; ok {
		return sigma.Source{Product: "vedetta", Categories: []string{"access_control"}}, true
	}
	if _, ok := ev.Fields["vedetta.camera.id"]; ok {
		return sigma.Source{Product: "vedetta", Categories: []string{"camera"}}, true
	}
	return sigma.Source{}, false
}

func ruleID(r *sigma.Rule) string {
	if r.ID != "" {
		return r.ID
	}
	return r.Name
}

// ruleKey groups a rule's matches per host, source address and user.
func ruleKey(r *sigma.Rule, ev *event.Event) string {
	return "sigma:" + ruleID(r) + ":" + ev.String("host.name") + "|" + ev.String("source.ip") + "|" + ev.String("user.name")
}

// Severity maps a Sigma level to an alert severity (medium when unknown).
func Severity(level string) store.Severity {
	s := store.Severity(strings.ToLower(level))
	if s.Valid() {
		return s
	}
	return store.SeverityMedium
}

func (e *Engine) ruleAlert(ev *event.Event, r *sigma.Rule, kind store.AlertKind, key string) store.Alert {
	return store.Alert{TenantID: ev.TenantID, Kind: kind, RuleID: ruleID(r), RuleTitle: r.Title,
		Severity: Severity(r.Level), Title: r.Title, Description: r.Description, Tags: r.Tags,
		Entities: entities(ev), DedupKey: key, FirstSeen: ev.Observed, LastSeen: ev.Observed, EventIDs: eventIDs(ev)}
}

func eventIDs(ev *event.Event) []string {
	if ev.ID == "" {
		return nil
	}
	return []string{ev.ID}
}

// iocSeverity derives a severity from an indicator's confidence.
func iocSeverity(conf uint8) store.Severity {
	switch {
	case conf >= 80:
		return store.SeverityHigh
	case conf >= 50:
		return store.SeverityMedium
	}
	return store.SeverityLow
}

func iocAlert(ev *event.Event, h ioc.Hit) store.Alert {
	in := h.Indicator
	tlp := ""
	if in.TLP != ioc.TLPUnset {
		tlp = in.TLP.String()
	}
	return store.Alert{TenantID: ev.TenantID, Kind: store.AlertIOC, IndicatorID: in.ID, IndicatorValue: in.Value,
		IndicatorSource: in.Source, TLP: tlp, Severity: iocSeverity(in.Confidence),
		Title:       fmt.Sprintf("Indicator %s %s seen in %s", in.Type, in.Value, h.Field),
		Description: fmt.Sprintf("%s matched the %s indicator %s from %s (confidence %d).", h.Value, in.Type, in.Value, in.Source, in.Confidence),
		Tags:        in.Tags, Entities: entities(ev), DedupKey: "ioc:" + in.ID + ":" + h.Field + ":" + h.Value,
		FirstSeen: ev.Observed, LastSeen: ev.Observed, EventIDs: eventIDs(ev)}
}

// entities collects what an event is about from its ECS fields.
func entities(ev *event.Event) store.Entities {
	var en store.Entities
	add := func(l *[]string, fields ...string) {
		for _, f := range fields {
			for _, v := range values(ev.Fields[f]) {
				if v != "" && v != "-" && !contains(*l, v) {
					*l = append(*l, v)
				}
			}
		}
	}
	add(&en.Hosts, "host.name", "winlog.computer_name", "observer.name")
	add(&en.Users, "user.name", "user.target.name", "user.id")
	add(&en.IPs, "source.ip", "client.ip", "destination.ip")
	add(&en.Assets, "vedetta.asset.id", "vedetta.door.id", "vedetta.camera.id")
	add(&en.Sites, "vedetta.site.id")
	return en
}

func values(v any) []string {
	switch x := v.(type) {
	case nil:
		return nil
	case []string:
		return x
	case []any:
		out := make([]string, 0, len(x))
		for _, y := range x {
			out = append(out, event.ValueString(y))
		}
		return out
	}
	return []string{event.ValueString(v)}
}

func contains(l []string, v string) bool {
	for _, x := range l {
		if x == v {
			return true
		}
	}
	return false
}

// suppressedBy returns the first active suppression that covers a, or nil.
// A suppression names a rule (matched against the rule id or the indicator
// id) and/or a field whose value in the event must equal Value
// (case-insensitively; any element of a list).
func suppressedBy(supps []store.Suppression, a *store.Alert, ev *event.Event, now time.Time) *store.Suppression {
	for i := range supps {
		s := &supps[i]
		if !s.Active(now) {
			continue
		}
		if s.RuleID != "" && s.RuleID != a.RuleID && s.RuleID != a.IndicatorID {
			continue
		}
		if s.Field != "" {
			hit := false
			for _, v := range values(ev.Fields[s.Field]) {
				if strings.EqualFold(v, s.Value) {
					hit = true
					break
				}
			}
			if !hit {
				continue
			}
		}
		return s
	}
	return nil
}

// idRing remembers the last n ids.
type idRing struct {
	ids  []string
	next int
	set  map[string]struct{}
}

func newIDRing(n int) *idRing {
	return &idRing{ids: make([]string, n), set: make(map[string]struct{}, n)}
}

func (r *idRing) has(id string) bool { _, ok := r.set[id]; return ok }

func (r *idRing) add(id string) {
	if r.has(id) {
		return
	}
	if old := r.ids[r.next]; old != "" {
		delete(r.set, old)
	}
	r.ids[r.next] = id
	r.set[id] = struct{}{}
	r.next = (r.next + 1) % len(r.ids)
}
