/* Sweep analysis charts, drawn as SVG: parallel coordinates over config keys and a metric,
   parameter importance (random forest and correlation per key) and a scatter of the metric
   against one config key. `data` is domain/sweep_analysis.py's answer ({metric, runs: [{name,
   displayName, metric, config}], params: [{key, type, importance, correlation, levels?}],
   message}). Used by the sweep page (WB.sweepCharts) and as the workspace panel kinds
   "parallel", "importance" and "scatter" (the panel's first key is the metric). */
(function () {
  "use strict";
  const WB = (window.WB = window.WB || {});
  const SVG = "http://www.w3.org/2000/svg";
  const MAX_AXES = 10;

  function el(name, attrs, parent) {
    const node = document.createElementNS(SVG, name);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, String(attrs[k])); });
    if (parent) parent.appendChild(node);
    return node;
  }
  function text(parent, x, y, s, anchor, cls) {
    const t = el("text", { x: x, y: y, "text-anchor": anchor || "middle", class: cls || "" }, parent);
    t.textContent = s;
    return t;
  }
  function num(v) { return WB.fmtNumber ? WB.fmtNumber(v) : String(v); }
  function label(v) {
    if (v === null || v === undefined) return "(none)";
    if (typeof v === "number") return num(v);
    if (typeof v === "boolean") return v ? "true" : "false";
    return typeof v === "string" ? v : JSON.stringify(v);
  }
  /* the answer's message in the page's language */
  function message(data) {
    if (data.messageId === "too_few") {
      return WB.fmt(WB.t("Parameter importance needs at least %(min)s runs with a value of %(metric)s; %(scored)s of %(total)s have one."),
                    { min: 3, metric: data.metric, scored: data.scored, total: data.runs.length });
    }
    if (data.messageId === "no_varying") return WB.t("No config key varies between these runs.");
    if (data.messageId === "no_metric") return WB.t("These runs have no numeric summary value to analyse.");
    return data.message || "";
  }
  function note(container, s) {
    const p = document.createElement("p");
    p.className = "muted small sweep-note";
    p.textContent = s;
    container.appendChild(p);
    return p;
  }
  function svgIn(container, height) {
    const width = Math.max(320, container.clientWidth || 600);
    const svg = el("svg", { width: width, height: height, viewBox: "0 0 " + width + " " + height,
                            class: "sweep-svg", role: "img" });
    container.appendChild(svg);
    return { svg: svg, width: width, height: height };
  }

  /* colour of a metric value: blue (low) .. yellow (high), through the viridis-like stops */
  const STOPS = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
  function colour(t) {
    if (t == null || !isFinite(t)) return "#b0b0b0";
    const x = Math.min(1, Math.max(0, t)) * (STOPS.length - 1);
    const i = Math.min(STOPS.length - 2, Math.floor(x));
    const f = x - i;
    const c = STOPS[i].map(function (a, k) { return Math.round(a + (STOPS[i + 1][k] - a) * f); });
    return "rgb(" + c.join(",") + ")";
  }

  /* an axis: value -> 0..1, and its tick labels */
  function scale(values, param) {
    const present = values.filter(function (v) { return v !== null && v !== undefined; });
    if (param && param.type === "categorical") {
      const levels = (param.levels || []).slice();
      present.forEach(function (v) { if (levels.indexOf(label(v)) < 0) levels.push(label(v)); });
      if (values.some(function (v) { return v == null; }) && levels.indexOf("(none)") < 0) levels.push("(none)");
      const at = function (v) {
        const i = levels.indexOf(label(v));
        return levels.length < 2 ? 0.5 : (i < 0 ? levels.length - 1 : i) / (levels.length - 1);
      };
      return { at: at, ticks: levels.map(function (l) { return [at(l === "(none)" ? null : l), l]; }), kind: "cat" };
    }
    const nums = present.filter(function (v) { return typeof v === "number" && isFinite(v); });
    let lo = Math.min.apply(null, nums);
    let hi = Math.max.apply(null, nums);
    const log = lo > 0 && hi / lo >= 100;
    const f = log ? Math.log10 : function (v) { return v; };
    if (!nums.length) { lo = 0; hi = 1; }
    const span = f(hi) - f(lo) || 1;
    const at = function (v) { return typeof v === "number" && isFinite(v) ? (f(v) - f(lo)) / span : null; };
    const mid = log ? Math.pow(10, (f(lo) + f(hi)) / 2) : (lo + hi) / 2;
    return { at: at, ticks: nums.length ? [[0, num(lo)], [at(mid), num(mid)], [1, num(hi)]] : [], kind: log ? "log" : "lin" };
  }

  function metricScale(runs) {
    const ys = runs.map(function (r) { return r.metric; }).filter(function (v) { return v != null; });
    const lo = Math.min.apply(null, ys);
    const hi = Math.max.apply(null, ys);
    return function (v) { return v == null ? null : (hi > lo ? (v - lo) / (hi - lo) : 0.5); };
  }

  function parallel(container, data) {
    if (data.message && !data.runs.length) { note(container, message(data)); return { axes: [] }; }
    const params = data.params.slice(0, MAX_AXES);
    const axes = params.map(function (p) { return { key: p.key, param: p }; });
    axes.push({ key: data.metric, param: null, metric: true });
    const box = svgIn(container, 300);
    const top = 34, bottom = 24, left = 40, right = 50;
    const h = box.height - top - bottom;
    const step = (box.width - left - right) / Math.max(1, axes.length - 1);
    axes.forEach(function (a, i) {
      a.x = left + i * step;
      const values = data.runs.map(function (r) { return a.metric ? r.metric : r.config[a.key]; });
      a.scale = scale(values, a.param);
    });
    const tint = metricScale(data.runs);
    const lines = el("g", { class: "pc-lines" }, box.svg);
    // unscored runs first, so the coloured lines lie on top
    const order = data.runs.slice().sort(function (a, b) { return (a.metric == null ? 0 : 1) - (b.metric == null ? 0 : 1); });
    order.forEach(function (run) {
      const points = [];
      axes.forEach(function (a) {
        const t = a.scale.at(a.metric ? run.metric : run.config[a.key]);
        if (t != null) points.push(a.x.toFixed(1) + "," + (top + (1 - t) * h).toFixed(1));
      });
      const line = el("polyline", { points: points.join(" "), fill: "none",
                                    stroke: colour(tint(run.metric)), "stroke-width": 1.4,
                                    "stroke-opacity": 0.8, "data-run": run.name }, lines);
      if (run.metric == null) line.setAttribute("stroke-dasharray", "3 3");
      const title = el("title", {}, line);
      title.textContent = run.displayName + " · " + data.metric + " = " + (run.metric == null ? "—" : num(run.metric));
    });
    axes.forEach(function (a) {
      const g = el("g", { class: "pc-axis", "data-key": a.key }, box.svg);
      el("line", { x1: a.x, x2: a.x, y1: top, y2: top + h, stroke: "#555", "stroke-width": 1 }, g);
      const name = a.key.length > 18 ? a.key.slice(0, 17) + "…" : a.key;
      text(g, a.x, 14, name, "middle", a.metric ? "pc-metric" : "pc-name");
      a.scale.ticks.forEach(function (t) {
        const y = top + (1 - t[0]) * h;
        el("line", { x1: a.x - 3, x2: a.x + 3, y1: y, y2: y, stroke: "#555" }, g);
        text(g, a.x + 5, y + 3, t[1], "start", "pc-tick");
      });
    });
    if (data.missing) note(container, WB.fmt(WB.t("%(count)s runs without %(metric)s (dashed)"), { count: data.missing, metric: data.metric }));
    return { axes: axes.map(function (a) { return a.key; }), lines: order.length };
  }

  function bar(value, signed) {
    const outer = document.createElement("span");
    outer.className = "imp-bar" + (signed ? " signed" : "");
    const inner = document.createElement("span");
    inner.className = value < 0 ? "neg" : "pos";
    const w = Math.min(100, Math.abs(value) * 100);
    inner.style.width = (signed ? w / 2 : w) + "%";
    if (signed && value >= 0) inner.style.marginLeft = "50%";
    if (signed && value < 0) inner.style.marginLeft = (50 - w / 2) + "%";
    outer.appendChild(inner);
    return outer;
  }

  function importance(container, data) {
    if (data.message) note(container, message(data));
    if (!data.params.length) return { rows: [] };
    const table = document.createElement("table");
    table.className = "importance";
    const head = table.createTHead().insertRow();
    [WB.t("Parameter"), WB.t("Importance"), WB.t("Correlation")].forEach(function (s) {
      const th = document.createElement("th");
      th.scope = "col";
      th.textContent = s;
      head.appendChild(th);
    });
    const body = table.createTBody();
    data.params.forEach(function (p) {
      const tr = body.insertRow();
      tr.dataset.key = p.key;
      tr.insertCell().textContent = p.key + (p.strongestLevel ? " = " + p.strongestLevel : "");
      [p.importance, p.correlation].forEach(function (v, i) {
        const td = tr.insertCell();
        if (v == null) { td.textContent = "—"; return; }
        const value = document.createElement("span");
        value.className = "imp-value";
        value.textContent = v.toFixed(3);
        td.append(bar(v, i === 1), value);
      });
    });
    container.appendChild(table);
    if (data.constant && data.constant.length) {
      note(container, WB.t("Same in every run:") + " " + data.constant.join(", "));
    }
    return { rows: data.params.map(function (p) { return p.key; }) };
  }

  function scatter(container, data, chosen) {
    if (!data.params.length) { note(container, message(data) || WB.t("No config key varies between these runs.")); return { dots: 0 }; }
    const wrap = document.createElement("div");
    const pick = document.createElement("select");
    pick.className = "scatter-key";
    pick.setAttribute("aria-label", WB.t("Config key"));
    data.params.forEach(function (p) {
      const o = document.createElement("option");
      o.value = o.textContent = p.key;
      pick.appendChild(o);
    });
    pick.value = chosen && data.params.some(function (p) { return p.key === chosen; }) ? chosen : data.params[0].key;
    const plot = document.createElement("div");
    wrap.append(pick, plot);
    container.appendChild(wrap);
    const handle = { dots: 0, key: pick.value };
    function draw() {
      plot.replaceChildren();
      const param = data.params.find(function (p) { return p.key === pick.value; });
      const runs = data.runs.filter(function (r) { return r.metric != null; });
      const xs = scale(runs.map(function (r) { return r.config[param.key]; }), param);
      const ys = scale(runs.map(function (r) { return r.metric; }), null);
      const box = svgIn(plot, 260);
      const left = 60, right = 16, top = 10, bottom = 40;
      const w = box.width - left - right, h = box.height - top - bottom;
      el("rect", { x: left, y: top, width: w, height: h, fill: "none", stroke: "#ccc" }, box.svg);
      const pad = function (s) { // keep dots off the frame: 0..1 -> 0.05..0.95
        const at = s.at;
        s.at = function (v) { const t = at(v); return t == null ? null : 0.05 + 0.9 * t; };
        s.ticks = s.ticks.map(function (t) { return [0.05 + 0.9 * t[0], t[1]]; });
        return s;
      };
      pad(xs);
      pad(ys);
      xs.ticks.forEach(function (t) { text(box.svg, left + t[0] * w, top + h + 14, t[1], "middle", "pc-tick"); });
      ys.ticks.forEach(function (t) { text(box.svg, left - 4, top + (1 - t[0]) * h + 3, t[1], "end", "pc-tick"); });
      text(box.svg, left + w / 2, box.height - 4, param.key, "middle", "pc-name");
      const tint = metricScale(runs);
      const dots = el("g", { class: "scatter-points" }, box.svg);
      runs.forEach(function (r) {
        const x = xs.at(r.config[param.key]);
        if (x == null) return;
        const dot = el("circle", { cx: (left + x * w).toFixed(1), cy: (top + (1 - ys.at(r.metric)) * h).toFixed(1),
                                   r: 4, fill: colour(tint(r.metric)), stroke: "#333", "stroke-width": 0.5,
                                   "data-run": r.name, "data-x": label(r.config[param.key]), "data-y": r.metric }, dots);
        el("title", {}, dot).textContent = r.displayName + ": " + param.key + " = " + label(r.config[param.key]) +
          ", " + data.metric + " = " + num(r.metric);
      });
      handle.dots = dots.childElementCount;
      handle.key = param.key;
      container.dataset.scatterKey = param.key;
      container.dataset.dots = String(handle.dots);
    }
    pick.addEventListener("change", draw);
    draw();
    return handle;
  }

  WB.sweepCharts = { parallel: parallel, importance: importance, scatter: scatter, colour: colour, message: message };

  function panelData(data, ctx) { return data.keys[ctx.panel.keys[0]]; }
  if (WB.panels) {
    WB.panels.register("parallel", { types: [], render: function (c, data, ctx) { return parallel(c, panelData(data, ctx)); } });
    WB.panels.register("importance", { types: [], render: function (c, data, ctx) { return importance(c, panelData(data, ctx)); } });
    WB.panels.register("scatter", { types: [], render: function (c, data, ctx) { return scatter(c, panelData(data, ctx), ctx.panel.param); } });
  }
})();
