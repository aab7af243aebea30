/* The workspace's media panel: one media key (or custom chart) of the first few shown runs
   (the server's cap, stated under the panel), each run drawn by the run page's renderer
   (WB.media.panels.<kind>, media_*.js) with its own step slider, from that run's media
   endpoints. data.keys[key] = {runs: [{name, values, classLabels, links} | {name} | {name, chart}],
   of: shown runs that logged the key}; see domain/media_panel.py. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;
  const KINDS = { "image-file": "image", "images/separated": "image", "table-file": "table",
                  "incremental-table-file": "table", "histogram": "histogram", "html-file": "html",
                  "audio-file": "audio", "video-file": "video", "chart": "chart" };
  const TYPES = Object.keys(KINDS).concat(["partitioned-table", "joined-table", "plotly-file",
                                           "bokeh-file", "object3D-file", "molecule-file"]);
  const page = JSON.parse(document.getElementById("workspace-data").textContent);
  const base = "/_ui/" + WB.enc(page.entity) + "/" + WB.enc(page.project) + "/runs/";

  async function drawRun(body, entry, key, type) {
    const urls = M.urls(base + WB.enc(entry.name), entry.links); // links: signed view links
    const kind = KINDS[type];
    if (kind === "chart") return M.panels.chart.render(body, { key: key, chart: entry.chart, urls: urls });
    if (kind === "table") return M.panels.table.render(body, { key: key, type: type, urls: urls });
    const values = entry.values || [];
    if (!values.length) { body.dataset.ready = "1"; return; }
    if (!kind) { // plotly, bokeh, 3D objects, …: the file, to download
      const value = values[values.length - 1].value;
      body.append(M.el("p", { className: "small" }, [value.path ?
        M.el("a", { href: urls.file(value.path), textContent: type + ": " + value.path, download: "" }) :
        document.createTextNode(type)]));
      body.dataset.ready = "1";
      return;
    }
    return M.panels[kind].render(body, { key: key, type: type, values: values,
                                         classLabels: entry.classLabels, urls: urls });
  }

  WB.panels.register("media", {
    types: TYPES,
    viewIndependent: true, // smoothing, log scale and x axis do not change it
    render: function (container, data, ctx) {
      const key = ctx.panel.keys[0];
      const part = data.keys[key] || { runs: [], of: 0 };
      const list = M.el("div", { className: "media-runs" });
      container.append(list);
      const jobs = part.runs.map(function (entry) {
        const run = ctx.runs.get(entry.name) || { displayName: entry.name, colour: "#888" };
        const swatch = M.el("span", { className: "sw" });
        swatch.style.background = run.colour;
        const body = M.el("div", { className: "panel-body" });
        list.append(M.el("div", { className: "media-run media-panel", "data-run": entry.name },
                         [M.el("div", { className: "media-run-name" },
                               [swatch, document.createTextNode(run.displayName)]), body]));
        return Promise.resolve().then(function () { return drawRun(body, entry, key, ctx.panel.type); })
          .catch(function (err) {
            body.append(M.el("p", { className: "muted small", textContent: WB.t("could not load:") + " " + err.message }));
            body.dataset.ready = "error";
          });
      });
      container.append(M.el("p", { className: "note media-cap", textContent: part.runs.length ?
        WB.format(WB.t("%(shown)s of %(total)s shown runs with this key (a media panel shows the first %(cap)s)"),
                  { shown: part.runs.length, total: part.of, cap: data.cap }) :
        WB.t("no shown run logged this key") }));
      // ready once every run's renderer says so (some draw after their render returns)
      const bodies = Array.from(list.querySelectorAll(".media-run > .panel-body"));
      const check = function () {
        if (!bodies.every(function (b) { return b.dataset.ready; })) return false;
        container.dataset.ready = "1";
        return true;
      };
      let watch = null;
      Promise.all(jobs).then(function () {
        if (check()) return;
        watch = new MutationObserver(function () { if (check()) watch.disconnect(); });
        watch.observe(list, { subtree: true, attributes: true, attributeFilter: ["data-ready"] });
      });
      return { destroy: function () { if (watch) watch.disconnect(); } };
    },
  });
})();
