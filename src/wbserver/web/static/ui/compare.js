/* The compare page: the selected runs overlaid per metric (colours fixed per run), or
   grouped by a config value with each group's mean and min/max band. */
(function () {
  "use strict";
  const WB = window.WB;
  const info = JSON.parse(document.getElementById("compare-data").textContent);
  if (!info.runs.length) return;
  const api = "/_ui/" + WB.enc(info.entity) + "/" + WB.enc(info.project) + "/compare?" +
    info.runs.map(function (r) { return "runs=" + WB.enc(r.name); }).join("&") +
    (info.group ? "&group=" + WB.enc(info.group) : "");
  const BATCH = 8;
  const charts = new Map(); // key -> {chart, data, range}
  WB.fetched = {};

  const view = WB.controls(function (refetch) {
    if (refetch) {
      charts.forEach(function (c) { c.range = null; });
      load(info.metrics);
    } else {
      charts.forEach(render);
    }
  }, function () {
    charts.forEach(function (c) { c.range = null; });
    load(info.metrics);
  });

  function lines(data) {
    if (data.groups) {
      return data.groups.map(function (g) {
        return { label: g.label + " (" + g.runs.length + ")", colour: g.colour, x: g.x, y: g.mean, min: g.min, max: g.max };
      });
    }
    return data.runs.map(function (r) {
      return { label: r.display_name, colour: r.colour, x: r.x, y: r.y };
    });
  }

  function groupLegend(groups) {
    const list = document.getElementById("group-legend");
    if (!list || list.childElementCount) return;
    groups.forEach(function (g) {
      const item = document.createElement("li");
      const swatch = document.createElement("span");
      swatch.className = "swatch";
      swatch.style.background = g.colour;
      item.append(swatch, document.createTextNode(" " + info.group + " = " + g.label +
        " (" + g.runs.length + (g.runs.length === 1 ? " run)" : " runs)")));
      list.appendChild(item);
    });
  }

  function render(entry) {
    if (!entry.data) return;
    if (entry.data.groups) groupLegend(entry.data.groups);
    entry.chart.draw(lines(entry.data), view);
    const count = (entry.data.groups || entry.data.runs).length;
    const what = entry.data.groups ? WB.t("%(count)s groups") : WB.t("%(count)s runs");
    entry.chart.setNote(WB.format(what, { count: count }) + (entry.range ? " · " + WB.t("zoomed") : ""));
  }

  async function fetchInto(keys, range) {
    const extra = range ? "&min=" + range[0] + "&max=" + range[1] : "";
    const body = await WB.getJSON(api + "&x=" + view.xAxis + "&keys=" + keys.map(WB.enc).join(",") + extra);
    keys.forEach(function (k) {
      const entry = charts.get(k);
      entry.data = body[k];
      WB.fetched[k] = Object.assign({ axis: view.xAxis }, body[k]);
      render(entry);
    });
  }

  async function zoom(chart, lo, hi) {
    const entry = charts.get(chart.key);
    entry.range = lo == null ? null : [lo, hi];
    await fetchInto([chart.key], entry.range);
  }

  async function load(keys) {
    const parent = document.getElementById("metric-charts");
    keys.forEach(function (k) {
      if (!charts.has(k)) charts.set(k, { chart: new WB.Chart(parent, k, zoom), data: null, range: null });
    });
    for (let i = 0; i < keys.length; i += BATCH) await fetchInto(keys.slice(i, i + BATCH), null);
  }

  load(info.metrics).then(function () { document.body.dataset.loaded = "1"; });
})();
