package ingest

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func readFrames(in string, mode Framing, max int) ([]string, []error) {
	fr := NewFrameReader(strings.NewReader(in), mode, max)
	var frames []string
	var errs []error
	for {
		f, err := fr.Next()
		if err != nil {
			if err == io.EOF {
				return frames, errs
			}
			errs = append(errs, err)
			if !errors.Is(err, ErrFrameTooLarge) {
				return frames, errs
			}
			continue
		}
		frames = append(frames, string(f))
	}
}

func TestFrameReader(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		mode    Framing
		want    []string
		wantErr []error
	}{
		{"octet auto", "11 <13>1 - - a5 <13>b", FramingAuto, []string{"<13>1 - - a", "<13>b"}, nil},
		{"octet with LF inside", "9 <13>a\nb c2 xy", FramingAuto, []string{"<13>a\nb c", "xy"}, nil},
		{"octet trailing LF trimmed", "6 <13>a\n", FramingAuto, []string{"<13>a"}, nil},
		{"lf auto", "<13>a\n<14>b\r\n\n<15>c", FramingAuto, []string{"<13>a", "<14>b", "<15>c"}, nil},
		{"lf forced with digits", "12 is a line\n", FramingLF, []string{"12 is a line"}, nil},
		{"empty", "", FramingAuto, nil, nil},
		{"octet too large skipped", "18 <13>abcdefghijklmn3 <1>", FramingAuto, []string{"<1>"}, []error{ErrFrameTooLarge}},
		{"lf too large skipped", "<13>abcdefghijklmnop\n<1>\n", FramingAuto, []string{"<1>"}, []error{ErrFrameTooLarge}},
		{"octet truncated", "10 <13>", FramingAuto, nil, []error{io.ErrUnexpectedEOF}},
		{"octet count truncated", "12", FramingAuto, nil, []error{io.ErrUnexpectedEOF}},
		{"octet then garbage", "3 <1>x<2>", FramingAuto, []string{"<1>"}, []error{ErrBadFrame}},
		{"leading zero", "05 <1>a", FramingOctet, nil, []error{ErrBadFrame}},
		{"count overflow", "12345678901 x", FramingOctet, nil, []error{ErrBadFrame}},
		{"no space", "5<1>ab", FramingOctet, nil, []error{ErrBadFrame}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, errs := readFrames(tt.in, tt.mode, 16)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("frames (-want +got):\n%s", diff)
			}
			if len(errs) != len(tt.wantErr) {
				t.Fatalf("errors = %v, want %v", errs, tt.wantErr)
			}
			for i := range errs {
				if !errors.Is(errs[i], tt.wantErr[i]) {
					t.Errorf("error %d = %v, want %v", i, errs[i], tt.wantErr[i])
				}
			}
		})
	}
}

func TestFrameReaderLongLines(t *testing.T) {
	long := strings.Repeat("x", 200<<10)
	got, errs := readFrames("<1>"+long+"\n<2>ok\n", FramingAuto, 300<<10)
	if len(errs) != 0 || len(got) != 2 || got[0] != "<1>"+long || got[1] != "<2>ok" {
		t.Fatalf("got %d frames, errs %v", len(got), errs)
	}
	got, errs = readFrames("<1>"+long+"\n<2>ok\n", FramingAuto, 100<<10)
	if len(errs) != 1 || !errors.Is(errs[0], ErrFrameTooLarge) || len(got) != 1 || got[0] != "<2>ok" {
		t.Fatalf("got %q, errs %v", got, errs)
	}
}

func FuzzFrameReader(f *testing.F) {
	f.Add("11 <13>1 - - a5 <13>b")
	f.Add("<13>a\n<14>b\r\n")
	f.Add("99999999999999 x")
	f.Add("3 ab")
	f.Fuzz(func(t *testing.T, in string) {
		fr := NewFrameReader(strings.NewReader(in), FramingAuto, 64)
		total := 0
		for i := 0; i < len(in)+2; i++ {
			b, err := fr.Next()
			if err != nil {
				if errors.Is(err, ErrFrameTooLarge) {
					continue
				}
				return
			}
			if len(b) > 64 {
				t.Fatalf("frame of %d bytes over the limit", len(b))
			}
			total += len(b)
			if total > len(in) {
				t.Fatalf("frames hold more bytes (%d) than the input (%d)", total, len(in))
			}
		}
		t.Fatalf("reader did not end on %q", in)
	})
}
