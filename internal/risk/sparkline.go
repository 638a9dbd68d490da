package risk

import (
	"strconv"
	"strings"
)

// Sparkline returns the points attribute of an SVG polyline drawing vals
// left to right in a w×h box (y grows downwards), scaled to max(vals) or
// to floor when that is larger, so that a flat low line does not fill the
// box. Fewer than two values give a flat line.
func Sparkline(vals []float64, w, h, floor float64) string {
	if len(vals) == 0 {
		return ""
	}
	if len(vals) == 1 {
		vals = []float64{vals[0], vals[0]}
	}
	top := floor
	for _, v := range vals {
		top = max(top, v)
	}
	if top <= 0 {
		top = 1
	}
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteByte(' ')
		}
		x := w * float64(i) / float64(len(vals)-1)
		y := h - h*max(v, 0)/top
		b.WriteString(strconv.FormatFloat(x, 'f', 1, 64))
		b.WriteByte(',')
		b.WriteString(strconv.FormatFloat(y, 'f', 1, 64))
	}
	return b.String()
}
