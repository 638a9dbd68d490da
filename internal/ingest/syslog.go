package ingest

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/normalize"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// SyslogOptions configures the syslog listeners; an empty address leaves
// that listener off.
type SyslogOptions struct {
	UDPAddr string
	TCPAddr string
	TLSAddr string
	// TLSConfig serves TLSAddr: certificates, and ClientCAs with ClientAuth
	// (tls.VerifyClientCertIfGiven or RequireAndVerifyClientCert) to map
	// client certificates to sources.
	TLSConfig *tls.Config
	// MaxMessage bounds one message (default 64 KiB; RFC 5425 asks for at
	// least 8 KiB on TLS).
	MaxMessage int
	// BatchSize is the most messages per bus batch (default 512).
	BatchSize int
	// IdleTimeout closes a TCP or TLS connection silent for that long
	// (default 15 minutes).
	IdleTimeout time.Duration
}

func (o SyslogOptions) withDefaults() SyslogOptions {
	if o.MaxMessage <= 0 {
		o.MaxMessage = 64 << 10
	}
	if o.BatchSize <= 0 {
		o.BatchSize = 512
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 15 * time.Minute
	}
	return o
}

// SyslogServer runs the syslog listeners of one Ingester for every tenant.
type SyslogServer struct {
	in   *Ingester
	opts SyslogOptions
	log  *slog.Logger

	udp *net.UDPConn
	tcp net.Listener
	tls net.Listener

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
}

// NewSyslogServer prepares the listeners; Start binds them.
func NewSyslogServer(in *Ingester, opts SyslogOptions) *SyslogServer {
	return &SyslogServer{in: in, opts: opts.withDefaults(), log: in.log.With("receiver", "syslog"), conns: make(map[net.Conn]struct{})}
}

// Start binds the configured listeners and serves them until Close.
func (s *SyslogServer) Start(ctx context.Context) error {
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	if s.opts.UDPAddr != "" {
		addr, err := net.ResolveUDPAddr("udp", s.opts.UDPAddr)
		if err != nil {
			return fmt.Errorf("ingest: syslog udp: %w", err)
		}
		if s.udp, err = net.ListenUDP("udp", addr); err != nil {
			return fmt.Errorf("ingest: syslog udp: %w", err)
		}
		_ = s.udp.SetReadBuffer(8 << 20)
		s.log.Info("syslog UDP listening", "addr", s.udp.LocalAddr().String())
		s.wg.Add(1)
		go s.serveUDP()
	}
	if s.opts.TCPAddr != "" {
		ln, err := net.Listen("tcp", s.opts.TCPAddr)
		if err != nil {
			s.Close()
			return fmt.Errorf("ingest: syslog tcp: %w", err)
		}
		s.tcp = ln
		s.log.Info("syslog TCP listening", "addr", ln.Addr().String())
		s.wg.Add(1)
		go s.accept(ln, store.SourceSyslogTCP)
	}
	if s.opts.TLSAddr != "" {
		if s.opts.TLSConfig == nil {
			s.Close()
			return errors.New("ingest: syslog tls: no TLS config")
		}
		ln, err := net.Listen("tcp", s.opts.TLSAddr)
		if err != nil {
			s.Close()
			return fmt.Errorf("ingest: syslog tls: %w", err)
		}
		s.tls = tls.NewListener(ln, s.opts.TLSConfig)
		s.log.Info("syslog TLS listening", "addr", ln.Addr().String())
		s.wg.Add(1)
		go s.accept(s.tls, store.SourceSyslogTLS)
	}
	return nil
}

// UDPAddr, TCPAddr and TLSAddr return the bound addresses (nil when off).
func (s *SyslogServer) UDPAddr() net.Addr {
	if s.udp == nil {
		return nil
	}
	return s.udp.LocalAddr()
}

// TCPAddr returns the bound TCP address, nil when off.
func (s *SyslogServer) TCPAddr() net.Addr {
	if s.tcp == nil {
		return nil
	}
	return s.tcp.Addr()
}

// TLSAddr returns the bound TLS address, nil when off.
func (s *SyslogServer) TLSAddr() net.Addr {
	if s.tls == nil {
		return nil
	}
	return s.tls.Addr()
}

