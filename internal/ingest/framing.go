package ingest

import (
	"bufio"
	"errors"
	"fmt"
	"io"
)

// Framing errors. ErrFrameTooLarge is recoverable: the frame was skipped and
// the next one can be read. ErrBadFrame is not: the stream is out of sync.
var (
	ErrFrameTooLarge = errors.New("ingest: syslog frame too large")
	ErrBadFrame      = errors.New("ingest: bad syslog frame")
)

// Framing is how syslog messages are delimited on a stream (RFC 6587).
type Framing int

// Framings.
const (
	FramingAuto  Framing = iota // decided by the first byte of the stream
	FramingOctet                // "LEN SP MSG" (RFC 6587 §3.4.1, RFC 5425)
	FramingLF                   // MSG LF (RFC 6587 §3.4.2)
)

// maxLenDigits bounds the MSG-LEN field.
const maxLenDigits = 10

// FrameReader reads syslog frames from a stream. With FramingAuto, a
// stream whose first byte is a non-zero digit uses octet counting and any
// other stream is LF-delimited (a syslog message starts with '<'); the
// choice holds for the whole stream, as RFC 6587 senders do not switch.
type FrameReader struct {
	r    *bufio.Reader
	mode Framing
	max  int
	buf  []byte
}

// NewFrameReader reads frames of at most max bytes from r.
func NewFrameReader(r io.Reader, mode Framing, max int) *FrameReader {
	return &FrameReader{r: bufio.NewReaderSize(r, 64<<10), mode: mode, max: max}
}

// Framing returns the framing in use (FramingAuto until the first byte).
func (f *FrameReader) Framing() Framing { return f.mode }

// Buffered reports whether a frame may be read without blocking on the
// underlying reader.
func (f *FrameReader) Buffered() bool { return f.r.Buffered() > 0 }

// Next returns the next frame, valid until the following call. It returns
// io.EOF at a clean end of stream (between frames), io.ErrUnexpectedEOF
// within a frame, ErrFrameTooLarge after skipping an oversized frame and
// ErrBadFrame when the stream cannot be resynchronised. Empty LF frames
// are skipped.
func (f *FrameReader) Next() ([]byte, error) {
	if f.mode == FramingAuto {
		b, err := f.r.Peek(1)
		if err != nil {
			return nil, err
		}
		if b[0] >= '1' && b[0] <= '9' {
			f.mode = FramingOctet
		} else {
			f.mode = FramingLF
		}
	}
	if f.mode == FramingOctet {
		return f.octet()
	}
	return f.lf()
}

func (f *FrameReader) octet() ([]byte, error) {
	n, digits := 0, 0
	for {
		c, err := f.r.ReadByte()
		if err != nil {
			if err == io.EOF && digits > 0 {
				return nil, io.ErrUnexpectedEOF
			}
			return nil, err
		}
		if c == ' ' && digits > 0 {
			break
		}
		if c < '0' || c > '9' || (digits == 0 && c == '0') || digits == maxLenDigits {
			return nil, fmt.Errorf("%w: octet count expected, got byte %q", ErrBadFrame, c)
		}
		n = n*10 + int(c-'0')
		digits++
	}
	if n > f.max {
		if _, err := f.r.Discard(n); err != nil {
			return nil, io.ErrUnexpectedEOF
		}
		return nil, fmt.Errorf("%w: %d bytes (limit %d)", ErrFrameTooLarge, n, f.max)
	}
	if cap(f.buf) < n {
		f.buf = make([]byte, n, max(n, 4096))
	}
	f.buf = f.buf[:n]
	if _, err := io.ReadFull(f.r, f.buf); err != nil {
		return nil, io.ErrUnexpectedEOF
	}
	return trimTrailer(f.buf), nil
}

// trimTrailer drops one trailing LF (some octet-counting senders add one).
func trimTrailer(b []byte) []byte {
	if n := len(b); n > 0 && b[n-1] == '\n' {
		b = b[:n-1]
		if n := len(b); n > 0 && b[n-1] == '\r' {
			b = b[:n-1]
		}
	}
	return b
}

func (f *FrameReader) lf() ([]byte, error) {
	for {
		line, err := f.r.ReadSlice('\n')
		if errors.Is(err, bufio.ErrBufferFull) || (err == nil && len(line) > f.max+2) {
			f.buf = append(f.buf[:0], line...)
			for errors.Is(err, bufio.ErrBufferFull) {
				line, err = f.r.ReadSlice('\n')
				if len(f.buf) <= f.max+2 {
					f.buf = append(f.buf, line...)
				}
			}
			if err != nil && err != io.EOF {
				return nil, err
			}
			line = f.buf
			if t := trimTrailer(line); len(t) > f.max {
				return nil, fmt.Errorf("%w: line over %d bytes", ErrFrameTooLarge, f.max)
			}
		}
		if err != nil && err != io.EOF {
			return nil, err
		}
		t := trimTrailer(line)
		if len(t) > 0 {
			if len(t) > f.max {
				return nil, fmt.Errorf("%w: line over %d bytes", ErrFrameTooLarge, f.max)
			}
			return t, nil
		}
		if err == io.EOF {
			return nil, io.EOF
		}
	}
}
