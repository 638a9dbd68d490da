package auth

import (
	"errors"
	"strings"
	"testing"
)

// Vectors made with node-argon2 0.45.1 (the reference C implementation) in
// a scratch directory, salt "vedetta-salt-16b". They pin interoperability:
// hashes imported from other systems verify, and ours would verify there.
var referenceVectors = []struct {
	name, password, phc string
}{
	{"owasp cost, m,p,t order", "correct horse battery staple",
		"$argon2id$v=19$m=19456,p=1,t=2$dmVkZXR0YS1zYWx0LTE2Yg$1PQZ6R/1mBBfqCi3iC5esRHJRPOlIgPAhIi4DmQuHcQ"},
	{"unicode password", "pässwörd-ünïcode",
		"$argon2id$v=19$m=64,p=1,t=1$dmVkZXR0YS1zYWx0LTE2Yg$RHen9h33ppN5dG5+ZSS5f2uUJ+A2Eo1jFg4Xilsv5Mg"},
	{"empty password, 4 lanes, m,t,p order", "",
		"$argon2id$v=19$m=32,t=3,p=4$dmVkZXR0YS1zYWx0LTE2Yg$THUr7Jpb9yKlpmwPVqXT5YmP5UHWL5S+Khr9RWWej+0"},
}

func TestVerifyReferenceVectors(t *testing.T) {
	h := TestHasher()
	for _, tt := range referenceVectors {
		t.Run(tt.name, func(t *testing.T) {
			ok, _, err := h.Verify(tt.password, tt.phc)
			if err != nil || !ok {
				t.Fatalf("Verify(right password) = %v, %v; want true, nil", ok, err)
			}
			ok, _, err = h.Verify(tt.password+"x", tt.phc)
			if err != nil || ok {
				t.Fatalf("Verify(wrong password) = %v, %v; want false, nil", ok, err)
			}
		})
	}
}

func TestHashVerifyRoundTrip(t *testing.T) {
	h := TestHasher()
	for _, pw := range []string{"", "a", "correct horse battery staple", strings.Repeat("é", 200), "nul\x00inside"} {
		enc, err := h.Hash(pw)
		if err != nil {
			t.Fatalf("Hash(%q): %v", pw, err)
		}
		if !strings.HasPrefix(enc, "$argon2id$v=19$m=64,t=1,p=1$") {
			t.Errorf("Hash(%q) = %q, want the argon2id PHC prefix with m,t,p", pw, enc)
		}
		ok, rehash, err := h.Verify(pw, enc)
		if err != nil || !ok || rehash {
			t.Errorf("Verify(%q, own hash) = %v, %v, %v; want true, false, nil", pw, ok, rehash, err)
		}
		if ok, _, _ := h.Verify(pw+"!", enc); ok {
			t.Errorf("Verify(%q+\"!\") matched", pw)
		}
	}
}

func TestHashSaltsDiffer(t *testing.T) {
	h := TestHasher()
	a, _ := h.Hash("same password")
	b, _ := h.Hash("same password")
	if a == b {
		t.Fatalf("two hashes of one password are equal: %q", a)
	}
}

func TestVerifyNeedsRehash(t *testing.T) {
	old := Hasher{Memory: 64, Time: 1, Threads: 1}
	enc, err := old.Hash("pw")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		h    Hasher
		want bool
	}{
		{"same params", old, false},
		{"more memory", Hasher{Memory: 128, Time: 1, Threads: 1}, true},
		{"more passes", Hasher{Memory: 64, Time: 2, Threads: 1}, true},
		{"more lanes", Hasher{Memory: 64, Time: 1, Threads: 2}, true},
		{"lower cost also rehashes", Hasher{Memory: 32, Time: 1, Threads: 1}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, got, err := tt.h.Verify("pw", enc)
			if err != nil || !ok {
				t.Fatalf("Verify = %v, %v", ok, err)
			}
			if got != tt.want {
				t.Errorf("needsRehash = %v, want %v", got, tt.want)
			}
			_, got, _ = tt.h.Verify("wrong", enc)
			if got {
				t.Error("needsRehash true for a wrong password")
			}
		})
	}
	// A 16-byte hash from elsewhere verifies but is rehashed to our length.
	short := "$argon2id$v=19$m=64,t=1,p=1$dmVkZXR0YS1zYWx0LTE2Yg$" + b64.EncodeToString(shortKey("pw"))
	if ok, rehash, err := old.Verify("pw", short); !ok || !rehash || err != nil {
		t.Errorf("Verify(16-byte hash) = %v, %v, %v; want true, true, nil", ok, rehash, err)
	}
}

