/* The run page's Media section: a panel per logged media key (images, tables, histograms,
   html, audio, video, …) and per custom chart, each drawn by its WB.media.panels renderer
   from the run's media endpoints. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;
  const info = JSON.parse(document.getElementById("run-data").textContent);
  const api = "/_ui/" + WB.enc(info.entity) + "/" + WB.enc(info.project) + "/runs/" + WB.enc(info.run);
  const urls = M.urls(api);
  const KINDS = { "image-file": "image", "images/separated": "image", "table-file": "table",
                  "incremental-table-file": "table", "histogram": "histogram", "html-file": "html",
                  "audio-file": "audio", "video-file": "video" };

  function panel(parent, key, kind, title) {
    const body = M.el("div", { className: "panel-body" });
    const card = M.el("div", { className: "chart media-panel", "data-key": key, "data-kind": kind,
                               id: "media-" + key },
                      [M.el("h3", { className: "chart-title", textContent: title }), body]);
    parent.append(card);
    return body;
  }

  function failed(body, err) {
    body.append(M.el("p", { className: "muted small", textContent: WB.t("could not load:") + " " + err.message }));
    body.dataset.ready = "error";
  }

  async function show(parent, item) {
    const kind = KINDS[item.type];
    const body = panel(parent, item.key, kind || "file", item.key);
    try {
      await draw(body, item, kind);
    } catch (err) {
      failed(body, err);
    }
  }

  async function draw(body, item, kind) {
    if (kind === "table") { // the table itself: values over steps are not needed
      await M.panels.table.render(body, { key: item.key, type: item.type, urls: urls });
      return;
    }
    const data = await WB.getJSON(urls.values(item.key));
    if (!data.values.length) return;
    const linked = urls.withLinks(data.links); // the files' signed view links
    if (!kind) { // plotly, bokeh, 3D objects, …: the file, to download
      const value = data.values[data.values.length - 1].value;
      body.append(M.el("p", { className: "small" }, [value.path ?
        M.el("a", { href: linked.file(value.path), textContent: item.type + ": " + value.path, download: "" }) :
        document.createTextNode(item.type)]));
      body.dataset.ready = "1";
      return;
    }
    await M.panels[kind].render(body, { key: item.key, type: item.type, values: data.values,
                                        classLabels: data.classLabels, urls: linked });
  }

  async function showChart(parent, chart) {
    const body = panel(parent, chart.key, "chart", chart.strings.title || chart.key);
    try {
      await M.panels.chart.render(body, { key: chart.key, chart: chart, urls: urls });
    } catch (err) {
      failed(body, err);
    }
  }

  async function load() {
    const listing = info.media || await WB.getJSON(api + "/media");
    const grid = document.getElementById("media-panels");
    const charts = document.getElementById("chart-panels");
    document.getElementById("no-media").hidden = listing.media.length + listing.charts.length > 0;
    const chartTables = new Set(listing.charts.map(function (c) { return c.tableKey; }));
    const media = listing.media.filter(function (item) { return !chartTables.has(item.key); });
    await Promise.all(media.map(function (item) { return show(grid, item); })
      .concat(listing.charts.map(function (chart) { return showChart(charts, chart); })));
    document.getElementById("media").dataset.loaded = "1";
  }

  load().catch(function (err) {
    document.getElementById("no-media").hidden = false;
    document.getElementById("no-media").textContent = WB.t("could not load:") + " " + err.message;
  });
})();
