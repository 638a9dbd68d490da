package e2e

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"

	"github.com/vedetta-sec/vedetta/internal/app"
	"github.com/vedetta-sec/vedetta/internal/demo"
	"github.com/vedetta-sec/vedetta/internal/store"
)

func evalInt(t *testing.T, ctx context.Context, js string) int {
	t.Helper()
	n, err := chromedp.Run(ctx, chromedp.Evaluate[int](js))
	if err != nil {
		t.Fatalf("evaluate %s: %v", js, err)
	}
	return n
}

func count(t *testing.T, ctx context.Context, sel string) int {
	t.Helper()
	return evalInt(t, ctx, fmt.Sprintf("document.querySelectorAll(%q).length", sel))
}

func assetID(t *testing.T, a *app.App, tenantSlug string, kind store.IdentifierKind, value string) string {
	t.Helper()
	ctx := context.Background()
	tn, err := a.Store.GetTenantBySlug(ctx, tenantSlug)
	if err != nil {
		t.Fatal(err)
	}
	as, err := a.Store.FindAssetsByIdentifier(ctx, tn.ID, kind, value)
	if err != nil || len(as) != 1 {
		t.Fatalf("asset %s %s: %v %v", kind, value, as, err)
	}
	return as[0].ID
}

// chooseFloor selects the floor whose label contains name, as a user
// picking it in the list does (the change event included).
func chooseFloor(t *testing.T, ctx context.Context, name string) {
	t.Helper()
	js := fmt.Sprintf(`(() => { const s = document.querySelector("#floor-select");
		const o = [...s.options].find((o) => o.text.includes(%q)); if (!o) return false;
		s.value = o.value; s.dispatchEvent(new Event("change")); return true; })()`, name)
	ok, err := chromedp.Run(ctx, chromedp.Evaluate[bool](js))
	if err != nil || !ok {
		t.Fatalf("choose floor %q: %v", name, err)
	}
}

