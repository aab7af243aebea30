/* wandb.plot.* custom charts: the client sends a preset id (e.g. "wandb/line/v0"), the
   fields that map the preset's roles to the logged table's columns, and strings (title, axis
   titles); W&B's server keeps the presets. These are our own Vega-Lite specs for the standard
   ids, drawn with the vendored Vega on a canvas, expressions evaluated by vega-interpreter (the
   pages' policy forbids eval). An unknown preset shows its table instead. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;

  /* a column name as a Vega-Lite field (dots and brackets are path syntax there) */
  function f(name) { return String(name).replace(/([.[\]\\])/g, "\\$1"); }

  function base(s, extra) {
    return Object.assign({ $schema: "https://vega.github.io/schema/vega-lite/v6.json",
                           title: s.title || "", width: 360, height: 220,
                           autosize: { type: "fit", contains: "padding" } }, extra);
  }

  const SPECS = {
    "wandb/line/v0": function (fl, s) {
      const enc = { x: { field: f(fl.x), type: "quantitative", title: fl.x },
                    y: { field: f(fl.y), type: "quantitative", title: fl.y } };
      if (fl.stroke) enc.color = { field: f(fl.stroke), type: "nominal", title: fl.stroke };
      return base(s, { mark: { type: "line", point: true }, encoding: enc });
    },
    "wandb/scatter/v0": function (fl, s) {
      return base(s, { mark: "point", encoding: {
        x: { field: f(fl.x), type: "quantitative", title: fl.x },
        y: { field: f(fl.y), type: "quantitative", title: fl.y } } });
    },
    "wandb/bar/v0": function (fl, s) {
      return base(s, { mark: "bar", encoding: {
        y: { field: f(fl.label), type: "nominal", title: fl.label, sort: null },
        x: { field: f(fl.value), type: "quantitative", title: fl.value } } });
    },
    "wandb/histogram/v0": function (fl, s) {
      return base(s, { mark: "bar", encoding: {
        x: { field: f(fl.value), type: "quantitative", bin: { maxbins: 64 }, title: fl.value },
        y: { aggregate: "count", type: "quantitative", title: "count" } } });
    },
    "wandb/confusion_matrix/v1": function (fl, s) {
      const x = { field: f(fl.Predicted || "Predicted"), type: "nominal", title: "Predicted" };
      const y = { field: f(fl.Actual || "Actual"), type: "nominal", title: "Actual" };
      const n = { field: f(fl.nPredictions || "nPredictions"), type: "quantitative" };
      return base(s, { encoding: { x: x, y: y }, layer: [
        { mark: "rect", encoding: { color: Object.assign({ title: "count" }, n) } },
        { mark: { type: "text", fontSize: 13 }, encoding: { text: n } }] });
    },
    "wandb/area-under-curve/v0": function (fl, s) {
      const enc = { x: { field: f(fl.x), type: "quantitative", title: s["x-axis-title"] || fl.x,
                         scale: { domain: [0, 1] } },
                    y: { field: f(fl.y), type: "quantitative", title: s["y-axis-title"] || fl.y,
                         scale: { domain: [0, 1] } } };
      if (fl.class) enc.color = { field: f(fl.class), type: "nominal", title: fl.class };
      return base(s, { mark: "line", encoding: enc });
    },
    "wandb/lineseries/v0": function (fl, s) {
      return base(s, { mark: "line", encoding: {
        x: { field: f(fl.step || "step"), type: "quantitative", title: s.xname || fl.step },
        y: { field: f(fl.lineVal || "lineVal"), type: "quantitative", title: "" },
        color: { field: f(fl.lineKey || "lineKey"), type: "nominal", title: "" } } });
    },
  };
  SPECS["wandb/confusion_matrix/v0"] = SPECS["wandb/confusion_matrix/v1"];
  M.chartSpecs = SPECS;

  /* Vega, Vega-Lite and the interpreter (~0.8 MB), loaded once, only when a chart is drawn */
  const VENDOR = ["/static/vendor/vega-6.2.0/vega.min.js",
                  "/static/vendor/vega-lite-6.4.0/vega-lite.min.js",
                  "/static/vendor/vega-interpreter-2.2.1/vega-interpreter.min.js"];
  let vegaLoaded = null;
  M.loadVega = function () {
    if (!vegaLoaded) {
      vegaLoaded = VENDOR.reduce(function (previous, src) {
        return previous.then(function () {
          return new Promise(function (resolve, reject) {
            const script = M.el("script", { src: src });
            script.onload = resolve;
            script.onerror = function () { reject(new Error(src)); };
            document.head.append(script);
          });
        });
      }, Promise.resolve());
    }
    return vegaLoaded;
  };

  M.panels.chart = {
    /* data: {key, chart: {specId, fields, strings, tableKey}, urls} */
    render: async function (container, data) {
      const table = await M.loadTable(data.urls, data.chart.tableKey);
      const rows = table.data.map(function (row) {
        const o = {};
        table.columns.forEach(function (c, i) { o[c] = row[i]; });
        return o;
      });
      const make = SPECS[data.chart.specId];
      if (make) await M.loadVega();
      if (!make) {
        container.append(M.el("p", { className: "muted small", textContent:
          WB.t("Chart preset not known here; its table:") + " " + data.chart.specId }));
        await M.panels.table.render(container, { key: data.chart.tableKey, urls: data.urls });
        return;
      }
      const spec = make(data.chart.fields || {}, data.chart.strings || {});
      spec.data = { values: rows };
      const holder = M.el("div", { className: "vega-chart" });
      container.append(holder);
      const compiled = window.vegaLite.compile(spec).spec;
      const runtime = window.vega.parse(compiled, null, { ast: true });
      const view = new window.vega.View(runtime, {
        expr: window.vegaInterpreter.expressionInterpreter, renderer: "canvas",
        container: holder, hover: true, logLevel: window.vega.Error });
      await view.runAsync();
      M.shown[data.key] = { specId: data.chart.specId, rows: rows };
      container.dataset.ready = "1";
    },
  };
})();
