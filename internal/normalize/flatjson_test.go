package normalize

import (
	"errors"
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestPlainRun checks the eight-bytes-at-a-time scan against a byte loop,
// for every start and every position of every byte that ends a run.
func TestPlainRun(t *testing.T) {
	naive := func(d string, i int) int {
		for ; i < len(d); i++ {
			if c := d[i]; c == '"' || c == '\\' || c < 0x20 {
				return i
			}
		}
		return i
	}
	specials := []byte{'"', '\\', 0, 0x1f, '\n'}
	plain := []byte{' ', '!', '#', '[', ']', 'a', 0x20, 0x21, 0x5b, 0x5d, 0x7f, 0x80, 0xa2, 0xdc, 0xff}
	for n := 0; n <= 40; n++ {
		for pos := -1; pos < n; pos++ {
			for _, sp := range specials {
				b := make([]byte, n)
				for i := range b {
					b[i] = plain[(i*7+n)%len(plain)]
				}
				if pos >= 0 {
					b[pos] = sp
				}
				d := string(b)
				for start := 0; start <= n; start++ {
					if got, want := plainRun(d, start), naive(d, start); got != want {
						t.Fatalf("plainRun(%q, %d) = %d, want %d", d, start, got, want)
					}
				}
			}
		}
	}
	r := rand.New(rand.NewPCG(1, 2))
	for range 20000 {
		b := make([]byte, r.IntN(64))
		for i := range b {
			b[i] = byte(r.UintN(256))
		}
		d := string(b)
		start := r.IntN(len(d) + 1)
		if got, want := plainRun(d, start), naive(d, start); got != want {
			t.Fatalf("plainRun(%q, %d) = %d, want %d", d, start, got, want)
		}
	}
}

func TestNumberValue(t *testing.T) {
	tests := []struct {
		in   string
		want any
	}{
		{"0", int64(0)}, {"-0", int64(0)}, {"7", int64(7)}, {"-42", int64(-42)},
		{"999999999999999999", int64(999999999999999999)}, {"-99999999999999999", int64(-99999999999999999)},
		{"9223372036854775807", int64(math.MaxInt64)}, {"-9223372036854775808", int64(math.MinInt64)},
		{"9223372036854775808", 9223372036854775808.0}, {"36028797018963968", int64(36028797018963968)},
		{"1.5", 1.5}, {"-2e3", -2000.0}, {"1E2", 100.0}, {"1e400", math.Inf(1)}, {"-1e400", math.Inf(-1)},
	}
	for _, tt := range tests {
		f := flatJSON{data: tt.in}
		text, integral, err := f.number()
		if err != nil || text != tt.in {
			t.Fatalf("number(%q) = %q, %v", tt.in, text, err)
		}
		if got := numberValue(text, integral); got != tt.want {
			t.Errorf("numberValue(%q) = %T %v, want %T %v", tt.in, got, got, tt.want, tt.want)
		}
	}
}

// TestFlatJSONWatch checks that the watched key is found exactly where
// strings.Contains finds `"winlog":` or `"winlog" :` in valid JSON.
func TestFlatJSONWatch(t *testing.T) {
	for _, in := range []string{
		`{"winlog":{}}`, `{"winlog" :1}`, `{"winlog"  :1}`, `{"winlog"` + "\t" + `:1}`, `{"a":{"winlog":1}}`,
		`{"a":[{"b":{"winlog":[]}}]}`, `{"x\"winlog":1}`, `{"x\\winlog":1}`, `{"winlogs":1}`, `{"Winlog":1}`,
		`{"a":"\"winlog\":"}`, `{"a":"winlog"}`, `{"a":["winlog",1]}`, `{"wınlog":1}`, `{"winl\u006fg":1}`,
		`{"g":1}`, `{"":1}`, `{"winlog\"":1}`, `{"\"winlog":1}`,
	} {
		want := strings.Contains(in, `"winlog":`) || strings.Contains(in, `"winlog" :`)
		f := flatJSON{watch: "winlog"}
		if err := f.flatten(in, map[string]any{}); err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if f.seen != want {
			t.Errorf("%s: seen %v, want %v", in, f.seen, want)
		}
		stop := flatJSON{watch: "winlog", stopOnWatch: true}
		if err := stop.flatten(in, map[string]any{}); errors.Is(err, errWatched) != want {
			t.Errorf("%s: stop err %v, want stop %v", in, err, want)
		}
	}
}

// TestFlatJSONClassify checks renaming, dropping and value slots, and that
// the key prediction follows changing key orders.
func TestFlatJSONClassify(t *testing.T) {
	slots := make([]any, 2)
	f := flatJSON{slots: slots, classify: func(k string) fieldKey {
		switch k {
		case "drop":
			return fieldKey{slot: -1}
		case "id":
			return fieldKey{slot: 0}
		case "a.b":
			return fieldKey{name: "renamed", slot: 1}
		}
		return fieldKey{name: "x." + k, slot: -1}
	}}
	for _, tt := range []struct {
		in        string
		want      map[string]any
		wantSlots []any
	}{
		{`{"id":1,"drop":"s","a":{"b":"v"},"c":[1,"2",true,null]}`,
			map[string]any{"renamed": "v", "x.c": []string{"1", "2", "true"}}, []any{int64(1), "v"}},
		{`{"c":2,"a":{"b":3},"id":"7","drop":4}`, map[string]any{"renamed": int64(3), "x.c": int64(2)}, []any{"7", int64(3)}},
		{`{"id":null,"a":{"b":[7]},"e":"\u00e9"}`, map[string]any{"renamed": []string{"7"}, "x.e": "é"}, []any{nil, []string{"7"}}},
		{`{"id":1,"drop":"s","a":{"b":"v"},"c":[1,"2",true,null]}`,
			map[string]any{"renamed": "v", "x.c": []string{"1", "2", "true"}}, []any{int64(1), "v"}},
	} {
		clear(slots)
		out := map[string]any{}
		if err := f.flatten(tt.in, out); err != nil {
			t.Fatalf("%s: %v", tt.in, err)
		}
		if diff := cmp.Diff(tt.want, out); diff != "" {
			t.Errorf("%s: fields (-want +got):\n%s", tt.in, diff)
		}
		if diff := cmp.Diff(tt.wantSlots, slots); diff != "" {
			t.Errorf("%s: slots (-want +got):\n%s", tt.in, diff)
		}
	}
}
