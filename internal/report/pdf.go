package report

import (
	"bytes"
	"fmt"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"

	"github.com/vedetta-sec/vedetta/internal/i18n"
	"github.com/vedetta-sec/vedetta/internal/store"
)

// PDFInput is what the readable report shows besides the bundle's input.
type PDFInput struct {
	Input
	Recipient string
	Clocks    []store.CaseClock
	Timeline  []store.TimelineEntry
	Blocks    []store.Block
	// Printer translates the labels (keys of the "cases" area) and formats
	// dates; its language is the report's.
	Printer *i18n.Printer
	// Loc is the zone times are shown in.
	Loc *time.Location
}

// PDF renders the report. It uses the PDF core font Helvetica with a
// UTF-8 to cp1252 translation, which covers Italian (and English) text
// without embedding a font; characters outside cp1252 become '?'.
func PDF(in PDFInput) ([]byte, error) {
	p := in.Printer
	loc := in.Loc
	if loc == nil {
		loc = time.UTC
	}
	when := func(t time.Time) string {
		if t.IsZero() {
			return "—"
		}
		return p.Date(t.In(loc)) + " " + t.In(loc).Format("15:04 MST")
	}
	f := fpdf.New("P", "mm", "A4", "")
	f.SetCreationDate(in.Now)
	f.SetModificationDate(in.Now)
	f.SetCompression(true)
	tr := f.UnicodeTranslatorFromDescriptor("")
	sc := in.Scrub
	f.SetTitle(sc(in.Case.Title), true)
	f.SetAuthor(in.Reporter.Name, true)
	f.SetCreator("Vedetta", false)
	f.SetAutoPageBreak(true, 15)
	f.SetFooterFunc(func() {
		f.SetY(-12)
		f.SetFont("Helvetica", "", 8)
		f.SetTextColor(110, 110, 110)
		f.CellFormat(0, 5, tr(fmt.Sprintf("TLP:%s — %s — %d", strings.ToUpper(in.Case.TLP), in.Reporter.Name, f.PageNo())), "", 0, "C", false, 0, "")
	})
	f.AddPage()

	f.SetFont("Helvetica", "B", 16)
	f.MultiCell(0, 8, tr(p.T("cases.report.stage."+in.Stage)), "", "L", false)
	f.SetFont("Helvetica", "B", 13)
	f.MultiCell(0, 7, tr(sc(in.Case.Title)), "", "L", false)
	f.Ln(2)

	// The label column fits the longest label (the Italian GDPR one is
	// wider than the usual 55 mm), up to half the page.
	labelW := 55.0
	f.SetFont("Helvetica", "B", 10)
	for _, k := range []string{"cases.report.from", "cases.report.to", "cases.report.sent", "cases.category", "cases.severity",
		"cases.status", "cases.awareness", "cases.significant", "cases.personal_data"} {
		labelW = max(labelW, min(f.GetStringWidth(tr(p.T(k)))+4, 95))
	}
	kv := func(k, v string) {
		f.SetFont("Helvetica", "B", 10)
		f.CellFormat(labelW, 6, tr(k), "", 0, "L", false, 0, "")
		f.SetFont("Helvetica", "", 10)
		f.MultiCell(0, 6, tr(v), "", "L", false)
	}
	kv(p.T("cases.report.from"), in.Reporter.Name)
	kv(p.T("cases.report.to"), in.Recipient)
	kv(p.T("cases.report.sent"), when(in.Now))
	kv(p.T("cases.category"), p.T("cases.category."+string(in.Case.Category)))
	kv(p.T("cases.severity"), p.T("cases.severity."+in.Case.Severity))
	kv(p.T("cases.status"), p.T("cases.status."+string(in.Case.Status)))
	kv(p.T("cases.awareness"), when(in.Case.AwarenessAt))
	kv(p.T("cases.significant"), yesNo(p, in.Case.Significant))
	kv(p.T("cases.personal_data"), yesNo(p, in.Case.PersonalData))
	kv("TLP", strings.ToUpper(in.Case.TLP))

	section := func(title string) {
		f.Ln(3)
		f.SetFont("Helvetica", "B", 12)
		f.SetFillColor(230, 236, 242)
		f.CellFormat(0, 7, tr(title), "", 1, "L", true, 0, "")
		f.Ln(1)
		f.SetFont("Helvetica", "", 10)
	}
	section(p.T("cases.report.required"))
	f.MultiCell(0, 5, tr(p.T("cases.clock.content."+in.Stage)), "", "L", false)

	section(p.T("cases.description"))
	desc := sc(in.Case.Description)
	if strings.TrimSpace(desc) == "" {
		desc = "—"
	}
	f.MultiCell(0, 5, tr(desc), "", "L", false)

	if len(in.Clocks) > 0 {
		section(p.T("cases.tab.clocks"))
		for _, c := range in.Clocks {
			line := fmt.Sprintf("%s — %s: %s %s", p.T("cases.regime."+c.Regime), p.T("cases.report.stage."+c.Stage),
				p.T("cases.clock.deadline"), when(c.DeadlineAt))
			if !c.MetAt.IsZero() {
				line += fmt.Sprintf(" — %s %s (%s)", p.T("cases.clock.met_at"), when(c.MetAt), c.NotifiedTo)
			}
			f.MultiCell(0, 5, tr(line), "", "L", false)
		}
	}

	section(p.T("cases.tab.observables"))
	if len(in.Observables) == 0 {
		f.MultiCell(0, 5, "—", "", "L", false)
	}
	for _, o := range in.Observables {
		v := o.Value
		if o.Personal && in.Pseudonym != nil {
			v = in.Pseudonym(o.Type, o.Value) + " (" + p.T("cases.report.pseudonymised") + ")"
		}
		f.MultiCell(0, 5, tr(p.T("cases.observable.type."+o.Type)+": "+v), "", "L", false)
	}

	if len(in.Blocks) > 0 {
		section(p.T("cases.report.mitigation"))
		for _, b := range in.Blocks {
			state := p.T("blocks.active")
			if !b.EndedAt.IsZero() {
				state = p.T("blocks.ended") + " " + when(b.EndedAt)
			}
			f.MultiCell(0, 5, tr(fmt.Sprintf("%s %s — %s (%s)", p.T("blocks.kind."+b.Kind), sc(b.Target), when(b.CreatedAt), state)), "", "L", false)
		}
	}

	if len(in.Timeline) > 0 {
		section(p.T("cases.tab.timeline"))
		tl := in.Timeline
		if len(tl) > 60 {
			tl = tl[len(tl)-60:]
		}
		for _, e := range tl {
			f.SetFont("Helvetica", "B", 9)
			f.CellFormat(40, 5, tr(when(e.At)), "", 0, "L", false, 0, "")
			f.SetFont("Helvetica", "", 9)
			f.MultiCell(0, 5, tr(sc(e.Text)), "", "L", false)
		}
	}
	if in.Case.Resolution != "" {
		section(p.T("cases.resolution"))
		f.MultiCell(0, 5, tr(sc(in.Case.Resolution)), "", "L", false)
	}

	var buf bytes.Buffer
	if err := f.Output(&buf); err != nil {
		return nil, fmt.Errorf("report: pdf: %w", err)
	}
	return buf.Bytes(), nil
}

func yesNo(p *i18n.Printer, b bool) string {
	if b {
		return p.T("cases.yes")
	}
	return p.T("cases.no")
}
