/* Line charts on the vendored uPlot: several lines (or group means with a min/max band),
   smoothing, log scale, an x axis of step, relative time or wall time, and drag-to-zoom that
   asks the page for finer data. Everything comes from this server. */
(function () {
  "use strict";
  const WB = (window.WB = window.WB || {});

  WB.enc = encodeURIComponent;

  /* a visible text in the page's language (base.html's #ui-text block; English otherwise) */
  const uiText = document.getElementById("ui-text");
  const texts = uiText ? JSON.parse(uiText.textContent) : {};
  WB.t = function (s) { return texts[s] || s; };

  WB.getJSON = async function (url) {
    const response = await fetch(url, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) {
      let message = response.status + " " + response.statusText;
      try {
        message = (await response.json()).error || message;
      } catch (e) {
        /* not JSON */
      }
      throw new Error(message);
    }
    return response.json();
  };

  /* TensorBoard-style debiased exponential moving average; gaps stay gaps. */
  WB.smooth = function (ys, weight) {
    if (!weight) return ys;
    const out = new Array(ys.length);
    let last = 0;
    let count = 0;
    for (let i = 0; i < ys.length; i++) {
      const y = ys[i];
      if (y == null || !isFinite(y)) {
        out[i] = y;
        continue;
      }
      last = last * weight + (1 - weight) * y;
      count += 1;
      out[i] = last / (1 - Math.pow(weight, count));
    }
    return out;
  };

  WB.duration = function (seconds) {
    const s = Math.round(seconds);
    if (Math.abs(s) < 60) return s + "s";
    if (Math.abs(s) < 3600) return Math.floor(s / 60) + "m" + (s % 60 ? " " + (s % 60) + "s" : "");
    if (Math.abs(s) < 86400) return Math.floor(s / 3600) + "h" + (s % 3600 >= 60 ? " " + Math.floor((s % 3600) / 60) + "m" : "");
    return Math.floor(s / 86400) + "d " + Math.floor((s % 86400) / 3600) + "h";
  };

  /* A number with significant digits: 1e-4 stays 1e-4 (never 0), 0.000123 reads 1.23e-4. */
  WB.fmtNumber = function (v, digits) {
    if (v == null || !isFinite(v)) return v == null ? "" : String(v);
    if (v === 0) return "0";
    const a = Math.abs(v);
    if (a < 1e-3 || a >= 1e7) {
      return Number(v.toPrecision(digits || 3)).toExponential().replace(/\.?0+e/, "e").replace("e+", "e");
    }
    return String(Number(v.toPrecision(digits || 4)));
  };
  WB.fmt = WB.fmtNumber;
  WB.tickValues = function (u, vals) { return vals.map(function (v) { return WB.fmtNumber(v, 4); }); };

  /* Hover for any number of lines: the nearest line is highlighted and the box lists the
     TOP lines nearest the cursor with their names and values. rows(u, left, top) gives
     [{label, colour, value, dist, series}] for the cursor's position. */
  WB.hoverPlugin = function (rows, top) {
    let box = null;
    let focused = -1;
    return {
      hooks: {
        init: function (u) {
          box = document.createElement("div");
          box.className = "hover-box";
          box.hidden = true;
          u.over.appendChild(box);
          u.over.addEventListener("mouseleave", function () { box.hidden = true; });
        },
        setCursor: function (u) {
          const left = u.cursor.left;
          const topPx = u.cursor.top;
          if (left == null || left < 0) { box.hidden = true; return; }
          const found = rows(u, left, topPx).filter(function (r) { return r.value != null && isFinite(r.value); });
          if (!found.length) { box.hidden = true; return; }
          found.sort(function (a, b) { return a.dist - b.dist; });
          const near = found[0];
          if (near.series !== focused && near.series != null && found.length > 1) {
            focused = near.series;
            u.setSeries(near.series, { focus: true });
          }
          const shown = found.slice(0, top || 10).sort(function (a, b) { return b.value - a.value; });
          box.replaceChildren();
          const head = document.createElement("div");
          head.textContent = near.xLabel || "";
          box.appendChild(head);
          shown.forEach(function (r) {
            const line = document.createElement("div");
            if (r === near) line.className = "near";
            const sw = document.createElement("span");
            sw.className = "sw";
            sw.style.background = r.colour;
            line.append(sw, document.createTextNode(r.label + ": " + WB.fmt(r.value, 5) + (r.extra || "")));
            box.appendChild(line);
          });
          if (found.length > shown.length) {
            const more = document.createElement("div");
            more.textContent = "+" + (found.length - shown.length) + " " + WB.t("more");
            box.appendChild(more);
          }
          box.hidden = false;
          const width = u.over.clientWidth;
          box.style.left = (left > width / 2 ? Math.max(0, left - box.offsetWidth - 12) : left + 12) + "px";
          box.style.top = Math.max(0, Math.min(topPx, u.over.clientHeight - box.offsetHeight)) + "px";
        },
      },
    };
  };

  function fade(colour, alpha) {
    const n = parseInt(colour.slice(1), 16);
    return "rgba(" + ((n >> 16) & 255) + "," + ((n >> 8) & 255) + "," + (n & 255) + "," + alpha + ")";
  }

  function positive(ys) {
    return ys.map(function (y) {
      return y != null && y > 0 ? y : null;
    });
  }

  /* One chart card: a title, the plot, a note (points shown of how many). */
  WB.Chart = class {
    constructor(parent, key, onZoom) {
      this.key = key;
      this.onZoom = onZoom;
      this.el = document.createElement("figure");
      this.el.className = "chart";
      this.el.dataset.key = key;
      this.el.style.margin = "0";
      const title = document.createElement("h3");
      title.textContent = key;
      this.plotEl = document.createElement("div");
      this.plotEl.className = "plot";
      this.note = document.createElement("figcaption");
      this.note.className = "note";
      this.el.append(title, this.plotEl, this.note);
      parent.appendChild(this.el);
      this.plot = null;
      const chart = this;
      if (window.ResizeObserver) {
        new ResizeObserver(function () {
          if (chart.plot) chart.plot.setSize(chart.size());
        }).observe(this.plotEl);
      }
    }

    size() {
      return { width: Math.max(200, this.plotEl.clientWidth), height: 220 };
    }

    /* lines: [{label, colour, x, y}] or, for a group, [{label, colour, x, y, min, max}];
       view: {xAxis: "step"|"runtime"|"wall", smoothing: 0..0.99, logY: bool} */
    draw(lines, view) {
      const started = performance.now();
      const tables = [];
      const series = [{ label: view.xAxis === "wall" ? "time" : view.xAxis }];
      const bands = [];
      let points = 0;
      lines.forEach(function (line) {
        const fix = view.logY ? positive : function (v) { return v; };
        points += line.x.length;
        if (line.min) {
          const base = series.length;
          tables.push([line.x, fix(WB.smooth(line.y, view.smoothing)), fix(line.min), fix(line.max)]);
          series.push({ label: line.label + " (mean)", stroke: line.colour, width: 2, spanGaps: true });
          series.push({ label: line.label + " min", stroke: fade(line.colour, 0.35), width: 1, spanGaps: true });
          series.push({ label: line.label + " max", stroke: fade(line.colour, 0.35), width: 1, spanGaps: true });
          bands.push({ series: [base + 2, base + 1], fill: fade(line.colour, 0.15) });
        } else if (view.smoothing > 0) {
          tables.push([line.x, fix(WB.smooth(line.y, view.smoothing)), fix(line.y)]);
          series.push({ label: line.label, stroke: line.colour, width: 2, spanGaps: true });
          series.push({ label: line.label + " (raw)", stroke: fade(line.colour, 0.25), width: 1, spanGaps: true });
        } else {
          tables.push([line.x, fix(line.y)]);
          series.push({ label: line.label, stroke: line.colour, width: 1.5, spanGaps: true });
        }
      });
      const data = tables.length === 0 ? [[]] : tables.length === 1 ? tables[0] : uPlot.join(tables);
      const chart = this;
      const xValues = view.xAxis === "runtime" ? function (u, vals) { return vals.map(WB.duration); }
        : view.xAxis === "wall" ? undefined : WB.tickValues;
      const labels = series.map(function (s) { return s.label; });
      const colours = series.map(function (s) { return s.stroke; });
      const opts = Object.assign(this.size(), {
        series: series,
        bands: bands,
        scales: { x: { time: view.xAxis === "wall" }, y: { distr: view.logY ? 3 : 1 } },
        axes: [{ values: xValues }, { size: 60, values: WB.tickValues }],
        legend: { show: bands.length === 0 && series.length <= 9, live: true },
        focus: { alpha: 0.35 },
        plugins: series.length > 9 || bands.length ? [WB.hoverPlugin(function (u, left, top) {
          const idx = u.cursor.idx;
          if (idx == null) return [];
          const out = [];
          for (let i = 1; i < u.series.length; i++) {
            const v = u.data[i][idx];
            if (v == null || / (min|max|\(raw\))$/.test(labels[i])) continue;
            out.push({ label: labels[i], colour: colours[i] || "#888", value: v, series: i,
                       dist: Math.abs(u.valToPos(v, "y") - top), xLabel: WB.fmt(u.data[0][idx], 6) });
          }
          return out;
        })] : [],
        cursor: { drag: { x: true, y: false, setScale: false } },
        hooks: {
          setSelect: [function (u) {
            const width = u.select.width;
            if (width < 4) return;
            const lo = u.posToVal(u.select.left, "x");
            const hi = u.posToVal(u.select.left + width, "x");
            u.setSelect({ left: 0, top: 0, width: 0, height: 0 }, false);
            chart.onZoom(chart, lo, hi);
          }],
        },
      });
      if (this.plot) this.plot.destroy();
      this.plot = new uPlot(opts, data, this.plotEl);
      this.plot.over.addEventListener("dblclick", function () { chart.onZoom(chart, null, null); });
      this.el.dataset.points = String(points);
      this.el.dataset.drawMs = (performance.now() - started).toFixed(1);
    }

    setNote(text) {
      this.note.textContent = text;
    }

    destroy() {
      if (this.plot) this.plot.destroy();
      this.el.remove();
    }
  };

  /* Shared chart controls: x axis, smoothing, log scale, reset zoom. */
  WB.controls = function (onChange, onReset) {
    const view = { xAxis: "step", smoothing: 0, logY: false };
    const x = document.getElementById("x-axis");
    const smoothing = document.getElementById("smoothing");
    const shown = document.getElementById("smoothing-value");
    const log = document.getElementById("log-scale");
    x.addEventListener("change", function () { view.xAxis = x.value; onChange(true); });
    smoothing.addEventListener("input", function () {
      view.smoothing = Number(smoothing.value);
      shown.textContent = smoothing.value;
      onChange(false);
    });
    log.addEventListener("change", function () { view.logY = log.checked; onChange(false); });
    document.getElementById("reset-zoom").addEventListener("click", onReset);
    return view;
  };

  /* A translated text with its %(name)s placeholders filled in (a number: WB.fmtNumber). */
  WB.fmt = function (s, values) {
    if (typeof s !== "string") return WB.fmtNumber(s, values);
    return s.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };
  WB.format = WB.fmt;  /* the name the run-edit and media panels use */

  WB.note = function (s) {
    const text = s.sampled
      ? WB.format(WB.t("%(shown)s of %(total)s points (downsampled; drag to zoom in)"),
               { shown: s.x.length, total: s.total })
      : WB.format(WB.t("%(total)s points"), { total: s.total });
    return s.notFinite
      ? text + "; " + WB.format(WB.t("%(count)s NaN or ±∞ not drawn"), { count: s.notFinite })
      : text;
  };
})();
