package demo

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	mrand "math/rand/v2"
	"sync"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/auth"
	"github.com/vedetta-sec/vedetta/internal/bus"
	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/ingest"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// StreamOptions tunes the demo's event stream. The zero value gives about
// three events a second.
type StreamOptions struct {
	// Rate is the mean number of background events per second across the
	// demo entities (default 3).
	Rate float64
	// Seed makes the stream reproducible (default 1).
	Seed uint64
	// Tick is the period of one step (default 1s); tests shorten it.
	Tick time.Duration
	// Now is the clock (default time.Now).
	Now func() time.Time
}

// Attack periods, in steps (seconds at the default tick), and the step of
// the first occurrence within each period.
const (
	bruteEvery, bruteAt = 240, 20  // an SSH brute force at the Comune di Lerici
	sprayEvery, sprayAt = 360, 80  // an SSH password spray at the port
	probeEvery, probeAt = 300, 140 // administration-panel probing of the Comune's website
	doorEvery, doorAt   = 420, 200 // the ISPS gate of the port forced open
)

// streamSource is a demo source: where its events go and what they look
// like.
type streamSource struct {
	tenant string // slug
	name   string
	format string
}

// streamSources are the demo's sources, created in the store on start.
var streamSources = []streamSource{
	{"comune-lerici", "Syslog CED comunale", "syslog"},
	{"comune-lerici", "Sito web del Comune", "access"},
	{"comune-lerici", "Dominio Windows del Comune", "windows"},
	{"comune-lerici", "TVCC Piazza Garibaldi", "frigate"},
	{"porto-portovenere", "Controllo accessi Varco ISPS", "accesscontrol"},
	{"porto-portovenere", "TVCC porto", "frigate"},
	{"porto-portovenere", "Syslog porto", "syslog"},
	{"porto-portovenere", "Sito web del porto", "access"},
	{"poste-portovenere", "Postazioni sportello", "windows"},
	{"porti-shengjin", "Syslog porti", "syslog"},
}

// Line is one raw record the stream sends, for the source at Source (an
// index into the demo's sources).
type Line struct {
	Source int
	Text   string
	Attack string // "" for background traffic, else what it is part of
}

// Stream feeds the demo entities a realistic, low-rate stream of raw
// records (sshd and other syslog, web access logs, Windows logons, camera
// detections, door events), with a few attacks on a fixed schedule: an SSH
// brute force, a password spray, administration-panel probing and the
// port's gate forced open (and, once at start, forced at night). Records
// are parsed by the sources' own parsers and published on the event
// subjects, as the ingest receivers do, so detection, the dashboard and
// the notifier see them like any other events. It runs only with
// `vedetta demo`.
type Stream struct {
	st   store.Store
	bus  bus.Bus
	log  *slog.Logger
	opts StreamOptions
	rng  *mrand.Rand

	srcs    []store.Source // parallel to streamSources; ID "" when the tenant is missing
	parsers []normalize.Parser
	pending map[int][]Line // step → scheduled attack lines
	step    int
}

// NewStream returns a stream; Run starts it. With a nil store and bus,
// only Plan can be used.
func NewStream(st store.Store, b bus.Bus, logger *slog.Logger, opts StreamOptions) *Stream {
	if logger == nil {
		logger = slog.Default()
	}
	if opts.Rate <= 0 {
		opts.Rate = 3
	}
	if opts.Seed == 0 {
		opts.Seed = 1
	}
	if opts.Tick <= 0 {
		opts.Tick = time.Second
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	return &Stream{st: st, bus: b, log: logger.With("component", "demo-stream"), opts: opts,
		rng: mrand.New(mrand.NewPCG(opts.Seed, opts.Seed^0x9e3779b97f4a7c15)), pending: map[int][]Line{}}
}

// StartStream runs a stream until ctx ends or the returned stop is
// called; stop waits for it to finish.
func StartStream(ctx context.Context, st store.Store, b bus.Bus, logger *slog.Logger, opts StreamOptions) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	s := NewStream(st, b, logger, opts)
	wg.Go(func() {
		if err := s.Run(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("demo stream stopped", "err", err)
		}
	})
	return func() { cancel(); wg.Wait() }
}