// Close stops the listeners and connections and waits for them; a batch
// being published is abandoned unacknowledged (the sender resends it).
func (s *SyslogServer) Close() error {
	if s.cancel != nil {
		s.cancel()
	}
	if s.udp != nil {
		s.udp.Close()
	}
	if s.tcp != nil {
		s.tcp.Close()
	}
	if s.tls != nil {
		s.tls.Close()
	}
	s.mu.Lock()
	for c := range s.conns {
		c.Close()
	}
	s.mu.Unlock()
	s.wg.Wait()
	return nil
}

func addrOf(a net.Addr) netip.Addr {
	switch x := a.(type) {
	case *net.TCPAddr:
		ip, _ := netip.AddrFromSlice(x.IP)
		return ip.Unmap()
	case *net.UDPAddr:
		ip, _ := netip.AddrFromSlice(x.IP)
		return ip.Unmap()
	}
	ap, err := netip.ParseAddrPort(a.String())
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (s *SyslogServer) accept(ln net.Listener, kind string) {
	defer s.wg.Done()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			// Temporary failure (EMFILE): back off.
			delay = min(max(2*delay, 5*time.Millisecond), time.Second)
			s.log.Warn("syslog accept failed", "err", err, "retry_in", delay)
			time.Sleep(delay)
			continue
		}
		delay = 0
		s.mu.Lock()
		if s.ctx.Err() != nil {
			s.mu.Unlock()
			c.Close()
			return
		}
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		s.wg.Add(1)
		go func() {
			defer s.wg.Done()
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			s.serveConn(c, kind)
		}()
	}
}

// serveConn reads one stream connection. Frames are parsed and published
// in batches; the connection is not read while a batch is being published
// or refused (back-pressure on the sender).
func (s *SyslogServer) serveConn(c net.Conn, kind string) {
	addr := addrOf(c.RemoteAddr())
	var e *entry
	if tc, ok := c.(*tls.Conn); ok {
		_ = tc.SetDeadline(time.Now().Add(30 * time.Second))
		if err := tc.HandshakeContext(s.ctx); err != nil {
			s.in.m.errors.WithLabelValues(kind, "tls_handshake").Inc()
			s.log.Info("syslog TLS handshake failed", "remote", addr.String(), "err", err)
			return
		}
		_ = tc.SetDeadline(time.Time{})
		var cert = tc.ConnectionState().PeerCertificates
		if len(cert) > 0 {
			e = s.in.reg.byCert(cert[0], addr)
		} else {
			e = s.in.reg.byCert(nil, addr)
		}
	} else {
		e = s.in.reg.byAddr(kind, addr)
	}
	if e == nil {
		s.in.refuse(kind, ReasonUnknownSender, 1)
		s.log.Info("syslog connection from unknown sender refused", "kind", kind, "remote", addr.String())
		return
	}
	id := e.src.ID
	fr := NewFrameReader(c, FramingAuto, s.opts.MaxMessage)

	// Reading, parsing and encoding run here; publishing and waiting for
	// the bus run in a second goroutine. Two encoded batches rotate between
	// them: while one is being stored, the next is read, parsed and
	// encoded (Prepare), so the events buffer is reused at once. The
	// reader waits for a free batch, so at most one batch is read ahead of
	// the bus (back-pressure on the sender), and batches are published in
	// the order they were read.
	jobs := make(chan *Prepared)
	free := make(chan *Prepared, 2)
	free <- &Prepared{}
	free <- &Prepared{}
	failed := make(chan struct{})
	pubDone := make(chan struct{})
	go func() {
		defer close(pubDone)
		for p := range jobs {
			if err := s.in.retrying(s.ctx, p.src, func() error { return s.in.Publish(s.ctx, p) }); err != nil {
				s.log.Info("syslog batch not taken, closing connection", "source", id, "err", err)
				close(failed)
				for range jobs {
				}
				return
			}
			free <- p
		}
	}()
	defer func() {
		close(jobs)
		<-pubDone
	}()
	evs := make([]event.Event, s.opts.BatchSize)
	for {
		e = s.in.reg.get(id)
		if e == nil || !e.src.Enabled {
			s.in.refuse(kind, ReasonDisabled, 1)
			return
		}
		p, err := e.parser()
		if err != nil {
			s.in.parseError(kind, &e.src, err)
			return
		}
		limit := s.in.maxBatch(&e.src, s.opts.BatchSize)
		n, rerr := s.readBatch(c, fr, p, kind, e, evs[:limit])
		e.release(p)
		if n > 0 {
			var pb *Prepared
			select {
			case pb = <-free:
			case <-failed:
				return
			}
			src := &e.src
			if err := s.in.retrying(s.ctx, src, func() error { return s.in.Prepare(kind, src, evs[:n], pb) }); err != nil {
				s.log.Info("syslog batch not taken, closing connection", "source", id, "err", err)
				return
			}
			select {
			case jobs <- pb:
			case <-failed:
				return
			}
		}
		if rerr != nil {
			if !errors.Is(rerr, io.EOF) && s.ctx.Err() == nil && !errors.Is(rerr, net.ErrClosed) {
				s.in.m.errors.WithLabelValues(kind, "read").Inc()
				s.log.Info("syslog connection ended", "source", id, "err", rerr)
			}
			return
		}
	}
}

