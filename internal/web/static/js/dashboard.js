// Vedetta security dashboard: the live alert queue (server-sent events
// from /dashboard/stream), keyboard triage, the alert map and the regional
// map. Everything it needs comes from data-* attributes (no inline script
// under the CSP); text is set with textContent, never innerHTML.
"use strict";
(function () {
  const sevRank = { informational: 0, low: 1, medium: 2, high: 3, critical: 4 };
  const sevColour = { informational: "#6b7280", low: "#2563eb", medium: "#d97706", high: "#dc2626", critical: "#7f1d1d" };

  function h(tag, attrs, ...kids) {
    const n = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "class") n.className = v; else if (k === "text") n.textContent = v; else n.setAttribute(k, v);
    }
    for (const k of kids) if (k !== null && k !== undefined) n.append(k);
    return n;
  }

  function baseMap(el) {
    const map = L.map(el, { maxZoom: 22, minZoom: 3, zoomSnap: 0.25, attributionControl: !!el.dataset.tileUrl });
    if (el.dataset.tileUrl) L.tileLayer(el.dataset.tileUrl, { maxZoom: 22, maxNativeZoom: 19 }).addTo(map);
    else el.classList.add("no-tiles");
    return map;
  }

  // ---- Regional map: one marker per site of every overseen entity.
  const region = document.getElementById("region-map");
  if (region && typeof L !== "undefined") {
    const sites = JSON.parse(region.dataset.sites || "[]").filter((s) => s.lat || s.lon);
    const map = baseMap(region);
    const levelColour = { none: "#16a34a", low: "#2563eb", medium: "#d97706", high: "#dc2626", critical: "#7f1d1d" };
    const pts = [];
    for (const s of sites) {
      const m = L.circleMarker([s.lat, s.lon], { radius: 8 + Math.min(s.risk, 100) / 6, color: levelColour[s.level] || "#555", weight: 2, fillOpacity: 0.5 });
      m.bindPopup(h("div", { class: "map-popup" }, h("strong", { text: s.entity }), h("div", { text: s.name + " · " + s.risk }),
        h("a", { href: s.url, text: "→" })));
      m.addTo(map);
      region.dataset.markers = String(pts.push([s.lat, s.lon]));
    }
    if (pts.length) map.fitBounds(pts, { padding: [30, 30], maxZoom: 15 });
    else map.setView([44.1, 9.8], 9);
  }

  const root = document.getElementById("dashboard");
  if (!root) return;
  const ds = root.dataset;
  const T = JSON.parse(ds.strings || "{}");
  const t = (k) => T[k] || k;
  const body = document.getElementById("queue-body");
  const empty = document.getElementById("queue-empty");
  const live = document.getElementById("live-state");
  const filters = document.getElementById("filters");

  // ---- Filters the live rows must pass (same as the server's).
  function want(a) {
    if (!filters) return true;
    const f = new FormData(filters);
    const sev = f.get("severity"), st = f.get("status"), site = f.get("site"), src = f.get("source"), rule = f.get("rule");
    if (sev && sevRank[a.severity] < sevRank[sev]) return false;
    if (!st && (a.status === "resolved" || a.status === "false_positive" || a.status === "suppressed")) return false;
    if (st && st !== "all" && a.status !== st) return false;
    if (site && a.site_id !== site) return false;
    if (src && a.source_id !== src) return false;
    if (rule && a.rule_id !== rule) return false;
    return true;
  }

  function rowOf(a) {
    const when = new Date(a.last_seen);
    const tr = h("tr", { class: "alert-row sev-" + a.severity, tabindex: "0", "data-id": a.id, "data-severity": a.severity, "data-status": a.status,
      "data-site": a.site_id, "data-source": a.source_id, "data-rule": a.rule_id, "data-url": a.url },
      h("td", {}, h("span", { class: "sev sev-" + a.severity, text: a.severity_label })),
      h("td", {}, h("a", { href: a.url, text: a.title }), a.count > 1 ? h("span", { class: "count", text: " ×" + a.count }) : null),
      h("td", { text: (a.site || "") + (a.asset ? " · " + a.asset : "") }),
      h("td", { text: a.source || "" }),
      h("td", { class: "st", text: a.status_label + (a.assignee ? " · " + a.assignee : "") }),
      h("td", {}, h("time", { datetime: a.last_seen, text: when.toLocaleString(document.documentElement.lang) })));
    if (a.placed) { tr.dataset.lon = a.lon; tr.dataset.lat = a.lat; }
    return tr;
  }

  // The queue shows at most maxRows rows: live alerts are prepended and
  // the oldest rows leave (the stored queue, paged and filtered, is one
  // reload away), so a page left open for days stays light.
  const maxRows = 300;
  const byId = new Map();
  for (const tr of body.querySelectorAll("tr.alert-row")) byId.set(tr.dataset.id, tr);

  function trim() {
    while (body.rows.length > maxRows) {
      let last = body.rows[body.rows.length - 1];
      if (last === document.activeElement) last = last.previousElementSibling;
      if (!last) return;
      byId.delete(last.dataset.id);
      if (markers[last.dataset.id]) placeAlert({ id: last.dataset.id }, false);
      last.remove();
    }
  }

  function upsert(a, fresh) {
    const old = byId.get(a.id);
    if (!want(a)) {
      if (old) { old.remove(); byId.delete(a.id); }
      placeAlert(a, false);
      refreshEmpty();
      return;
    }
    const tr = rowOf(a);
    byId.set(a.id, tr);
    if (old) {
      const focused = document.activeElement === old;
      old.replaceWith(tr);
      if (focused) tr.focus();
    } else {
      body.prepend(tr);
      trim();
    }
    if (fresh) {
      tr.classList.add("fresh");
      setTimeout(() => tr.classList.remove("fresh"), 4000);
    }
    placeAlert(a, true);
    refreshEmpty();
  }

  function refreshEmpty() {
    if (empty) empty.hidden = body.rows.length > 0;
  }

  // ---- Live stream.
  function setLive(on) {
    if (!live) return;
    live.dataset.state = on ? "on" : "off";
    live.textContent = on ? t("dashboard.live") : t("dashboard.offline");
  }
  if (ds.stream && window.EventSource) {
    const es = new EventSource(ds.stream);
    es.onopen = () => setLive(true);
    es.onerror = () => setLive(es.readyState === EventSource.OPEN);
    es.addEventListener("alert", (ev) => {
      let a;
      try { a = JSON.parse(ev.data); } catch (e) { return; }
      upsert(a, a.created);
      if (a.created) {
        const c = document.getElementById("count-" + a.severity);
        if (c) c.textContent = String((parseInt(c.textContent, 10) || 0) + 1);
      }
      root.dataset.received = String((parseInt(root.dataset.received || "0", 10) || 0) + 1);
    });
    window.addEventListener("pagehide", () => es.close());
  }

  // ---- Triage from the keyboard.
  function rows() { return Array.from(body.querySelectorAll("tr.alert-row")); }
  function current() {
    const a = document.activeElement;
    return a && a.classList && a.classList.contains("alert-row") ? a : null;
  }
  function move(d) {
    const rs = rows();
    if (!rs.length) return;
    const i = rs.indexOf(current());
    const n = i < 0 ? 0 : Math.max(0, Math.min(rs.length - 1, i + d));
    rs[n].focus();
    rs[n].scrollIntoView({ block: "nearest" });
  }
  function post(url, form) {
    return fetch(url, {
      method: "POST", credentials: "same-origin",
      headers: { "X-CSRF-Token": ds.csrf, Accept: "application/json", "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(form).toString(),
    }).then((r) => { if (!r.ok) throw new Error(String(r.status)); return r.json(); });
  }
  function flash(msg) {
    if (live) { const was = live.textContent; live.textContent = msg; setTimeout(() => { live.textContent = was; }, 2500); }
  }
  const help = document.getElementById("help");
  function toggleHelp() {
    if (!help) return;
    if (help.open) help.close(); else help.showModal();
  }
  function toggleWall() {
    root.classList.toggle("wall");
    const b = document.getElementById("wall-toggle");
    if (b) b.setAttribute("aria-pressed", root.classList.contains("wall") ? "true" : "false");
    try { localStorage.setItem("vedetta.wall", root.classList.contains("wall") ? "1" : ""); } catch (e) { /* private mode */ }
    if (map) setTimeout(() => map.invalidateSize(), 50);
  }
  try { if (localStorage.getItem("vedetta.wall") === "1" && !root.classList.contains("wall")) root.classList.add("wall"); } catch (e) { /* private mode */ }
  const wallBtn = document.getElementById("wall-toggle");
  if (wallBtn) wallBtn.addEventListener("click", toggleWall);
  const helpBtn = document.getElementById("help-toggle");
  if (helpBtn) helpBtn.addEventListener("click", toggleHelp);

  document.addEventListener("keydown", (ev) => {
    if (ev.ctrlKey || ev.metaKey || ev.altKey) return;
    const tag = (ev.target && ev.target.tagName) || "";
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") return;
    const row = current();
    switch (ev.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "?": toggleHelp(); break;
      case "w": toggleWall(); break;
      case "Enter": if (row) location.href = row.dataset.url; else return; break;
      case "a":
        if (!row || ds.canTriage !== "1") return;
        post("/dashboard/alerts/" + row.dataset.id + "/status", { status: "acknowledged" })
          .then((a) => { upsert(a, false); flash(t("dashboard.acknowledged")); })
          .catch(() => flash(t("dashboard.action_failed")));
        break;
      case "e":
        if (!row || ds.canCase !== "1") return;
        post("/dashboard/alerts/" + row.dataset.id + "/escalate", {})
          .then((r) => { location.href = r.location; })
          .catch(() => flash(t("dashboard.action_failed")));
        break;
      default: return;
    }
    ev.preventDefault();
  });

  // ---- Map: the tenant's sites (zones and assets coloured by status,
  // from the site map's layers.json) and the alerts placed on them.
  const mapEl = document.getElementById("dash-map");
  let map = null;
  const markers = {};
  let alertLayer = null;
  const assetColour = { active: "#16a34a", maintenance: "#d97706", offline: "#6b7280", retired: "#9ca3af" };

  function placeAlert(a, show) {
    if (!map) return;
    const old = markers[a.id];
    if (old) { alertLayer.removeLayer(old); delete markers[a.id]; }
    if (!show || !a.placed) { mapEl.dataset.alerts = String(Object.keys(markers).length); return; }
    const m = L.circleMarker([a.lat, a.lon], { radius: 7 + sevRank[a.severity] * 2, color: sevColour[a.severity] || "#555", weight: 3, fillOpacity: 0.6, className: "alert-marker" });
    m.bindPopup(h("div", { class: "map-popup" }, h("strong", { text: a.title }), h("div", { text: a.severity_label + " · " + a.status_label }),
      h("div", { text: (a.site || "") + (a.asset ? " · " + a.asset : "") }), h("a", { href: a.url, text: t("dashboard.events") })));
    m.addTo(alertLayer);
    markers[a.id] = m;
    mapEl.dataset.alerts = String(Object.keys(markers).length);
  }

  if (mapEl && typeof L !== "undefined") {
    map = baseMap(mapEl);
    map.setView([44.07, 9.88], 13);
    const siteLayer = L.layerGroup().addTo(map);
    alertLayer = L.layerGroup().addTo(map);
    const data = JSON.parse(mapEl.dataset.map || '{"alerts":[],"sites":[]}');
    const pts = [];
    for (const s of data.sites) {
      if (s.lat || s.lon) pts.push([s.lat, s.lon]);
      fetch(s.layers, { credentials: "same-origin", headers: { Accept: "application/json" } }).then((r) => r.json()).then((ly) => {
        for (const f of ly.features || []) {
          if (f.kind !== "zone" || !f.geometry) continue;
          L.geoJSON(f.geometry, { style: { color: "#1e40af", weight: 1, fillOpacity: 0.05 } }).bindTooltip(f.name || f.type).addTo(siteLayer);
        }
        for (const a of ly.assets || []) {
          if (!a.lat && !a.lon) continue;
          L.circleMarker([a.lat, a.lon], { radius: 4, color: assetColour[a.status] || "#555", weight: 2, fillOpacity: 0.9 })
            .bindTooltip(a.name + " (" + a.status + ")").addTo(siteLayer);
        }
        mapEl.dataset.layers = String((parseInt(mapEl.dataset.layers || "0", 10) || 0) + 1);
      }).catch(() => {});
    }
    for (const a of data.alerts) { placeAlert(a, true); if (a.placed) pts.push([a.lat, a.lon]); }
    if (pts.length) map.fitBounds(pts, { padding: [30, 30], maxZoom: 17 });
    mapEl.dataset.ready = "1";
  }
})();
