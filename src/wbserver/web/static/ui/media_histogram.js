/* wandb.Histogram panel: every logged step as a column of a heat map (bins up the y axis,
   darker = more of the step's values in that bin) and the latest step as bars, with its
   bins and counts in a table below. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;

  function heatmap(values, lo, hi) {
    const canvas = M.el("canvas", { className: "hist-heat", width: 400, height: 160,
                                    "aria-label": WB.t("Histograms over steps") });
    const ctx = canvas.getContext("2d");
    const cw = canvas.width / values.length, span = hi - lo || 1;
    values.forEach(function (entry, col) {
      const v = entry.value, counts = v.values || [], bins = v.bins || [];
      const top = Math.max(1, ...counts);
      counts.forEach(function (count, b) {
        const y0 = (bins[b] - lo) / span, y1 = (bins[b + 1] - lo) / span;
        ctx.fillStyle = "rgba(37, 99, 235, " + (count / top).toFixed(3) + ")";
        ctx.fillRect(col * cw, canvas.height * (1 - y1), Math.ceil(cw), Math.max(1, canvas.height * (y1 - y0)));
      });
    });
    return canvas;
  }

  function bars(value) {
    const canvas = M.el("canvas", { className: "hist-bars", width: 400, height: 120,
                                    "aria-label": WB.t("Latest histogram") });
    const ctx = canvas.getContext("2d");
    const counts = value.values || [];
    const top = Math.max(1, ...counts), w = canvas.width / Math.max(1, counts.length);
    ctx.fillStyle = "rgb(37, 99, 235)";
    counts.forEach(function (c, i) {
      const h = (canvas.height - 2) * c / top;
      ctx.fillRect(i * w + 1, canvas.height - h, Math.max(1, w - 2), h);
    });
    return canvas;
  }

  M.panels.histogram = {
    render: function (container, data) {
      const values = data.values.filter(function (e) { return (e.value.bins || []).length > 1; });
      if (!values.length) return;
      const lo = Math.min(...values.map(function (e) { return e.value.bins[0]; }));
      const hi = Math.max(...values.map(function (e) { return e.value.bins[e.value.bins.length - 1]; }));
      const last = values[values.length - 1];
      const rows = (last.value.values || []).map(function (c, i) {
        const range = Number(last.value.bins[i]).toPrecision(3) + " – " + Number(last.value.bins[i + 1]).toPrecision(3);
        return M.el("tr", {}, [M.el("td", { textContent: range }), M.el("td", { className: "num", textContent: String(c) })]);
      });
      const table = M.el("table", { className: "kvt hist-values" }, [M.el("tbody", {}, rows)]);
      container.append(
        M.el("p", { className: "muted small", textContent: WB.t("Steps") + " " + values[0].step + " – " + last.step + " · " + lo.toPrecision(3) + " … " + hi.toPrecision(3) }),
        heatmap(values, lo, hi),
        M.el("p", { className: "muted small", textContent: WB.t("step") + " " + last.step }),
        bars(last.value),
        M.el("details", {}, [M.el("summary", { textContent: WB.t("Values") }), table]));
      M.shown[data.key] = { steps: values.map(function (e) { return e.step; }),
                            counts: values.map(function (e) { return e.value.values; }) };
      container.dataset.ready = "1";
    },
  };
})();