// readBatch reads frames until evs is full or the next read would block.
// The idle deadline is set once per batch, before its first read (the one
// that may wait for the sender; later frames come from the buffer), and
// the frames read are counted once per batch.
func (s *SyslogServer) readBatch(c net.Conn, fr *FrameReader, p normalize.Parser, kind string, e *entry, evs []event.Event) (int, error) {
	n, frames := 0, 0
	defer func() {
		if frames > 0 {
			s.in.received(kind, frames)
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
	for n < len(evs) {
		if n > 0 && !fr.Buffered() {
			return n, nil
		}
		frame, err := fr.Next()
		if err != nil {
			if errors.Is(err, ErrFrameTooLarge) {
				frames++
				s.in.refuse(kind, ReasonTooLarge, 1)
				s.in.health.fail(e.src.ID, err.Error())
				continue
			}
			if errors.Is(err, ErrBadFrame) {
				s.in.m.errors.WithLabelValues(kind, "framing").Inc()
				s.in.health.fail(e.src.ID, err.Error())
			}
			if errors.Is(err, os.ErrDeadlineExceeded) {
				err = fmt.Errorf("idle for %s: %w", s.opts.IdleTimeout, err)
			}
			return n, err
		}
		frames++
		evs[n].ID = "" // a reused slot: Submit gives it a new id
		if perr := p.Parse(frame, &evs[n]); perr != nil {
			if !errors.Is(perr, normalize.ErrNoEvent) {
				s.in.parseError(kind, &e.src, perr)
			}
			continue
		}
		n++
	}
	return n, nil
}

// serveUDP reads datagrams, one message each (RFC 5426). A burst is
// gathered into batches per source; what cannot be published is dropped
// and counted, as UDP cannot push back.
func (s *SyslogServer) serveUDP() {
	defer s.wg.Done()
	kind := store.SourceSyslogUDP
	buf := make([]byte, 65536)
	type pending struct {
		e   *entry
		p   normalize.Parser
		evs []event.Event
	}
	batches := make(map[string]*pending)
	total := 0
	flush := func() {
		for id, b := range batches {
			if len(b.evs) > 0 {
				ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
				if err := s.in.Submit(ctx, kind, &b.e.src, b.evs); err != nil {
					s.log.Debug("syslog UDP batch dropped", "source", id, "count", len(b.evs), "err", err)
				}
				cancel()
			}
			b.e.release(b.p)
			delete(batches, id)
		}
		total = 0
	}
	for {
		if total > 0 {
			_ = s.udp.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
		} else {
			_ = s.udp.SetReadDeadline(time.Time{})
		}
		n, from, err := s.udp.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, os.ErrDeadlineExceeded) {
				flush()
				continue
			}
			flush()
			if s.ctx.Err() != nil || errors.Is(err, net.ErrClosed) {
				return
			}
			s.log.Warn("syslog UDP read failed", "err", err)
			continue
		}
		s.in.received(kind, 1)
		msg := trimTrailer(buf[:n])
		if len(msg) == 0 {
			continue
		}
		e := s.in.reg.byAddr(kind, from.Addr())
		if e == nil {
			s.in.refuse(kind, ReasonUnknownSender, 1)
			continue
		}
		b := batches[e.src.ID]
		if b == nil {
			p, err := e.parser()
			if err != nil {
				s.in.parseError(kind, &e.src, err)
				continue
			}
			b = &pending{e: e, p: p}
			batches[e.src.ID] = b
		}
		var ev event.Event
		if err := b.p.Parse(msg, &ev); err != nil {
			if !errors.Is(err, normalize.ErrNoEvent) {
				s.in.parseError(kind, &e.src, err)
			}
			continue
		}
		b.evs = append(b.evs, ev)
		total++
		if len(b.evs) >= s.in.maxBatch(&e.src, s.opts.BatchSize) || total >= 4*s.opts.BatchSize {
			flush()
		}
	}
}
