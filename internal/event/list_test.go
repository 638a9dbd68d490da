package event

import (
	"maps"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestFieldList: the accessors behave alike on a list and on a map.
func TestFieldList(t *testing.T) {
	for _, list := range []bool{false, true} {
		var ev Event
		if list {
			ev.UseList()
		} else {
			ev.UseMap()
		}
		ev.Set("a", "1")
		ev.Set("empty", "")
		ev.Put("bb", int64(2))
		ev.Put("cc", []string{"x"})
		ev.Put("a", "one") // replaced in place
		ev.Del("bb")
		ev.Del("missing")
		ev.Put("dd", true)
		ev.PutString("s", "")  // kept: PutString stores empty strings
		ev.SetString("e2", "") // dropped, as Set drops them
		ev.PutInt("n", 1)
		ev.PutString("n", "was a number") // replaced, of another kind
		ev.PutInt("i", -3)
		if v, ok := ev.Get("i"); !ok || v != int64(-3) {
			t.Fatalf("list=%v: i = %#v", list, v)
		}
		ev.Del("i")
		if got := ev.Listed(); got != list {
			t.Fatalf("Listed() = %v, want %v", got, list)
		}
		if v, ok := ev.Get("a"); !ok || v != "one" {
			t.Fatalf("list=%v: a = %v, %v", list, v, ok)
		}
		if _, ok := ev.Get("bb"); ok {
			t.Fatalf("list=%v: bb still there", list)
		}
		if _, ok := ev.Get("empty"); ok {
			t.Fatalf("list=%v: Set stored an empty string", list)
		}
		if ev.String("dd") != "true" || ev.Len() != 5 {
			t.Fatalf("list=%v: dd %q, len %d", list, ev.String("dd"), ev.Len())
		}
		want := map[string]any{"a": "one", "cc": []string{"x"}, "dd": true, "s": "", "n": "was a number"}
		if diff := cmp.Diff(want, maps.Collect(ev.All())); diff != "" {
			t.Fatalf("list=%v: All (-want +got):\n%s", list, diff)
		}
		if list {
			var keys []string
			for k := range ev.All() {
				keys = append(keys, k)
			}
			if diff := cmp.Diff([]string{"a", "cc", "dd", "s", "n"}, keys); diff != "" {
				t.Fatalf("order (-want +got):\n%s", diff)
			}
		}
		if diff := cmp.Diff(want, ev.FieldMap()); diff != "" || ev.Listed() {
			t.Fatalf("list=%v: FieldMap (-want +got):\n%s", list, diff)
		}
		// After FieldMap the event is a map event.
		ev.Put("e", "5")
		if ev.Fields["e"] != "5" {
			t.Fatalf("list=%v: Put after FieldMap missed the map", list)
		}
	}
}

func TestFieldListEqual(t *testing.T) {
	mk := func(kv ...any) Event {
		var ev Event
		ev.UseList()
		for i := 0; i < len(kv); i += 2 {
			ev.Put(kv[i].(string), kv[i+1])
		}
		return ev
	}
	a, b := mk("x", []string{"1"}, "y", int64(2)), mk("x", []string{"1"}, "y", int64(2))
	if !cmp.Equal(a, b) {
		t.Fatal("equal lists differ")
	}
	for _, o := range []Event{mk("y", int64(2), "x", []string{"1"}), mk("x", []string{"2"}, "y", int64(2)), mk("x", "1", "y", int64(2)), mk("x", []string{"1"}), {}} {
		if cmp.Equal(a, o) {
			t.Fatalf("%v equals %v", a.List, o.List)
		}
	}
}
