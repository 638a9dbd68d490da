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
	"runtime"
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

	// A connection is a pipeline: this goroutine reads and frames, copying
	// a batch of frames at a time; workers (one per CPU, at most
	// maxParseWorkers) parse and encode batches (Prepare); one publisher
	// stores them on the bus in the order they were read and waits for
	// each. A fixed set of batches rotates through the stages, so at most
	// that many are read ahead of the bus (back-pressure on the sender).
	workers := min(max(runtime.GOMAXPROCS(0), 1), maxParseWorkers)
	free := make(chan *connBatch, workers+2)
	for range cap(free) {
		free <- &connBatch{evs: make([]event.Event, s.opts.BatchSize)}
	}
	todo := make(chan *connBatch, cap(free))
	order := make(chan *connBatch, cap(free))
	failed := make(chan struct{})
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for b := range todo {
				b.err = s.parseBatch(kind, b)
				close(b.done)
			}
		})
	}
	wg.Go(func() {
		for b := range order {
			<-b.done
			err := b.err
			if err == nil {
				err = s.in.retrying(s.ctx, b.prep.src, func() error { return s.in.Publish(s.ctx, &b.prep) })
			}
			if err != nil {
				s.log.Info("syslog batch not taken, closing connection", "source", id, "err", err)
				close(failed)
				for b := range order {
					<-b.done
				}
				return
			}
			free <- b
		}
	})
	defer func() {
		close(todo)
		close(order)
		wg.Wait()
	}()
	for {
		e = s.in.reg.get(id)
		if e == nil || !e.src.Enabled {
			s.in.refuse(kind, ReasonDisabled, 1)
			return
		}
		var b *connBatch
		select {
		case b = <-free:
		case <-failed:
			return
		}
		b.reset(e)
		limit := s.in.maxBatch(&e.src, s.opts.BatchSize)
		rerr := s.readBatch(c, fr, kind, e, b, limit)
		if len(b.offs) > 0 {
			todo <- b
			order <- b
		} else {
			free <- b
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

// maxParseWorkers bounds the goroutines that parse one connection.
const maxParseWorkers = 4

// connBatch is a batch of one stream connection on its way through the
// pipeline of serveConn: frames copied out of the connection's buffer,
// then parsed into evs and encoded into prep.
type connBatch struct {
	e      *entry
	frames []byte // the frames, back to back
	offs   []int  // end of each frame in frames
	evs    []event.Event
	prep   Prepared
	done   chan struct{} // closed when parsed and encoded
	err    error
}

func (b *connBatch) reset(e *entry) {
	b.e, b.frames, b.offs, b.err = e, b.frames[:0], b.offs[:0], nil
	b.done = make(chan struct{})
}

// parseBatch parses the frames of b with a parser of its source and
// encodes the events (Prepare, retrying refusals that pass, such as a
// rate limit: back-pressure on the sender).
func (s *SyslogServer) parseBatch(kind string, b *connBatch) error {
	p, err := b.e.parser()
	if err != nil {
		s.in.parseError(kind, &b.e.src, err)
		return err
	}
	clock, clocked := p.(normalize.Clocked)
	if clocked { // the clock once per batch, not per line
		clock.SetNow(s.in.opts.Now())
	}
	// The records' raw texts are cut from one string (one allocation per
	// batch, not per line; see normalize.Parser); the parser cuts the
	// message and other fields from it and drops it if the source does.
	raws := string(b.frames)
	n, start := 0, 0
	for _, end := range b.offs {
		frame := b.frames[start:end]
		ev := &b.evs[n]
		ev.ID = "" // a reused slot: Prepare gives it a new id
		if raws != "" {
			ev.Raw = raws[start:end]
		}
		start = end
		if perr := p.Parse(frame, ev); perr != nil {
			if !errors.Is(perr, normalize.ErrNoEvent) {
				s.in.parseError(kind, &b.e.src, perr)
			}
			continue
		}
		n++
	}
	if clocked {
		clock.SetNow(time.Time{}) // before another goroutine may take p
	}
	b.e.release(p)
	src := &b.e.src
	return s.in.retrying(s.ctx, src, func() error { return s.in.Prepare(kind, src, b.evs[:n], &b.prep) })
}

// readBatch reads up to limit frames into b (copies: the frame reader
// reuses its buffer), until the next read would block. The idle deadline is
// set once per batch, before its first read (the one that may wait for the
// sender; later frames come from the buffer), and the frames read are
// counted once per batch.
func (s *SyslogServer) readBatch(c net.Conn, fr *FrameReader, kind string, e *entry, b *connBatch, limit int) error {
	frames := 0
	defer func() {
		if frames > 0 {
			s.in.received(kind, frames)
		}
	}()
	_ = c.SetReadDeadline(time.Now().Add(s.opts.IdleTimeout))
	for len(b.offs) < limit {
		if len(b.offs) > 0 && !fr.Buffered() {
			return nil
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
			return err
		}
		frames++
		b.frames = append(b.frames, frame...)
		b.offs = append(b.offs, len(b.frames))
	}
	return nil
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