func shortKey(pw string) []byte {
	ph, _ := parsePHC("$argon2id$v=19$m=64,t=1,p=1$dmVkZXR0YS1zYWx0LTE2Yg$AAAAAAAAAAAAAAAAAAAAAA")
	return idKey(pw, ph.salt, ph.m, ph.t, ph.p, 16)
}

func TestHasherValidate(t *testing.T) {
	tests := []struct {
		name string
		h    Hasher
		ok   bool
	}{
		{"default", DefaultHasher(), true},
		{"test", TestHasher(), true},
		{"zero", Hasher{}, false},
		{"no threads", Hasher{Memory: 64, Time: 1}, false},
		{"no passes", Hasher{Memory: 64, Threads: 1}, false},
		{"memory below 8 per lane", Hasher{Memory: 15, Time: 1, Threads: 2}, false},
		{"memory above 1 GiB", Hasher{Memory: 1<<20 + 1, Time: 1, Threads: 1}, false},
		{"too many passes", Hasher{Memory: 64, Time: 65, Threads: 1}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.h.Validate()
			if (err == nil) != tt.ok {
				t.Errorf("Validate() = %v, want ok=%v", err, tt.ok)
			}
			if _, err := tt.h.Hash("x"); (err == nil) != tt.ok {
				t.Errorf("Hash() error = %v, want ok=%v", err, tt.ok)
			}
		})
	}
}

const validPHC = "$argon2id$v=19$m=64,t=1,p=1$dmVkZXR0YS1zYWx0LTE2Yg$RHen9h33ppN5dG5+ZSS5f2uUJ+A2Eo1jFg4Xilsv5Mg"

