/* The project workspace: the runs list on the side (a virtual list: only the rows in view
   exist), sections of panels for every logged key, and the viewer's layout saved on the
   server (PUT …/workspace/layout) a moment after each change. Panels draw when they come
   into view; a panel kind's renderer comes from WB.panels (ui/panels.js). */
(function () {
  "use strict";
  const WB = window.WB;
  const page = JSON.parse(document.getElementById("workspace-data").textContent);
  const base = "/_ui/" + WB.enc(page.entity) + "/" + WB.enc(page.project);
  const ROW = 28;
  const MAX_SHOWN = 500;
  const LIVE_MS = WB.liveMs || 10000; // tests shorten it
  const IDLE_MS = 60000;
  // the system section starts collapsed (as in W&B): its panels are drawn when it is opened
  const DEFAULTS = { version: 1, xAxis: "step", smoothing: 0, logY: false, band: "minmax",
                     visible: null, collapsed: ["system"], groupBy: [], colours: {}, panels: [] };
  const $ = function (id) { return document.getElementById(id); };
  let info = null;
  let layout = null;
  let runsByName = new Map();
  let visible = new Set();
  let listed = []; // runs passing the list's search and filter, in order
  const panels = new Map(); // id -> {panel, el, body, data, drawn, stale, handle}
  WB.panelData = {}; // id -> the JSON the panel drew (tests read it)

  /* ---- layout persistence ---- */
  let saveTimer = null;
  function save() {
    clearTimeout(saveTimer);
    saveTimer = setTimeout(async function () {
      const response = await fetch(base + "/workspace/layout", {
        method: "PUT", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": page.csrf },
        body: JSON.stringify(layout),
      });
      $("ws-status").textContent = response.ok ? WB.t("saved") :
        WB.t("could not save layout:") + " " + ((await response.json()).error || response.status);
      document.body.dataset.saved = String(Number(document.body.dataset.saved || 0) + 1);
    }, 400);
  }

  /* ---- the runs list ---- */
  function matches(run, text, state) {
    if (state && run.state !== state) return false;
    if (!text) return true;
    const hay = (run.displayName + " " + run.name + " " + run.group + " " + run.jobType + " " +
                 run.tags.join(" ")).toLowerCase();
    return text.split(/\s+/).every(function (w) { return hay.indexOf(w) >= 0; });
  }

  /* The overview brings the newest runs (and those the saved layout shows); a project may
     hold far more. Until every run is here, more come a page at a time as the list is
     scrolled to its end, and a search or state filter asks the server (…/workspace/runs). */
  let remote = null; // a search's results: {key, names, total, done, busy}
  let paging = false;
  function everyRunHere() { return info.newestLoaded >= info.runCount; }

  function refilter() {
    const text = $("ws-run-search").value.trim().toLowerCase();
    const state = $("ws-run-state").value;
    let total;
    if (everyRunHere() || (!text && !state)) {
      remote = null;
      listed = info.runs.filter(function (r) { return matches(r, text, state); });
      total = text || state ? listed.length : info.runCount;
    } else {
      const key = text + "\n" + state;
      if (!remote || remote.key !== key) {
        remote = { key: key, text: text, state: state, names: [], total: null, done: false, busy: false };
        loadMore();
      }
      listed = remote.names.map(function (n) { return runsByName.get(n); }).filter(Boolean);
      total = remote.total === null ? listed.length : remote.total;
    }
    $("ws-run-count").textContent = shownRuns().length + " / " + total + " " + WB.t("shown");
    $("ws-spacer").style.height = listed.length * ROW + "px";
    drawRows();
  }

  /* the next page of the list: of the search in force, or of every run, newest first */
  async function loadMore() {
    const search = remote;
    if (search ? search.busy || search.done : paging || everyRunHere()) return;
    if (search) search.busy = true; else paging = true;
    const offset = search ? search.names.length : info.newestLoaded;
    let url = base + "/workspace/runs?offset=" + offset + "&limit=" + info.pageLimit;
    if (search) url += "&q=" + WB.enc(search.text) + "&state=" + WB.enc(search.state);
    try {
      const page = await WB.getJSON(url);
      page.runs.forEach(function (r) {
        if (layout.colours[r.name]) r.colour = layout.colours[r.name];
        if (!runsByName.has(r.name) && !search) info.runs.push(r);
        if (!runsByName.has(r.name)) runsByName.set(r.name, r);
        if (search) search.names.push(r.name);
      });
      if (search) {
        search.total = page.total;
        search.done = search.names.length >= page.total || !page.runs.length;
      } else {
        info.newestLoaded = page.runs.length ? offset + page.runs.length : info.runCount;
      }
    } finally {
      if (search) search.busy = false; else paging = false;
    }
    if (search === remote) refilter();
  }

  const pool = [];
  function rowEl() {
    const row = document.createElement("div");
    row.className = "run-row";
    const box = document.createElement("input");
    box.type = "checkbox";
    const colour = document.createElement("input");
    colour.type = "color";
    const link = document.createElement("a");
    row.append(box, colour, link);
    box.addEventListener("change", function () {
      if (box.checked) visible.add(row.dataset.run); else visible.delete(row.dataset.run);
      layout.visible = Array.from(visible);
      row.classList.toggle("hidden-run", !box.checked);
      runsChanged();
    });
    colour.addEventListener("change", function () {
      const run = runsByName.get(row.dataset.run);
      run.colour = colour.value;
      layout.colours[run.name] = colour.value;
      save();
      redrawAll();
    });
    return row;
  }

  function drawRows() {
    const list = $("ws-run-list");
    const first = Math.max(0, Math.floor(list.scrollTop / ROW) - 5);
    const last = Math.min(listed.length, first + Math.ceil(list.clientHeight / ROW) + 10);
    if (last >= listed.length - 20) loadMore(); // near the end: the next page
    while (pool.length < last - first) { const r = rowEl(); pool.push(r); $("ws-spacer").appendChild(r); }
    pool.forEach(function (row, i) {
      const run = listed[first + i];
      row.hidden = !run;
      if (!run) return;
      row.style.top = (first + i) * ROW + "px";
      row.dataset.run = run.name;
      const [box, colour, link] = row.children;
      box.checked = visible.has(run.name);
      box.setAttribute("aria-label", run.displayName);
      colour.value = run.colour;
      colour.setAttribute("aria-label", run.displayName);
      link.textContent = run.displayName;
      link.href = "/" + WB.enc(page.entity) + "/" + WB.enc(page.project) + "/runs/" + WB.enc(run.name);
      link.title = run.displayName + (run.group ? " · " + run.group : "");
      row.classList.toggle("hidden-run", !box.checked);
    });
  }

  function shownRuns() {
    return listed.filter(function (r) { return visible.has(r.name); }).slice(0, MAX_SHOWN);
  }

  function runsChanged() {
    save();
    refilter();
    panels.forEach(function (p) { p.stale = true; });
    loadInView();
  }

  /* ---- panels ---- */
  function xFor(panel) {
    if (panel.kind === "system") return layout.xAxis === "wall" ? "wall" : "runtime"; // no steps
    if (panel.xAxis) return panel.xAxis;
    if (layout.xAxis === "step" && panel.kind === "line" && panel.keys.length === 1) {
      const m = info.metricsByKey.get(panel.keys[0]);
      if (m && m.xAxis) return m.xAxis;
    }
    return layout.xAxis;
  }

  function allPanels() {
    const out = [];
    info.metrics.forEach(function (m) {
      out.push({ id: "line:" + m.key, kind: "line", section: m.section, keys: [m.key], title: m.key });
    });
    info.media.forEach(function (m) {
      out.push({ id: "media:" + m.key, kind: WB.panels.kindForType(m.type), type: m.type,
                 section: m.section, keys: [m.key], title: m.key });
    });
    (info.charts || []).forEach(function (c) {
      out.push({ id: "chart:" + c.key, kind: WB.panels.kindForType("chart"), type: "chart",
                 section: c.section, keys: [c.key], title: c.title });
    });
    (info.system || []).forEach(function (m) {
      out.push({ id: "system:" + m.key, kind: "system", section: m.section, keys: [m.key],
                 title: m.unit ? m.key + " (" + m.unit + ")" : m.key });
    });
    (layout.panels || []).forEach(function (p) { out.push(Object.assign({ title: p.keys.join(", ") }, p)); });
    return out;
  }

  function sectionOrder(a, b) {
    const rank = function (s) { return s === "custom" ? 0 : s === "charts" ? 1 : s === "system" ? 3 : 2; };
    return rank(a) - rank(b) || a.localeCompare(b);
  }

  function sectionEl(name) {
    const section = document.createElement("details");
    section.className = "ws-section";
    section.dataset.section = name;
    section.open = layout.collapsed.indexOf(name) < 0;
    const summary = document.createElement("summary");
    const count = document.createElement("span");
    count.className = "count";
    summary.append(document.createTextNode(name), count);
    const grid = document.createElement("div");
    grid.className = "panel-grid";
    section.append(summary, grid);
    section.addEventListener("toggle", function () {
      const at = layout.collapsed.indexOf(name);
      if (section.open === (at < 0)) return; // as saved (set while building)
      if (section.open) layout.collapsed.splice(at, 1); else layout.collapsed.push(name);
      save();
      loadInView();
    });
    return section;
  }

  function countPanels(section) {
    section.querySelector("summary .count").textContent = " (" + section.querySelector(".panel-grid").children.length + ")";
  }

  function build() {
    const root = $("ws-sections");
    root.replaceChildren();
    panels.clear();
    const bySection = new Map();
    allPanels().forEach(function (p) {
      if (!bySection.has(p.section)) bySection.set(p.section, []);
      bySection.get(p.section).push(p);
    });
    Array.from(bySection.keys()).sort(sectionOrder).forEach(function (name) {
      const section = sectionEl(name);
      const grid = section.querySelector(".panel-grid");
      bySection.get(name).forEach(function (p) { grid.appendChild(panelEl(p)); });
      countPanels(section);
      root.appendChild(section);
    });
    $("ws-empty").hidden = panels.size > 0;
    filterPanels();
  }

  /* panels for keys that appeared since the page was built (a live run logged a new metric,
     a new media key, system metrics), each put in its section, which is made if new */
  function addNewPanels() {
    const root = $("ws-sections");
    const added = [];
    allPanels().forEach(function (p) {
      if (panels.has(p.id)) return;
      let section = root.querySelector(".ws-section[data-section=\"" + CSS.escape(p.section) + "\"]");
      if (!section) {
        section = sectionEl(p.section);
        const after = Array.from(root.children).find(function (s) { return sectionOrder(s.dataset.section, p.section) > 0; });
        root.insertBefore(section, after || null);
      }
      const grid = section.querySelector(".panel-grid");
      const next = Array.from(grid.children).find(function (el) { // in key order, as built
        const other = panels.get(el.dataset.panel).panel;
        return other.kind === p.kind && other.keys[0] > p.keys[0];
      });
      grid.insertBefore(panelEl(p), next || null);
      countPanels(section);
      added.push(p.id);
    });
    if (!added.length) return;
    $("ws-empty").hidden = panels.size > 0;
    document.body.dataset.added = String(Number(document.body.dataset.added || 0) + added.length);
    filterPanels();
  }

  function panelEl(panel) {
    const el = document.createElement("figure");
    el.className = "panel";
    el.dataset.panel = panel.id;
    el.dataset.kind = panel.kind || "";
    const title = document.createElement("h3");
    const x = document.createElement("span");
    x.className = "x";
    title.append(document.createTextNode(panel.title), x);
    const body = document.createElement("div");
    const note = document.createElement("figcaption");
    note.className = "note";
    el.append(title, body, note);
    panels.set(panel.id, { panel: panel, el: el, body: body, note: note, xEl: x, data: null, stale: true, handle: null });
    if (observer) observer.observe(el);
    return el;
  }

  function filterPanels() {
    const text = $("ws-panel-search").value.trim().toLowerCase();
    panels.forEach(function (p) {
      p.el.hidden = !!text && p.panel.title.toLowerCase().indexOf(text) < 0;
    });
    document.querySelectorAll(".ws-section").forEach(function (s) {
      s.hidden = !s.querySelector(".panel:not([hidden])");
    });
    loadInView();
  }

  function inView(el) {
    if (el.hidden || !el.closest("details").open || el.closest(".ws-section").hidden) return false;
    const r = el.getBoundingClientRect();
    return r.bottom > -200 && r.top < window.innerHeight + 200;
  }

  const observer = window.IntersectionObserver ? new IntersectionObserver(function () { loadInView(); },
    { rootMargin: "200px" }) : null;

  let pending = 0;
  // single-metric line panels on the same x axis share a request; system panels read each
  // run's events stream once per request, so more of them share one
  const BATCH = { line: 4, system: 16 };

  function loadInView() {
    const wanted = [];
    panels.forEach(function (p) { if (p.stale && inView(p.el)) wanted.push(p); });
    const batches = new Map();
    wanted.forEach(function (p) {
      if (!BATCH[p.panel.kind] || p.panel.keys.length !== 1 || rangeOf(p)) { load([p]); return; }
      const x = p.panel.kind + " " + xFor(p.panel);
      if (!batches.has(x)) batches.set(x, []);
      batches.get(x).push(p);
    });
    batches.forEach(function (list) {
      const size = BATCH[list[0].panel.kind];
      for (let i = 0; i < list.length; i += size) load(list.slice(i, i + size));
    });
    if (!pending) markDrawn();
  }

  function panelUrl(kind, keys, x, type) {
    const runs = shownRuns();
    let url = base + "/panels/" + WB.enc(kind) + "?keys=" + keys.map(WB.enc).join(",") + "&x=" + WB.enc(x);
    if (type) url += "&type=" + WB.enc(type);
    if (layout.groupBy.length) url += "&group=" + layout.groupBy.map(WB.enc).join(",");
    return url + runs.map(function (r) { return "&runs=" + WB.enc(r.name); }).join("");
  }

  /* A drag on a line or system panel asks the server for that x range alone (finer points
     where the whole range came downsampled); a double click goes back to the whole range. A
     range belongs to the x axis it was drawn on. */
  function zoom(p, lo, hi) {
    p.range = lo == null ? null : { x: xFor(p.panel), lo: lo, hi: hi };
    load([p]);
  }
  function rangeOf(p) { return p.range && p.range.x === xFor(p.panel) ? p.range : null; }

  /* one request for LIST (panels of one kind and x axis); each panel keeps its keys' part */
  async function load(list) {
    list.forEach(function (p) { p.stale = false; });
    const first = list[0];
    if (!first.panel.kind || !WB.panels.get(first.panel.kind)) {
      first.body.replaceChildren();
      first.note.textContent = WB.t("no viewer yet for") + " " + (first.panel.type || "?");
      return;
    }
    const keys = [];
    list.forEach(function (p) { p.panel.keys.forEach(function (k) { if (keys.indexOf(k) < 0) keys.push(k); }); });
    pending += 1;
    try {
      let url = panelUrl(first.panel.kind, keys, xFor(first.panel), first.panel.type);
      const range = list.length === 1 ? rangeOf(first) : null;
      if (range) url += "&min=" + WB.enc(range.lo) + "&max=" + WB.enc(range.hi);
      const body = await WB.getJSON(url);
      list.forEach(function (p) {
        const part = Object.assign({}, body, { keys: {} });
        p.panel.keys.forEach(function (k) { part.keys[k] = body.keys[k]; });
        p.data = part;
        WB.panelData[p.panel.id] = part;
        draw(p);
      });
    } catch (err) {
      list.forEach(function (p) { p.note.textContent = WB.t("could not load:") + " " + err.message; });
    } finally {
      pending -= 1;
      if (!pending) markDrawn();
    }
  }

  function ctxFor(p) {
    return { panel: p.panel, runs: runsByName, t: WB.t,
             zoom: function (lo, hi) { zoom(p, lo, hi); },
             view: { xAxis: xFor(p.panel), smoothing: layout.smoothing, logY: layout.logY, band: layout.band } };
  }

  function draw(p) {
    if (!p.data) return;
    const started = performance.now();
    if (p.handle && p.handle.destroy) p.handle.destroy();
    p.body.replaceChildren();
    p.handle = WB.panels.get(p.panel.kind).render(p.body, p.data, ctxFor(p)) || null;
    p.xEl.textContent = p.panel.kind === "line" || p.panel.kind === "system" ? xFor(p.panel) : "";
    if (p.handle && p.handle.points != null) {
      p.note.textContent = p.handle.lines + " " + WB.t("lines") + " · " + p.handle.points + " " + WB.t("points") +
        (rangeOf(p) ? " · " + WB.t("zoomed") : "");
      p.el.dataset.zoomed = rangeOf(p) ? "1" : "";
      p.el.dataset.points = String(p.handle.points);
      p.el.dataset.lines = String(p.handle.lines);
    }
    p.el.dataset.drawMs = (performance.now() - started).toFixed(1);
    p.el.dataset.drawn = String(Number(p.el.dataset.drawn || 0) + 1);
  }

  function redrawAll() {
    panels.forEach(function (p) {
      if (!p.stale && !(WB.panels.get(p.panel.kind) || {}).viewIndependent) draw(p);
    });
  }
  function refetchAll() { panels.forEach(function (p) { p.stale = true; }); loadInView(); }

  function markDrawn() {
    if (document.body.dataset.loaded === "1" || !info) return;
    document.body.dataset.loaded = "1";
    WB.drawnAt = performance.now();
  }

  /* ---- controls ---- */
  function controls() {
    const x = $("ws-x-axis");
    info.metrics.forEach(function (m) {
      const o = document.createElement("option");
      o.value = m.key;
      o.textContent = m.key;
      x.appendChild(o);
    });
    x.value = layout.xAxis;
    if (x.value !== layout.xAxis) { layout.xAxis = "step"; x.value = "step"; }
    x.addEventListener("change", function () { layout.xAxis = x.value; save(); refetchAll(); });
    const smoothing = $("ws-smoothing");
    smoothing.value = String(layout.smoothing);
    $("ws-smoothing-value").textContent = String(layout.smoothing);
    smoothing.addEventListener("input", function () {
      layout.smoothing = Number(smoothing.value);
      $("ws-smoothing-value").textContent = smoothing.value;
      save();
      redrawAll();
    });
    $("ws-log").checked = layout.logY;
    $("ws-log").addEventListener("change", function () { layout.logY = $("ws-log").checked; save(); redrawAll(); });
    const band = $("ws-band");
    band.value = layout.band;
    band.addEventListener("change", function () { layout.band = band.value; save(); redrawAll(); });
    const group = $("ws-group");
    info.configKeys.forEach(function (k) {
      const o = document.createElement("option");
      o.value = "config." + k;
      o.textContent = "config." + k;
      group.appendChild(o);
    });
    Array.from(group.options).forEach(function (o) { o.selected = layout.groupBy.indexOf(o.value) >= 0; });
    group.addEventListener("change", function () {
      layout.groupBy = Array.from(group.selectedOptions).map(function (o) { return o.value; }).filter(Boolean);
      band.disabled = !layout.groupBy.length;
      save();
      refetchAll();
    });
    band.disabled = !layout.groupBy.length;
    $("ws-panel-search").addEventListener("input", filterPanels);
    $("ws-run-search").addEventListener("input", function () { refilter(); refetchAll(); });
    $("ws-run-state").addEventListener("change", function () { refilter(); refetchAll(); });
    $("ws-run-list").addEventListener("scroll", drawRows, { passive: true });
    $("ws-show-all").addEventListener("click", function () {
      listed.slice(0, MAX_SHOWN).forEach(function (r) { visible.add(r.name); });
      layout.visible = Array.from(visible);
      runsChanged();
    });
    $("ws-hide-all").addEventListener("click", function () {
      listed.forEach(function (r) { visible.delete(r.name); });
      layout.visible = Array.from(visible);
      runsChanged();
    });
    const add = $("ws-add-keys");
    info.metrics.forEach(function (m) {
      const o = document.createElement("option");
      o.value = m.key;
      o.textContent = m.key;
      add.appendChild(o);
    });
    $("ws-add-form").addEventListener("submit", function (event) {
      event.preventDefault();
      const kind = $("ws-add-kind").value; // line, or a sweep analysis of one metric
      const keys = Array.from(add.selectedOptions).map(function (o) { return o.value; }).slice(0, kind === "line" ? 16 : 1);
      if (!keys.length) return;
      layout.panels.push({ id: "custom:" + Date.now().toString(36), kind: kind, section: "custom", keys: keys,
                           title: kind === "line" ? keys.join(", ") : kind + ": " + keys[0] });
      save();
      build();
    });
    window.addEventListener("scroll", loadInView, { passive: true });
  }

  async function start() {
    info = page.overview || await WB.getJSON(base + "/workspace");
    info.metricsByKey = new Map(info.metrics.map(function (m) { return [m.key, m]; }));
    layout = Object.assign({}, DEFAULTS, info.layout || {});
    layout.collapsed = layout.collapsed.slice(); // never the defaults' own list
    info.runs.forEach(function (r) {
      if (layout.colours[r.name]) r.colour = layout.colours[r.name];
      runsByName.set(r.name, r);
    });
    // the newest runs the overview brought (those after them came for the saved layout)
    info.newestLoaded = Math.min(info.defaultVisible, info.runCount);
    visible = new Set(layout.visible || info.runs.slice(0, info.defaultVisible).map(function (r) { return r.name; }));
    WB.workspace = { layout: function () { return layout; }, info: info };
    controls();
    refilter();
    build();
    loadInView();
    // live: while a run of the project is running, the panels in view refresh and new keys
    // and runs appear every LIVE_MS; otherwise new runs and keys are looked for every IDLE_MS
    let waited = 0;
    setInterval(function () {
      waited += LIVE_MS;
      const live = info.runs.some(function (r) { return r.state === "running"; });
      if (document.hidden || pending || (!live && waited < IDLE_MS)) return;
      waited = 0;
      const shownLive = shownRuns().some(function (r) { return r.state === "running"; });
      refresh().then(function (newRuns) { if (shownLive || newRuns) refetchAll(); })
        .catch(function (err) { $("ws-status").textContent = WB.t("live update paused:") + " " + err.message; });
    }, LIVE_MS);
  }

  /* the overview again: run states, new runs, new keys (their panels added); true when a
     new run is shown */
  async function refresh() {
    const fresh = await WB.getJSON(base + "/workspace");
    let newRuns = false;
    let added = 0;
    fresh.runs.forEach(function (r) {
      if (layout.colours[r.name]) r.colour = layout.colours[r.name];
      if (!runsByName.has(r.name)) {
        added += 1;
        if (!layout.visible) { visible.add(r.name); newRuns = true; } // the default: newest shown
      }
      runsByName.set(r.name, r); // its state as now
    });
    const freshNames = new Set(fresh.runs.map(function (r) { return r.name; }));
    info.runs = fresh.runs.concat(info.runs.filter(function (r) { return !freshNames.has(r.name); }));
    info.newestLoaded = Math.min(fresh.runCount, Math.max(info.newestLoaded + added, fresh.defaultVisible));
    info.runCount = fresh.runCount;
    if (remote && added) remote = null; // a search asks again: new runs may match
    const newMetrics = fresh.metrics.filter(function (m) { return !info.metricsByKey.has(m.key); });
    info.metrics = fresh.metrics;
    info.metricsByKey = new Map(info.metrics.map(function (m) { return [m.key, m]; }));
    info.media = fresh.media;
    info.charts = fresh.charts;
    info.system = fresh.system;
    newMetrics.forEach(function (m) { ["ws-x-axis", "ws-add-keys"].forEach(function (id) { addOption($(id), m.key); }); });
    refilter();
    addNewPanels();
    return newRuns;
  }

  function addOption(select, value) {
    const o = document.createElement("option");
    o.value = value;
    o.textContent = value;
    select.appendChild(o);
  }

  start().catch(function (err) { $("ws-status").textContent = WB.t("could not load:") + " " + err.message; });
})();
