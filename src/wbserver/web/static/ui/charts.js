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
      const xValues = view.xAxis === "runtime" ? function (u, vals) { return vals.map(WB.duration); } : undefined;
      const opts = Object.assign(this.size(), {
        series: series,
        bands: bands,
        scales: { x: { time: view.xAxis === "wall" }, y: { distr: view.logY ? 3 : 1 } },
        axes: [{ values: xValues }, { size: 60 }],
        legend: { show: bands.length === 0 && series.length <= 9, live: true },
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

  /* A translated text with its %(name)s placeholders filled in. */
  WB.fmt = function (s, values) {
    return s.replace(/%\((\w+)\)s/g, function (_, name) { return String(values[name]); });
  };

  WB.note = function (s) {
    const text = s.sampled
      ? WB.fmt(WB.t("%(shown)s of %(total)s points (downsampled; drag to zoom in)"),
               { shown: s.x.length, total: s.total })
      : WB.fmt(WB.t("%(total)s points"), { total: s.total });
    return s.notFinite
      ? text + "; " + WB.fmt(WB.t("%(count)s NaN or ±∞ not drawn"), { count: s.notFinite })
      : text;
  };
})();