func TestParsePHCMalformed(t *testing.T) {
	const salt, key = "dmVkZXR0YS1zYWx0LTE2Yg", "RHen9h33ppN5dG5+ZSS5f2uUJ+A2Eo1jFg4Xilsv5Mg"
	tests := []struct {
		name, in, wantMsg string
	}{
		{"empty", "", "want 5"},
		{"no leading dollar", "argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + key, "want 5"},
		{"missing hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt, "want 5"},
		{"extra field", validPHC + "$x", "want 5"},
		{"argon2i", "$argon2i$v=19$m=64,t=1,p=1$" + salt + "$" + key, "not argon2id"},
		{"argon2d", "$argon2d$v=19$m=64,t=1,p=1$" + salt + "$" + key, "not argon2id"},
		{"bcrypt", "$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy", "want 5"},
		{"upper-case alg", "$ARGON2ID$v=19$m=64,t=1,p=1$" + salt + "$" + key, "not argon2id"},
		{"no version", "$argon2id$m=64,t=1,p=1$" + salt + "$" + key, "want 5"},
		{"version 16", "$argon2id$v=16$m=64,t=1,p=1$" + salt + "$" + key, "version"},
		{"version leading zero", "$argon2id$v=019$m=64,t=1,p=1$" + salt + "$" + key, "version"},
		{"version not v=", "$argon2id$x=19$m=64,t=1,p=1$" + salt + "$" + key, "missing version"},
		{"two params", "$argon2id$v=19$m=64,t=1$" + salt + "$" + key, "want parameters"},
		{"four params", "$argon2id$v=19$m=64,t=1,p=1,k=2$" + salt + "$" + key, "want parameters"},
		{"keyid param", "$argon2id$v=19$m=64,t=1,keyid=1$" + salt + "$" + key, "unknown parameter"},
		{"repeated param", "$argon2id$v=19$m=64,m=64,p=1$" + salt + "$" + key, "repeated"},
		{"empty param value", "$argon2id$v=19$m=,t=1,p=1$" + salt + "$" + key, "empty number"},
		{"no equals", "$argon2id$v=19$m64,t=1,p=1$" + salt + "$" + key, "unknown parameter"},
		{"negative", "$argon2id$v=19$m=-64,t=1,p=1$" + salt + "$" + key, "not a decimal"},
		{"plus sign", "$argon2id$v=19$m=+64,t=1,p=1$" + salt + "$" + key, "not a decimal"},
		{"leading zero", "$argon2id$v=19$m=064,t=1,p=1$" + salt + "$" + key, "leading zero"},
		{"hex", "$argon2id$v=19$m=0x40,t=1,p=1$" + salt + "$" + key, "leading zero"},
		{"space", "$argon2id$v=19$m=64, t=1,p=1$" + salt + "$" + key, "unknown parameter"},
		{"overflow uint32", "$argon2id$v=19$m=4294967296,t=1,p=1$" + salt + "$" + key, "out of range"},
		{"memory 4 GiB", "$argon2id$v=19$m=4294967295,t=1,p=1$" + salt + "$" + key, "memory"},
		{"memory below 8p", "$argon2id$v=19$m=8,t=1,p=2$" + salt + "$" + key, "memory"},
		{"zero passes", "$argon2id$v=19$m=64,t=0,p=1$" + salt + "$" + key, "time"},
		{"huge passes", "$argon2id$v=19$m=64,t=1000000,p=1$" + salt + "$" + key, "time"},
		{"zero lanes", "$argon2id$v=19$m=64,t=1,p=0$" + salt + "$" + key, "parallelism"},
		{"256 lanes", "$argon2id$v=19$m=4096,t=1,p=256$" + salt + "$" + key, "parallelism"},
		{"padded salt", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "==$" + key, "salt is not"},
		{"url-safe base64", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + strings.ReplaceAll(key, "+", "-"), "hash is not"},
		{"non-canonical base64 tail", "$argon2id$v=19$m=64,t=1,p=1$" + salt[:len(salt)-1] + "h$" + key, "salt is not"},
		{"salt 4 bytes", "$argon2id$v=19$m=64,t=1,p=1$c2FsdA$" + key, "salt is 4 bytes"},
		{"empty salt", "$argon2id$v=19$m=64,t=1,p=1$$" + key, "salt is 0 bytes"},
		{"salt 65 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + b64.EncodeToString(make([]byte, 65)) + "$" + key, "salt is 65"},
		{"hash 8 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64.EncodeToString(make([]byte, 8)), "hash is 8"},
		{"hash 129 bytes", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$" + b64.EncodeToString(make([]byte, 129)), "hash is 129"},
		{"empty hash", "$argon2id$v=19$m=64,t=1,p=1$" + salt + "$", "hash is 0"},
		{"trailing newline", validPHC + "\n", "hash is not"},
		{"leading space", " " + validPHC, "want 5"},
	}
	h := TestHasher()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, rehash, err := h.Verify("pässwörd-ünïcode", tt.in)
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("Verify(%q) error = %v, want ErrMalformedHash", tt.in, err)
			}
			if ok || rehash {
				t.Errorf("Verify(%q) = %v, %v with an error", tt.in, ok, rehash)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("error %q does not mention %q", err, tt.wantMsg)
			}
			if !strings.HasPrefix(err.Error(), "auth: ") {
				t.Errorf("error %q lacks the package prefix", err)
			}
		})
	}
	if ok, _, err := h.Verify("pässwörd-ünïcode", validPHC); !ok || err != nil {
		t.Fatalf("the unmodified base vector does not verify: %v, %v", ok, err)
	}
}

// FuzzParsePHC checks that the parser never panics, that whatever it
// accepts is within bounds and re-encodes to an equivalent string (nothing
// half-accepted), and that a rejection always wraps ErrMalformedHash.
func FuzzParsePHC(f *testing.F) {
	f.Add(validPHC)
	for _, v := range referenceVectors {
		f.Add(v.phc)
	}
	f.Add("")
	f.Add("$argon2id$v=19$m=65536,t=3,p=2$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA")
	f.Add("$argon2id$v=19$m=064,t=1,p=1$$")
	f.Add("$argon2i$v=19$m=64,t=1,p=1$dmVkZXR0YS1zYWx0LTE2Yg$RHen9h33ppN5dG5+ZSS5f2uUJ+A2Eo1jFg4Xilsv5Mg")
	f.Add("$2a$10$N9qo8uLOickgx2ZMRZoMyeIjZAgcfl7p92ldGxad68LJZdL17lhWy")
	f.Fuzz(func(t *testing.T, s string) {
		ph, err := parsePHC(s)
		if err != nil {
			if !errors.Is(err, ErrMalformedHash) {
				t.Fatalf("parsePHC(%q) error %v does not wrap ErrMalformedHash", s, err)
			}
			return
		}
		if checkParams(ph.m, ph.t, ph.p) != nil ||
			len(ph.salt) < minSaltLen || len(ph.salt) > maxSaltLen ||
			len(ph.key) < minKeyLen || len(ph.key) > maxKeyLen {
			t.Fatalf("parsePHC(%q) accepted out-of-bounds %+v", s, ph)
		}
		// Decimals and base64 are canonical, so only the parameter order
		// may differ between the input and our encoding.
		if len(ph.String()) != len(s) {
			t.Fatalf("parsePHC(%q) accepted a non-canonical form of %q", s, ph.String())
		}
		again, err := parsePHC(ph.String())
		if err != nil {
			t.Fatalf("re-encoding of accepted %q does not parse: %v", s, err)
		}
		if again.String() != ph.String() {
			t.Fatalf("round trip changed %q into %q", ph.String(), again.String())
		}
	})
}

func BenchmarkVerifyDefault(b *testing.B) {
	h := DefaultHasher()
	enc, err := h.Hash("correct horse battery staple")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if ok, _, err := h.Verify("correct horse battery staple", enc); !ok || err != nil {
			b.Fatal("verify failed", err)
		}
	}
}