// TestBrowserSiteMap opens the demo port's map with no tile server and no
// network beyond the Vedetta server, toggles a zone layer, opens an asset,
// switches floors in the IFC harbour office, draws a zone, and saves a
// full-page screenshot.
func TestBrowserSiteMap(t *testing.T) {
	a, base := startDemo(t)
	if a.Config.Map.TileURL != "" {
		t.Fatalf("the demo config sets a tile URL %q; this test is about the offline map", a.Config.Map.TileURL)
	}
	ctx := browser(t, "it-IT,it;q=0.9")
	do(t, ctx, "log in",
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#username")),
		chromedp.SendKeys(chromedp.CSS("#username"), "pfso.portovenere"),
		chromedp.SendKeys(chromedp.CSS("#password"), demo.Password),
		chromedp.Submit(chromedp.CSS("#password")),
		chromedp.WaitVisible(chromedp.CSS("nav.side")),
	)
	do(t, ctx, "open the map from the navigation",
		chromedp.Click(chromedp.CSS(`nav.side a[href="/map"]`)),
		chromedp.WaitVisible(chromedp.CSS(`#map[data-ready="1"]`)),
	)
	if h := text(t, ctx, "h1"); !strings.Contains(h, "Portovenere") {
		t.Fatalf("map heading = %q", h)
	}
	zones, assets := count(t, ctx, "path.zone"), count(t, ctx, "path.asset")
	if zones < 8 || assets < 8 {
		t.Fatalf("map drew %d zones and %d assets, want the demo port's layers", zones, assets)
	}
	if n := count(t, ctx, ".leaflet-tile"); n != 0 {
		t.Errorf("%d map tiles requested with no tile server configured", n)
	}
	// Italian labels reach the script through data attributes.
	if s := text(t, ctx, "#layer-toggles"); !strings.Contains(s, "Area ad accesso ristretto") || !strings.Contains(s, "Telecamera") {
		t.Errorf("layer toggles not in Italian: %q", s)
	}

	// Toggle the ISPS restricted area off and on.
	before := count(t, ctx, "path.zone-restricted_area")
	do(t, ctx, "hide restricted areas", chromedp.Click(chromedp.CSS("#zone-restricted_area")))
	if n := count(t, ctx, "path.zone-restricted_area"); before == 0 || n != 0 {
		t.Errorf("restricted areas: %d before hiding, %d after, want some then none", before, n)
	}
	do(t, ctx, "show restricted areas", chromedp.Click(chromedp.CSS("#zone-restricted_area")))
	if n := count(t, ctx, "path.zone-restricted_area"); n != before {
		t.Errorf("restricted areas after showing again: %d, want %d", n, before)
	}

	// Open the gate camera.
	gate := assetID(t, a, "porto-portovenere", store.IdentCameraID, "cam-varco")
	do(t, ctx, "open the gate camera",
		chromedp.Click(chromedp.CSS("path.asset-id-"+gate), chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.CSS(".asset-popup")),
	)
	if s := text(t, ctx, ".asset-popup"); !strings.Contains(s, "TVCC Varco ISPS") || !strings.Contains(s, "attivo") {
		t.Errorf("asset popup = %q", s)
	}
	href, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector(".asset-popup a.asset-link").getAttribute("href")`))
	if err != nil || href != "/assets/"+gate {
		t.Errorf("popup link = %q (%v)", href, err)
	}

	// Floors of the IFC harbour office.
	if n := count(t, ctx, "path.space"); n != 0 {
		t.Errorf("%d rooms drawn outdoors", n)
	}
	entrance := assetID(t, a, "porto-portovenere", store.IdentCameraID, "cam-capitaneria-ingresso")
	chooseFloor(t, ctx, "Piano terra")
	if n := count(t, ctx, "path.space"); n != 4 {
		t.Errorf("ground floor shows %d rooms, want 4", n)
	}
	if n := count(t, ctx, "path.asset-id-"+entrance); n != 1 {
		t.Errorf("the entrance camera is not on the ground floor map")
	}
	chooseFloor(t, ctx, "Primo piano")
	if n := count(t, ctx, "path.space"); n != 2 {
		t.Errorf("first floor shows %d rooms, want 2", n)
	}
	if n := count(t, ctx, "path.asset-id-"+entrance); n != 0 {
		t.Errorf("the ground-floor camera is shown on the first floor")
	}
	chooseFloor(t, ctx, "Piano terra")
	do(t, ctx, "open the entrance camera",
		chromedp.Click(chromedp.CSS("path.asset-id-"+entrance), chromedp.NodeReady),
		chromedp.WaitVisible(chromedp.CSS(".asset-popup")),
	)
	// A closed popup fades out; the one just opened is the last.
	if s := text(t, ctx, ".leaflet-popup:last-child .asset-popup"); !strings.Contains(s, "TVCC Ingresso") {
		t.Errorf("indoor popup = %q", s)
	}
	do(t, ctx, "let the popup fade in", chromedp.Sleep(500*time.Millisecond))
	screenshot(t, ctx, "map-portovenere-piano-terra")

	// Draw a zone: three clicks and a double-click, then name and save it.
	chooseFloor(t, ctx, "Esterno")
	do(t, ctx, "start drawing", chromedp.Click(chromedp.CSS("#draw-zone")), chromedp.ScrollIntoView(chromedp.CSS("#map")))
	rect, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector("#map").getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`))
	if err != nil || len(rect) != 4 {
		t.Fatalf("map rectangle: %v %v", rect, err)
	}
	x, y, w, h := rect[0], rect[1], rect[2], rect[3]
	zonesBefore := count(t, ctx, "path.zone")
	do(t, ctx, "draw a zone",
		chromedp.MouseClickXY(x+w*0.15, y+h*0.15),
		chromedp.MouseClickXY(x+w*0.30, y+h*0.15),
		chromedp.MouseClickXY(x+w*0.30, y+h*0.30),
		chromedp.MouseClickXY(x+w*0.15, y+h*0.30),
		chromedp.MouseClickXY(x+w*0.15, y+h*0.30, chromedp.ClickCount(2)),
		chromedp.WaitVisible(chromedp.CSS("#save-zone")),
		chromedp.SendKeys(chromedp.CSS("#zone-name"), "Area di prova"),
		chromedp.SetValue(chromedp.CSS("#zone-type"), "parking"),
		chromedp.Click(chromedp.CSS("#save-zone")),
		chromedp.WaitVisible(chromedp.CSS("#draw-zone")),
	)
	// Saving is asynchronous: the layer is redrawn when the server answers.
	n := count(t, ctx, "path.zone")
	for deadline := time.Now().Add(10 * time.Second); n != zonesBefore+1 && time.Now().Before(deadline); n = count(t, ctx, "path.zone") {
		do(t, ctx, "wait for the redraw", chromedp.Sleep(100*time.Millisecond))
	}
	if n != zonesBefore+1 {
		t.Errorf("after drawing: %d zones, want %d", n, zonesBefore+1)
	}
	port, _ := a.Store.GetTenantBySlug(context.Background(), "porto-portovenere")
	fs, _ := a.Store.ListFeatures(context.Background(), port.ID, "")
	found := false
	for _, f := range fs {
		if f.Name == "Area di prova" && f.Type == "parking" && f.Kind == store.FeatureZone {
			found = true
		}
	}
	if !found {
		t.Errorf("the drawn zone was not stored")
	}

	// Nothing was fetched from anywhere but the Vedetta server.
	foreign, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf(
		`performance.getEntriesByType("resource").map((e) => e.name).filter((u) => !u.startsWith(%q))`, base)))
	if err != nil {
		t.Fatal(err)
	}
	if len(foreign) > 0 {
		t.Errorf("the map fetched from other origins: %v", foreign)
	}
	screenshot(t, ctx, "map-portovenere")

	// Edit the drawn zone's shape: open it, drag a corner, save.
	var drawn store.SiteFeature
	for _, f := range fs {
		if f.Name == "Area di prova" {
			drawn = f
		}
	}
	centre, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](fmt.Sprintf(`(() => {
		const r = document.querySelector("path.zone-id-%s").getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2]; })()`, drawn.ID)))
	if err != nil {
		t.Fatal(err)
	}
	do(t, ctx, "open the drawn zone",
		chromedp.MouseClickXY(centre[0], centre[1]),
		chromedp.WaitVisible(chromedp.CSS(".map-popup-actions button")),
		chromedp.Click(chromedp.CSS(".map-popup-actions button")),
		chromedp.WaitVisible(chromedp.CSS("#save-shape")),
		chromedp.Sleep(400*time.Millisecond), // the closed popup fades out over the handles
	)
	handle, err := chromedp.Run(ctx, chromedp.Evaluate[[]float64](`(() => { const r = document.querySelector(".vertex-handle").getBoundingClientRect();
		return [r.left + r.width / 2, r.top + r.height / 2]; })()`))
	if err != nil || len(handle) != 2 {
		t.Fatalf("vertex handle: %v %v", handle, err)
	}
	held := func(p *input.DispatchMouseEventParams) {
		p.Button, p.Buttons, p.ClickCount = input.MouseButtonLeft, 1, 1
	}
	do(t, ctx, "drag a corner and save",
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, handle[0], handle[1]),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMousePressed, handle[0], handle[1], held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, handle[0]-10, handle[1]-10, held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, handle[0]-25, handle[1]-25, held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseMoved, handle[0]-40, handle[1]-40, held),
		chromedp.MouseEvent(input.DispatchMouseEventTypeMouseReleased, handle[0]-40, handle[1]-40, held),
		chromedp.Click(chromedp.CSS("#save-shape")),
		chromedp.WaitVisible(chromedp.CSS("#draw-zone")),
	)
	edited, err := a.Store.GetFeature(context.Background(), port.ID, drawn.ID)
	if err != nil || edited.Geometry == drawn.Geometry {
		t.Errorf("the zone's shape was not changed by dragging a corner (%v)", err)
	}

	// The popup's link leads to the asset's page.
	do(t, ctx, "open the asset page", chromedp.Navigate(base+"/assets/"+gate), chromedp.WaitVisible(chromedp.CSS("dl.asset-facts")))
	if h := text(t, ctx, "h1"); h != "TVCC Varco ISPS" {
		t.Errorf("asset page heading = %q", h)
	}
}
