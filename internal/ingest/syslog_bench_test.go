package ingest

import (
	"net"
	"testing"

	"github.com/vedetta-sec/vedetta/internal/event"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// BenchmarkSyslogReadBatch measures the receiver side of W1 without the
// bus: frames read from a loopback TCP connection (a writer goroutine
// sends W1 lines in a loop), split, counted and parsed into reused event
// slots by readBatch, as serveConn runs it. b.N frames.
func BenchmarkSyslogReadBatch(b *testing.B) {
	for _, rfc := range []string{"5424", "3164"} {
		b.Run(rfc, func(b *testing.B) {
			e := benchEnv(b)
			src := e.srcs.add(store.Source{TenantID: "t", Kind: store.SourceSyslogTCP, Match: "127.0.0.1", Format: "syslog", Enabled: true})
			if err := e.in.Reload(b.Context()); err != nil {
				b.Fatal(err)
			}
			ent := e.in.reg.get(src.ID)
			s := NewSyslogServer(e.in, SyslogOptions{})
			var chunk []byte
			for _, l := range syslogLines(4096, rfc) {
				chunk = append(append(chunk, l...), '\n')
			}
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				b.Fatal(err)
			}
			defer ln.Close()
			go func() {
				c, err := net.Dial("tcp", ln.Addr().String())
				if err != nil {
					return
				}
				defer c.Close()
				for {
					if _, err := c.Write(chunk); err != nil {
						return
					}
				}
			}()
			c, err := ln.Accept()
			if err != nil {
				b.Fatal(err)
			}
			defer c.Close()
			fr := NewFrameReader(c, FramingAuto, s.opts.MaxMessage)
			batch := &connBatch{evs: make([]event.Event, s.opts.BatchSize)}
			b.ReportAllocs()
			b.ResetTimer()
			for n := 0; n < b.N; {
				batch.reset(ent)
				if err := s.readBatch(c, fr, store.SourceSyslogTCP, ent, batch, min(len(batch.evs), b.N-n)); err != nil {
					b.Fatal(err)
				}
				// Parse only: the frames, without Prepare's encoding.
				p, err := ent.parser()
				if err != nil {
					b.Fatal(err)
				}
				start := 0
				for i, end := range batch.offs {
					batch.evs[i].ID = ""
					if err := p.Parse(batch.frames[start:end], &batch.evs[i]); err != nil {
						b.Fatal(err)
					}
					start = end
				}
				ent.release(p)
				n += len(batch.offs)
			}
		})
	}
}

// BenchmarkW1ParsePrepare is the CPU of W1 between the socket and the bus:
// batches of 512 W1 frames parsed (parseBatch: field lists, raw lines kept
// and cut from one string, the clock read once) and prepared (ids,
// encoding, compression), without the network or JetStream. b.N frames;
// repeatable under callgrind.
func BenchmarkW1ParsePrepare(b *testing.B) {
	for _, rfc := range []string{"5424", "3164"} {
		b.Run(rfc, func(b *testing.B) {
			e := benchEnv(b)
			src := e.srcs.add(store.Source{TenantID: "t", Kind: store.SourceSyslogTCP, Match: "127.0.0.1", Format: "syslog", Enabled: true, KeepRaw: true})
			if err := e.in.Reload(b.Context()); err != nil {
				b.Fatal(err)
			}
			ent := e.in.reg.get(src.ID)
			s := NewSyslogServer(e.in, SyslogOptions{})
			s.ctx = b.Context()
			lines := syslogLines(s.opts.BatchSize, rfc)
			batch := &connBatch{evs: make([]event.Event, s.opts.BatchSize)}
			b.ReportAllocs()
			for n := 0; n < b.N; n += len(lines) {
				batch.reset(ent)
				for _, l := range lines {
					batch.frames = append(batch.frames, l...)
					batch.offs = append(batch.offs, len(batch.frames))
				}
				if err := s.parseBatch(store.SourceSyslogTCP, batch); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
