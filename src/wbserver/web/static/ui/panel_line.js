/* The line panel: every visible run's line for one or more metrics (uPlot's mode 2: each
   run keeps its own x values, so 200 runs cost 200 short arrays, not one wide table), or
   grouped runs as a mean with a band (min/max, std dev or std err). Hover lists the lines
   nearest the cursor and highlights the nearest. */
(function () {
  "use strict";
  const WB = window.WB;

  function nearestIndex(xs, x) {
    let lo = 0;
    let hi = xs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (xs[mid] < x) lo = mid + 1; else hi = mid;
    }
    if (lo > 0 && Math.abs(xs[lo - 1] - x) < Math.abs(xs[lo] - x)) lo -= 1;
    return lo;
  }

  function xValues(axis) {
    if (axis === "runtime") return function (u, vals) { return vals.map(WB.duration); };
    if (axis === "wall") return undefined;
    return WB.tickValues;
  }

  function size(el) { return { width: Math.max(200, el.clientWidth), height: 220 }; }

  function observe(el, get) {
    if (!window.ResizeObserver) return null;
    const ro = new ResizeObserver(function () { const p = get(); if (p) p.setSize(size(el)); });
    ro.observe(el);
    return ro;
  }

  function drawRuns(container, data, ctx) {
    const view = ctx.view;
    const series = [{}];
    const tables = [null];
    const meta = [null];
    const multi = ctx.panel.keys.length > 1;
    let points = 0;
    ctx.panel.keys.forEach(function (key, k) {
      ((data.keys[key] || {}).runs || []).forEach(function (line) {
        const run = ctx.runs.get(line.name) || { displayName: line.name, colour: "#888" };
        let ys = WB.smooth(line.y, view.smoothing);
        if (view.logY) ys = ys.map(function (y) { return y > 0 ? y : null; });
        tables.push([line.x, ys]);
        points += line.x.length;
        const label = multi ? run.displayName + " · " + key : run.displayName;
        meta.push({ label: label, colour: run.colour, name: line.name, key: key });
        series.push({
          label: label, stroke: run.colour, width: 1.25, dash: k > 0 ? [6, 3] : undefined,
          paths: uPlot.paths.linear(), points: { show: false },
          facets: [{ scale: "x", auto: true, sorted: 1 }, { scale: "y", auto: true }],
        });
      });
    });
    const plotEl = document.createElement("div");
    plotEl.className = "plot";
    container.appendChild(plotEl);
    let plot = null;
    const opts = Object.assign(size(plotEl), {
      mode: 2,
      series: series,
      scales: { x: { time: view.xAxis === "wall" }, y: { distr: view.logY ? 3 : 1 } },
      axes: [{ values: xValues(view.xAxis) }, { size: 60, values: WB.tickValues }],
      legend: { show: false },
      focus: { alpha: 0.25 },
      // a drag asks the workspace for that range (ctx.zoom), else zooms on the points drawn
      cursor: { drag: { x: true, y: false, setScale: !ctx.zoom }, focus: { prox: 1e9 } },
      hooks: ctx.zoom ? { setSelect: [function (u) {
        const width = u.select.width;
        if (width < 4) return;
        const lo = u.posToVal(u.select.left, "x");
        const hi = u.posToVal(u.select.left + width, "x");
        u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
        ctx.zoom(lo, hi);
      }] } : {},
      plugins: [WB.hoverPlugin(function (u, left, top) {
        const x = u.posToVal(left, "x");
        const out = [];
        for (let i = 1; i < tables.length; i++) {
          const xs = tables[i][0];
          if (!xs.length || x < xs[0] || x > xs[xs.length - 1]) continue;
          const j = nearestIndex(xs, x);
          const y = tables[i][1][j];
          if (y == null) continue;
          out.push({ label: meta[i].label, colour: meta[i].colour, value: y, series: i,
                     dist: Math.abs(u.valToPos(y, "y") - top),
                     xLabel: view.xAxis + " " + (view.xAxis === "wall" ? new Date(xs[j] * 1000).toISOString() : WB.fmt(xs[j], 6)) });
        }
        return out;
      }, 10)],
    });
    plot = new uPlot(opts, tables, plotEl);
    plot.over.addEventListener("dblclick", function () {
      if (ctx.zoom) { ctx.zoom(null, null); return; }
      plot.setScale("x", { min: null, max: null }); plot.redraw();
    });
    const ro = observe(plotEl, function () { return plot; });
    return { plot: plot, points: points, lines: tables.length - 1,
             destroy: function () { if (ro) ro.disconnect(); plot.destroy(); } };
  }

  function bandOf(group, band) {
    if (band === "stddev" || band === "stderr") {
      const lo = [];
      const hi = [];
      group.mean.forEach(function (m, i) {
        const spread = band === "stddev" ? group.std[i] : group.std[i] / Math.sqrt(Math.max(1, group.n[i]));
        lo.push(m == null ? null : m - spread);
        hi.push(m == null ? null : m + spread);
      });
      return [lo, hi];
    }
    return [group.min, group.max];
  }

  function drawGroups(container, data, ctx) {
    const lines = [];
    ctx.panel.keys.forEach(function (key) {
      ((data.keys[key] || {}).groups || []).forEach(function (g) {
        const [lo, hi] = bandOf(g, ctx.view.band);
        lines.push({ label: g.label + " (" + g.runs.length + ")" + (ctx.panel.keys.length > 1 ? " · " + key : ""),
                     colour: g.colour, x: g.x, y: g.mean, min: lo, max: hi });
      });
    });
    const chart = new WB.Chart(container, ctx.panel.id, function (c, lo, hi) { if (ctx.zoom) ctx.zoom(lo, hi); });
    chart.el.querySelector("h3").remove();
    chart.draw(lines, ctx.view);
    const points = lines.reduce(function (n, l) { return n + l.x.length; }, 0);
    return { plot: chart.plot, points: points, lines: lines.length, destroy: function () { chart.destroy(); } };
  }

  WB.panels.register("line", {
    types: ["number"],
    render: function (container, data, ctx) {
      const grouped = Object.keys(data.keys).some(function (k) { return data.keys[k].groups; });
      return grouped ? drawGroups(container, data, ctx) : drawRuns(container, data, ctx);
    },
  });
})();
