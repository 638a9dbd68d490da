// Vedetta site map: draws a site's own layers (zones, points, lines,
// buildings by floor, assets by type and status) with Leaflet, with no tile
// server unless one is configured. Everything it needs comes from data-*
// attributes of #map and from the site's layers.json; no inline script is
// allowed by the CSP. Text is built with textContent, never innerHTML.
"use strict";
(function () {
  const el = document.getElementById("map");
  if (!el || typeof L === "undefined") return;
  const ds = el.dataset;
  const T = JSON.parse(ds.strings || "{}");
  const t = (k) => T[k] || k;
  const label = (list, v) => (list.find((o) => o.value === v) || { label: v }).label;
  const zoneTypes = JSON.parse(ds.zoneTypes || "[]");
  const assetTypes = JSON.parse(ds.assetTypes || "[]");
  const statuses = JSON.parse(ds.statuses || "[]");
  const canEdit = ds.canEdit === "1";
  const status = document.getElementById("map-status");
  const say = (msg) => { if (status) status.textContent = msg; };

  const map = L.map(el, { zoomControl: true, maxZoom: 22, minZoom: 3, zoomSnap: 0.25, attributionControl: !!ds.tileUrl });
  map.setView([parseFloat(ds.lat) || 0, parseFloat(ds.lon) || 0], 17);
  // Panes keep the drawing order whatever is toggled: zones, then the
  // indoor plan of the chosen floor, then assets on top.
  map.createPane("indoor").style.zIndex = 420;
  map.createPane("assets").style.zIndex = 450;
  if (ds.tileUrl) {
    L.tileLayer(ds.tileUrl, { maxZoom: 22, maxNativeZoom: 19 }).addTo(map);
  } else {
    el.classList.add("no-tiles");
  }

  // Layer groups: one per zone type, one for outdoor points and lines,
  // one per asset type; the indoor group holds the chosen floor.
  const zoneGroups = {};
  const assetGroups = {};
  const pointGroup = L.layerGroup().addTo(map);
  const indoorGroup = L.layerGroup().addTo(map);
  let data = null;
  let floor = "";
  let fitted = false; // the first load fits the view; reloads keep it

  function h(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") n.className = v; else if (k === "text") n.textContent = v; else n.setAttribute(k, v);
    }
    for (const k of kids) if (k) n.append(k);
    return n;
  }

  function zoneGroup(type) {
    if (!zoneGroups[type]) zoneGroups[type] = L.layerGroup().addTo(map);
    return zoneGroups[type];
  }
  function assetGroup(type) {
    if (!assetGroups[type]) assetGroups[type] = L.layerGroup().addTo(map);
    return assetGroups[type];
  }

  function zonePopup(f, layer) {
    const box = h("div", { class: "map-popup" },
      h("strong", { text: f.name || label(zoneTypes, f.type) }),
      h("div", { text: label(zoneTypes, f.type) }));
    if (canEdit && !f.building_id) {
      const edit = h("button", { type: "button", class: "small secondary", text: t("map.edit_shape") });
      edit.addEventListener("click", () => { map.closePopup(); startEdit(f, layer); });
      const del = h("button", { type: "button", class: "small danger", text: t("map.delete") });
      del.addEventListener("click", () => deleteZone(f, layer));
      box.append(h("div", { class: "map-popup-actions" }, edit, del));
    }
    return box;
  }

  function assetPopup(a) {
    const ids = a.identifiers && a.identifiers.length ? h("div", { text: t("map.identifiers") + ": " + a.identifiers.join(", ") }) : null;
    return h("div", { class: "map-popup asset-popup" },
      h("strong", { class: "asset-name", text: a.name }),
      h("div", { text: t("map.type") + ": " + label(assetTypes, a.type) }),
      h("div", { text: t("map.status") + ": " + label(statuses, a.status) }),
      h("div", { text: t("map.criticality") + ": " + a.criticality }),
      ids,
      h("a", { href: a.url, class: "asset-link", text: t("map.open_asset") }));
  }

  function drawFeature(f) {
    if (f.kind === "zone") {
      const layer = L.geoJSON(f.geometry, { className: "zone zone-" + f.type + " zone-id-" + f.id });
      layer.bindPopup(() => zonePopup(f, layer));
      layer.bindTooltip(f.name || label(zoneTypes, f.type), { sticky: true });
      layer.feature = f;
      return layer;
    }
    const pane = f.storey_id ? "indoor" : "overlayPane";
    const layer = L.geoJSON(f.geometry, {
      className: "feature feature-line feature-" + f.type, pane,
      pointToLayer: (_, ll) => L.circleMarker(ll, { radius: 5, className: "feature feature-point feature-" + f.type, pane }),
    });
    layer.bindTooltip(f.name || f.type, { sticky: true });
    return layer;
  }

  function drawAsset(a) {
    const m = L.circleMarker([a.lat, a.lon], {
      radius: 7 + Math.max(0, a.criticality - 3), pane: "assets",
      className: "asset asset-" + a.type + " asset-status-" + a.status + " asset-id-" + a.id,
    });
    m.bindPopup(() => assetPopup(a));
    m.bindTooltip(a.name);
    return m;
  }

  function render() {
    map.closePopup();
    for (const g of Object.values(zoneGroups)) g.clearLayers();
    for (const g of Object.values(assetGroups)) g.clearLayers();
    pointGroup.clearLayers();
    indoorGroup.clearLayers();
    const bounds = L.latLngBounds([]);
    for (const f of data.features) {
      const layer = drawFeature(f);
      if (f.storey_id) {
        if (f.storey_id === floor) layer.addTo(indoorGroup);
        continue;
      }
      if (f.kind === "zone") layer.addTo(zoneGroup(f.type)); else layer.addTo(pointGroup);
      bounds.extend(layer.getBounds());
    }
    for (const b of data.buildings) {
      for (const s of b.storeys) {
        if (s.id !== floor) continue;
        for (const sp of s.spaces) {
          let layer;
          if (sp.geometry) {
            layer = L.geoJSON(sp.geometry, { className: "space", pane: "indoor" });
          } else {
            layer = L.circleMarker([sp.lat, sp.lon], { radius: 4, className: "space", pane: "indoor" });
          }
          layer.bindTooltip((sp.name + " " + (sp.long_name || "")).trim(), { sticky: true });
          layer.addTo(indoorGroup);
        }
      }
    }
    for (const a of data.assets) {
      if (a.storey_id && a.storey_id !== floor) continue;
      const m = drawAsset(a).addTo(assetGroup(a.type));
      if (!a.storey_id) bounds.extend(m.getLatLng());
    }
    return bounds;
  }

  function toggles() {
    const box = document.getElementById("layer-toggles");
    box.replaceChildren();
    const section = (title, groups, labels, prefix) => {
      const keys = Object.keys(groups).sort();
      if (!keys.length) return;
      const fs = h("fieldset", { class: "toggles" }, h("legend", { text: title }));
      for (const k of keys) {
        const id = prefix + k;
        const cb = h("input", { type: "checkbox", id: id, "data-layer": prefix + k });
        cb.checked = map.hasLayer(groups[k]);
        cb.addEventListener("change", () => { if (cb.checked) groups[k].addTo(map); else map.removeLayer(groups[k]); });
        fs.append(h("div", { class: "toggle" }, cb, h("label", { for: id, class: "swatch " + prefix + k, text: label(labels, k) })));
      }
      box.append(fs);
    };
    section(t("map.zones"), zoneGroups, zoneTypes, "zone-");
    section(t("map.assets"), assetGroups, assetTypes, "asset-");
    const legend = document.getElementById("legend");
    legend.replaceChildren(h("p", { class: "legend-title", text: t("map.status") }),
      ...statuses.map((s) => h("span", { class: "legend-item asset-status-" + s.value, text: s.label })));
  }

  function floors() {
    const box = document.getElementById("floor-control");
    box.replaceChildren();
    if (!data.buildings.length) return;
    const sel = h("select", { id: "floor-select" }, h("option", { value: "", text: t("map.outdoor") }));
    for (const b of data.buildings) {
      const g = h("optgroup", { label: b.name });
      for (const s of b.storeys) g.append(h("option", { value: s.id, text: b.name + " – " + s.name }));
      sel.append(g);
    }
    sel.value = floor;
    sel.addEventListener("change", () => {
      floor = sel.value;
      const outdoor = render();
      toggles();
      if (floor) fitFloor(); else if (outdoor.isValid()) map.fitBounds(outdoor.pad(0.1), { maxZoom: 19, animate: false });
    });
    box.append(h("label", { for: "floor-select", text: t("map.floor") }), sel);
  }

  function fitFloor() {
    const b = L.latLngBounds([]);
    indoorGroup.eachLayer((l) => b.extend(l.getBounds ? l.getBounds() : l.getLatLng()));
    if (b.isValid()) map.fitBounds(b.pad(0.3), { maxZoom: 21, animate: false });
  }

  function load() {
    return fetch(ds.layersUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" })
      .then((r) => { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then((d) => {
        data = d;
        const bounds = render();
        floors();
        toggles();
        if (bounds.isValid() && !fitted) map.fitBounds(bounds.pad(0.1), { maxZoom: 19, animate: false });
        fitted = true;
        say(d.features.length || d.assets.length ? "" : t("map.no_layers"));
        el.dataset.ready = "1";
      })
      .catch(() => say(t("map.save_failed")));
  }

  function send(url, body) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRF-Token": ds.csrf },
      body: body === undefined ? "{}" : JSON.stringify(body),
    }).then((r) => r.json().catch(() => ({})).then((j) => {
      if (!r.ok) throw new Error((j.error && j.error.message) || t("map.save_failed"));
      return j;
    }));
  }

  function deleteZone(f) {
    if (!window.confirm(t("map.confirm_delete"))) return;
    send(ds.featureUrl + encodeURIComponent(f.id) + "/delete").then(() => {
      map.closePopup();
      say(t("map.saved"));
      return load();
    }).catch((e) => say(e.message));
  }

  // Editing a zone: one draggable handle per corner.
  let editing = null;
  function startEdit(f, layer) {
    stopEdit();
    const poly = layer.getLayers()[0];
    if (!poly || !poly.getLatLngs) return;
    const ring = poly.getLatLngs()[0];
    const handles = ring.map((ll, i) => L.marker(ll, { draggable: true, icon: L.divIcon({ className: "vertex-handle", iconSize: [12, 12] }) })
      .on("drag", (e) => { ring[i] = e.target.getLatLng(); poly.setLatLngs([ring]); })
      .addTo(map));
    editing = { f, poly, ring, handles };
    drawPanel(true);
  }
  function stopEdit() {
    if (!editing) return;
    for (const m of editing.handles) map.removeLayer(m);
    editing = null;
    drawPanel(false);
  }
  function saveEdit() {
    const { f, ring } = editing;
    const coords = ring.map((ll) => [ll.lng, ll.lat]);
    coords.push(coords[0]);
    send(ds.featureUrl + encodeURIComponent(f.id), { type: f.type, name: f.name, geometry: { type: "Polygon", coordinates: [coords] }, properties: f.properties })
      .then(() => { stopEdit(); say(t("map.saved")); return load(); })
      .catch((e) => say(e.message));
  }

  // Drawing a new zone: click adds corners, double-click finishes.
  let drawing = null;
  function startDraw() {
    stopEdit();
    drawing = { points: [], line: L.polyline([], { className: "drawing" }).addTo(map) };
    map.doubleClickZoom.disable();
    el.classList.add("drawing-mode");
    say(t("map.draw_help"));
    drawPanel(false);
  }
  function onClick(e) {
    if (!drawing || drawing.done) return;
    drawing.points.push(e.latlng);
    drawing.line.setLatLngs(drawing.points);
  }
  function onDblClick() {
    if (!drawing || drawing.done) return;
    // The double-click's two clicks each added a corner: drop the repeat.
    const p = drawing.points;
    if (p.length > 1 && p[p.length - 1].equals(p[p.length - 2])) p.pop();
    if (p.length < 3) return;
    drawing.done = true;
    map.removeLayer(drawing.line);
    drawing.poly = L.polygon(p, { className: "drawing" }).addTo(map);
    drawPanel(false, true);
  }
  function stopDraw() {
    if (!drawing) return;
    if (drawing.line) map.removeLayer(drawing.line);
    if (drawing.poly) map.removeLayer(drawing.poly);
    drawing = null;
    map.doubleClickZoom.enable();
    el.classList.remove("drawing-mode");
    drawPanel(false);
  }
  function saveDraw(name, type) {
    const coords = drawing.points.map((ll) => [ll.lng, ll.lat]);
    coords.push(coords[0]);
    send(ds.createUrl, { type, name, geometry: { type: "Polygon", coordinates: [coords] } })
      .then(() => { stopDraw(); say(t("map.saved")); return load(); })
      .catch((e) => say(e.message));
  }
  map.on("click", onClick);
  map.on("dblclick", onDblClick);

  function drawPanel(editMode, naming) {
    const box = document.getElementById("draw-control");
    if (!box) return;
    box.replaceChildren();
    if (editMode) {
      const save = h("button", { type: "button", id: "save-shape", text: t("map.save_shape") });
      save.addEventListener("click", saveEdit);
      const cancel = h("button", { type: "button", class: "secondary", text: t("map.cancel") });
      cancel.addEventListener("click", () => { stopEdit(); load(); });
      box.append(save, cancel);
      return;
    }
    if (naming) {
      const name = h("input", { id: "zone-name", maxlength: "200" });
      const type = h("select", { id: "zone-type" }, ...zoneTypes.map((z) => h("option", { value: z.value, text: z.label })));
      const save = h("button", { type: "button", id: "save-zone", text: t("map.save") });
      save.addEventListener("click", () => saveDraw(name.value.trim(), type.value));
      const cancel = h("button", { type: "button", class: "secondary", text: t("map.cancel") });
      cancel.addEventListener("click", stopDraw);
      box.append(h("label", { for: "zone-name", text: t("map.zone_name") }), name,
        h("label", { for: "zone-type", text: t("map.zone_type") }), type, save, cancel);
      name.focus();
      return;
    }
    if (drawing) {
      const finish = h("button", { type: "button", id: "finish-zone", text: t("map.finish") });
      finish.addEventListener("click", onDblClick);
      const cancel = h("button", { type: "button", class: "secondary", text: t("map.cancel") });
      cancel.addEventListener("click", stopDraw);
      box.append(h("p", { class: "help", text: t("map.draw_help") }), finish, cancel);
      return;
    }
    const draw = h("button", { type: "button", id: "draw-zone", text: t("map.draw") });
    draw.addEventListener("click", startDraw);
    box.append(draw);
  }

  drawPanel(false);
  load();
})();
