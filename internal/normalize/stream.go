package normalize

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/google/uuid"

	"github.com/vedetta-sec/vedetta/internal/event"
)

// MaxLineBytes is the longest record ParseStream accepts; longer lines are
// reported as bad and skipped.
const MaxLineBytes = 1 << 20

// ParseStream reads newline-delimited records from r, parses each with p and
// writes NDJSON to w: one event.Event JSON object per parsed record (with a
// fresh UUIDv7 id, tenant, source and received time set), and for a record
// that fails to parse one object {"error": "...", "line": n} in the same
// stream (n counts from 1), so that the output keeps input order and a
// consumer tells the two apart by the "error" key. Empty lines and records
// that yield ErrNoEvent (IIS directives) are skipped and counted in neither
// ok nor bad. err reports a read or write failure, not bad records.
func ParseStream(p Parser, r io.Reader, w io.Writer, tenant, source string) (ok, bad int, err error) {
	br := bufio.NewReaderSize(r, 64<<10)
	bw := bufio.NewWriterSize(w, 64<<10)
	var ev event.Event
	var buf []byte
	var keys []string
	var long []byte
	for n := 1; ; n++ {
		line, rerr := br.ReadSlice('\n')
		tooLong := false
		if errors.Is(rerr, bufio.ErrBufferFull) {
			long = append(long[:0], line...)
			for errors.Is(rerr, bufio.ErrBufferFull) {
				line, rerr = br.ReadSlice('\n')
				if len(long) <= MaxLineBytes {
					long = append(long, line...)
				}
			}
			tooLong = len(long) > MaxLineBytes
			line = long
		}
		if rerr != nil && !errors.Is(rerr, io.EOF) {
			return ok, bad, fmt.Errorf("normalize: read line %d: %w", n, rerr)
		}
		line = trimEOL(line)
		if len(line) > 0 {
			var perr error
			if tooLong {
				perr = malformed(p.Name(), "line longer than %d bytes", MaxLineBytes)
			} else {
				perr = p.Parse(line, &ev)
			}
			switch {
			case perr == nil:
				ok++
				ev.TenantID, ev.SourceID, ev.Received = tenant, source, time.Now().UTC()
				if id, err := uuid.NewV7(); err == nil {
					ev.ID = id.String()
				}
				buf, keys = appendEventJSON(buf[:0], &ev, keys)
				buf = append(buf, '\n')
				if _, err := bw.Write(buf); err != nil {
					return ok, bad, fmt.Errorf("normalize: write event of line %d: %w", n, err)
				}
			case errors.Is(perr, ErrNoEvent):
			default:
				bad++
				buf = append(buf[:0], `{"error":`...)
				buf = event.AppendJSONString(buf, perr.Error())
				buf = append(buf, `,"line":`...)
				buf = strconv.AppendInt(buf, int64(n), 10)
				buf = append(buf, "}\n"...)
				if _, err := bw.Write(buf); err != nil {
					return ok, bad, fmt.Errorf("normalize: write error of line %d: %w", n, err)
				}
			}
		}
		if rerr != nil { // io.EOF
			break
		}
	}
	if err := bw.Flush(); err != nil {
		return ok, bad, fmt.Errorf("normalize: flush: %w", err)
	}
	return ok, bad, nil
}
