package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
)

// auditHashDomain starts every hashed record, so that a later change of the
// encoding (a new field, another order) can take a new tag and never produce
// a hash that collides with one made by this version.
const auditHashDomain = "vedetta/audit/v1"

// AuditHash returns the hash that chains e to its predecessor: the SHA-256,
// in lower-case hex, of a canonical encoding of prevHash and e's Seq, Time
// (Unix nanoseconds, so the time zone does not matter), ActorID, ActorName,
// TenantID, Action, Object, Detail and IP. Every string is prefixed with its
// length and every integer is a fixed 8 bytes, so no two different entries
// encode to the same bytes. The first entry of a chain has prevHash "".
// e.PrevHash and e.Hash themselves are not read.
func AuditHash(prevHash string, e *AuditEntry) string {
	buf := make([]byte, 0, 512)
	str := func(s string) {
		buf = binary.BigEndian.AppendUint64(buf, uint64(len(s)))
		buf = append(buf, s...)
	}
	str(auditHashDomain)
	str(prevHash)
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Seq))
	buf = binary.BigEndian.AppendUint64(buf, uint64(e.Time.UnixNano()))
	str(e.ActorID)
	str(e.ActorName)
	str(e.TenantID)
	str(e.Action)
	str(e.Object)
	str(e.Detail)
	str(e.IP)
	sum := sha256.Sum256(buf)
	return hex.EncodeToString(sum[:])
}