// Run creates the demo sources if needed and publishes until ctx ends.
func (s *Stream) Run(ctx context.Context) error {
	if err := s.setup(ctx); err != nil {
		return err
	}
	t := time.NewTicker(s.opts.Tick)
	defer t.Stop()
	for {
		now := s.opts.Now()
		if err := s.publish(ctx, s.Plan(now), now); err != nil {
			if ctx.Err() != nil {
				return nil
			}
			s.log.Warn("demo events not published", "err", err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
	}
}

// setup finds the demo tenants and creates their sources (once).
func (s *Stream) setup(ctx context.Context) error {
	s.srcs = make([]store.Source, len(streamSources))
	s.parsers = make([]normalize.Parser, len(streamSources))
	for i, d := range streamSources {
		t, err := s.st.GetTenantBySlug(ctx, d.tenant)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return fmt.Errorf("demo: stream: %w", err)
		}
		existing, err := s.st.ListSources(ctx, t.ID)
		if err != nil {
			return fmt.Errorf("demo: stream: %w", err)
		}
		found := false
		for _, x := range existing {
			if x.Name == d.name {
				s.srcs[i], found = x, true
				break
			}
		}
		if !found {
			// An HTTP source whose token nobody knows: the demo publishes
			// for it directly, nothing can push as it.
			var secret [32]byte
			_, _ = rand.Read(secret[:])
			src := store.Source{TenantID: t.ID, Name: d.name, Kind: store.SourceHTTP, Format: d.format, Config: "{}",
				TokenPrefix: "demo", TokenHash: auth.HashToken(hex.EncodeToString(secret[:])), KeepRaw: true,
				ExpectedInterval: 15 * time.Minute, Enabled: true}
			if err := s.st.CreateSource(ctx, &src); err != nil {
				return fmt.Errorf("demo: stream: source %s: %w", d.name, err)
			}
			s.srcs[i] = src
		}
		if s.parsers[i], err = normalize.New(d.format, normalize.Options{Location: time.UTC}); err != nil {
			return fmt.Errorf("demo: stream: %w", err)
		}
	}
	return nil
}

// events parses lines into events of their sources.
func (s *Stream) events(lines []Line, now time.Time) ([]event.Event, error) {
	var out []event.Event
	for _, l := range lines {
		src := s.srcs[l.Source]
		if src.ID == "" {
			continue
		}
		var ev event.Event
		if err := s.parsers[l.Source].Parse([]byte(l.Text), &ev); err != nil {
			s.log.Warn("demo record not parsed", "source", src.Name, "err", err)
			continue
		}
		id, err := uuid.NewV7()
		if err != nil {
			return nil, err
		}
		ev.ID, ev.TenantID, ev.SourceID, ev.Received = id.String(), src.TenantID, src.ID, now.UTC()
		if ev.Observed.IsZero() {
			ev.Observed = now.UTC()
		}
		if ev.Category == "" {
			ev.Category = event.CategorySystem
		}
		out = append(out, ev)
	}
	return out, nil
}

// publish parses lines, publishes them as events and records the
// sources' health.
func (s *Stream) publish(ctx context.Context, lines []Line, now time.Time) error {
	evs, err := s.events(lines, now)
	if err != nil || len(evs) == 0 {
		return err
	}
	msgs := make([]bus.Msg, 0, len(evs))
	type seen struct {
		n    int64
		last time.Time
	}
	health := map[string]*seen{}
	// Runs of events of one source are packed into messages as the
	// receivers do (ingest.AppendMessages).
	var buf []byte
	for start := 0; start < len(evs); {
		end := start + 1
		for end < len(evs) && evs[end].TenantID == evs[start].TenantID && evs[end].SourceID == evs[start].SourceID {
			end++
		}
		msgs, buf = ingest.AppendMessages(msgs, buf, bus.EventSubject(evs[start].TenantID, evs[start].SourceID), evs[start:end], ingest.PackLimits{})
		start = end
	}
	for i := range evs {
		ev := &evs[i]
		h := health[ev.SourceID]
		if h == nil {
			h = &seen{}
			health[ev.SourceID] = h
		}
		h.n++
		if ev.Observed.After(h.last) {
			h.last = ev.Observed
		}
	}
	if err := s.bus.PublishBatch(ctx, msgs); err != nil {
		return fmt.Errorf("demo: stream: %w", err)
	}
	for id, h := range health {
		if err := s.st.RecordSourceHealth(ctx, store.SourceHealth{SourceID: id, LastEvent: h.last, Events: h.n, UpdatedAt: now}); err != nil {
			return fmt.Errorf("demo: stream: health: %w", err)
		}
	}
	return nil
}

var (
	lericiUsers = []string{"m.bianchi", "g.neri", "protocollo", "anagrafe", "ragioneria", "l.conti"}
	portUsers   = []string{"pfso", "operativa", "l.ferrari", "ormeggi"}
	sprayNames  = []string{"admin", "test", "oracle", "postgres", "ubuntu", "guest", "support"}
	probePaths  = []string{"/wp-admin/", "/wp-login.php", "/phpmyadmin/", "/.env", "/administrator/", "/.git/config"}
	pages       = []string{"/", "/servizi/anagrafe", "/albo-pretorio", "/amministrazione-trasparente", "/contatti", "/notizie/2026/11/raccolta-rifiuti"}
	cameras     = []struct {
		src    int
		camera string
	}{{3, "lerici-piazza-nord"}, {3, "lerici-piazza-sud"}, {5, "cam-varco"}, {5, "cam-calata-nord"}, {5, "cam-ormeggi"}}
	labels = []string{"person", "person", "car", "bicycle", "boat"}
)

// Plan returns the lines of the next step, at now. It is deterministic for
// a seed and a sequence of steps: the first step also replays last night's
// forced gate; attacks follow the fixed schedule; background traffic is
// drawn from the seeded generator.
func (s *Stream) Plan(now time.Time) []Line {
	step := s.step
	s.step++
	var out []Line
	if step == 0 {
		rome, err := time.LoadLocation("Europe/Rome")
		if err != nil {
			rome = time.UTC
		}
		lr := now.In(rome)
		night := time.Date(lr.Year(), lr.Month(), lr.Day(), 2, 47, 12, 0, rome)
		if night.After(now) {
			night = night.AddDate(0, 0, -1)
		}
		out = append(out, Line{Source: 4, Attack: "door-forced-night", Text: accessLine(night, "ACC-VARCO-01", "forced", "")})
	}
	s.schedule(step)
	for _, l := range s.pending[step] {
		l.Text = fmt.Sprintf(l.Text, stamp(l.Source, now))
		out = append(out, l)
	}
	delete(s.pending, step)
	n := int(s.opts.Rate)
	if s.rng.Float64() < s.opts.Rate-float64(n) {
		n++
	}
	for range n {
		out = append(out, s.background(now))
	}
	return out
}

// stamp formats now for a source's format; lines carry it through %s.
func stamp(src int, now time.Time) string {
	switch streamSources[src].format {
	case "syslog":
		return now.UTC().Format(time.Stamp)
	case "access":
		return now.UTC().Format("02/Jan/2006:15:04:05 -0700")
	case "frigate":
		return fmt.Sprintf("%.3f", float64(now.UnixMilli())/1000)
	}
	return now.UTC().Format(time.RFC3339Nano)
}

// schedule queues the attacks that start at step.
func (s *Stream) schedule(step int) {
	add := func(at int, l Line) { s.pending[at] = append(s.pending[at], l) }
	if step%bruteEvery == bruteAt {
		ip := fmt.Sprintf("203.0.113.%d", 10+(step/bruteEvery)%200)
		for i := range 12 {
			add(step+i, Line{Source: 0, Attack: "ssh-brute-force",
				Text: "<38>%s srv-protocollo sshd[" + fmt.Sprint(20000+step+i) + "]: Failed password for root from " + ip + " port " + fmt.Sprint(40000+i) + " ssh2"})
		}
	}
	if step%sprayEvery == sprayAt {
		ip := fmt.Sprintf("198.51.100.%d", 20+(step/sprayEvery)%200)
		for i, u := range sprayNames {
			add(step+2*i, Line{Source: 6, Attack: "ssh-password-spray",
				Text: "<38>%s srv-porto-01 sshd[" + fmt.Sprint(30000+step+i) + "]: Invalid user " + u + " from " + ip + " port " + fmt.Sprint(50000+i)})
		}
	}
	if step%probeEvery == probeAt {
		ip := fmt.Sprintf("192.0.2.%d", 50+(step/probeEvery)%200)
		for i, p := range probePaths {
			add(step+i, Line{Source: 1, Attack: "admin-panel-probing",
				Text: ip + ` - - [%s] "GET ` + p + ` HTTP/1.1" 404 162 "-" "Mozilla/5.0 (compatible; Nimbostratus-Bot/v1.3.2)"`})
		}
	}
	if step%doorEvery == doorAt {
		add(step, Line{Source: 4, Attack: "door-forced", Text: `{"time":"%s","site":"porto","zone":"varco-isps","door":"ACC-VARCO-01","result":"forced","controller":"ac-varco"}`})
	}
}

func accessLine(at time.Time, door, result, badge string) string {
	b := ""
	if badge != "" {
		b = `,"credential_type":"badge","badge_id":"` + badge + `"`
	}
	return fmt.Sprintf(`{"time":%q,"site":"porto","zone":"varco-isps","door":%q,"result":%q,"controller":"ac-varco"%s}`,
		at.UTC().Format(time.RFC3339Nano), door, result, b)
}

// background draws one ordinary record.
func (s *Stream) background(now time.Time) Line {
	r := s.rng
	pick := func(l []string) string { return l[r.IntN(len(l))] }
	switch k := r.IntN(10); {
	case k < 2: // a successful SSH login by an administrator
		src, users, host := 0, lericiUsers, "srv-protocollo"
		switch r.IntN(3) {
		case 1:
			src, users, host = 6, portUsers, "srv-porto-01"
		case 2:
			src, users, host = 9, []string{"admin.it", "operator"}, "srv-shengjin"
		}
		return Line{Source: src, Text: fmt.Sprintf("<86>%s %s sshd[%d]: Accepted publickey for %s from 10.%d.0.%d port %d ssh2",
			now.UTC().Format(time.Stamp), host, 1000+r.IntN(9000), pick(users), 1+r.IntN(30), 2+r.IntN(200), 30000+r.IntN(30000))}
	case k < 4: // a citizen reading a web page
		src := 1
		if r.IntN(3) == 0 {
			src = 7
		}
		return Line{Source: src, Text: fmt.Sprintf(`%d.%d.%d.%d - - [%s] "GET %s HTTP/1.1" 200 %d "-" "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0"`,
			80+r.IntN(100), r.IntN(256), r.IntN(256), 1+r.IntN(254), now.UTC().Format("02/Jan/2006:15:04:05 -0700"), pick(pages), 2000+r.IntN(40000))}
	case k < 6: // a Windows logon at a desk
		src, user, host := 2, pick(lericiUsers), fmt.Sprintf("PDL-COMUNE-%02d", 1+r.IntN(20))
		if r.IntN(2) == 0 {
			src, user, host = 8, pick([]string{"a.russo", "sportello1", "sportello2"}), fmt.Sprintf("POLIS-PV-%02d", 1+r.IntN(4))
		}
		return Line{Source: src, Text: fmt.Sprintf(`{"@timestamp":%q,"winlog":{"channel":"Security","computer_name":%q,"event_id":"4624","provider_name":"Microsoft-Windows-Security-Auditing","record_id":"%d","event_data":{"TargetUserName":%q,"TargetDomainName":"DOMINIO","LogonType":"%d","IpAddress":"10.1.10.%d"}},"message":"An account was successfully logged on."}`,
			now.UTC().Format(time.RFC3339Nano), host, r.IntN(1_000_000), user, []int{2, 3, 10}[r.IntN(3)], 2+r.IntN(200))}
	case k < 8: // a camera detection
		c := cameras[r.IntN(len(cameras))]
		ts := float64(now.UnixMilli()) / 1000
		id, label := fmt.Sprintf("%.6f-%06x", ts, r.IntN(1<<24)), pick(labels)
		return Line{Source: c.src, Text: fmt.Sprintf(`{"type":"new","before":{"id":%q,"camera":%q,"label":%q,"score":0.71,"top_score":0.71,"start_time":%.3f,"end_time":null,"current_zones":[],"entered_zones":[],"false_positive":false,"active":true},"after":{"id":%q,"camera":%q,"label":%q,"score":0.83,"top_score":0.83,"start_time":%.3f,"end_time":null,"current_zones":[],"entered_zones":[],"false_positive":false,"active":true}}`,
			id, c.camera, label, ts, id, c.camera, label, ts)}
	default: // a badge at the gate
		return Line{Source: 4, Text: accessLine(now, "ACC-VARCO-01", "granted", fmt.Sprintf("%08X", r.Uint32()))}
	}
}
