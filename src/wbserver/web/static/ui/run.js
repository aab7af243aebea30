/* The run page: a chart per numeric history key and per system metric, the console log
   with search, and live updates (polling) while the run is running. */
(function () {
  "use strict";
  const WB = window.WB;
  const info = JSON.parse(document.getElementById("run-data").textContent);
  const api = "/_ui/" + WB.enc(info.entity) + "/" + WB.enc(info.project) + "/runs/" + WB.enc(info.run);
  const POLL_MS = 3000;
  const BATCH = 16;
  const metricCharts = new Map(); // key -> {chart, data, range}
  const systemCharts = new Map();
  const state = { history: info.historyLineCount, events: info.eventsLineCount,
                  logs: info.logLineCount, logNext: 0, search: "", running: info.state === "running" };
  WB.fetched = {}; // key -> the last series the page fetched (tests read it)

  const view = WB.controls(function (refetch) {
    if (refetch) {
      metricCharts.forEach(function (c) { c.range = null; });
      systemCharts.forEach(function (c) { c.range = null; });
      loadMetrics(Array.from(metricCharts.keys()));
      loadSystem();
    } else {
      metricCharts.forEach(render);
      systemCharts.forEach(render);
    }
  }, function () {
    metricCharts.forEach(function (c) { c.range = null; });
    loadMetrics(Array.from(metricCharts.keys()));
    systemCharts.forEach(function (c) { c.range = null; });
    loadSystem();
  });

  function render(entry) {
    if (!entry.data) return;
    const shown = entry.system ? Object.assign({}, view, { xAxis: view.xAxis === "wall" ? "wall" : "runtime" }) : view;
    entry.chart.draw([{ label: entry.chart.key, colour: info.colour, x: entry.data.x, y: entry.data.y }], shown);
    entry.chart.setNote(WB.note(entry.data) + (entry.range ? " · " + WB.t("zoomed") : ""));
  }

  function entryFor(map, parent, key, zoom) {
    let entry = map.get(key);
    if (!entry) {
      entry = { chart: new WB.Chart(parent, key, zoom), data: null, range: null };
      map.set(key, entry);
    }
    return entry;
  }

  function rangeQuery(range) {
    return range ? "&min=" + range[0] + "&max=" + range[1] : "";
  }

  async function loadMetrics(keys) {
    const parent = document.getElementById("metric-charts");
    keys.forEach(function (k) { entryFor(metricCharts, parent, k, zoomMetric); });
    document.getElementById("no-metrics").hidden = metricCharts.size > 0;
    const plain = keys.filter(function (k) { return !metricCharts.get(k).range; });
    for (let i = 0; i < plain.length; i += BATCH) {
      const part = plain.slice(i, i + BATCH);
      const body = await WB.getJSON(api + "/series?x=" + view.xAxis + "&keys=" + part.map(WB.enc).join(","));
      part.forEach(function (k) { show(metricCharts.get(k), body.series[k]); });
    }
    keys.filter(function (k) { return metricCharts.get(k).range; }).forEach(function (k) {
      zoomMetric(metricCharts.get(k).chart, metricCharts.get(k).range[0], metricCharts.get(k).range[1]);
    });
  }

  function show(entry, series) {
    if (!series) return;
    entry.data = series;
    WB.fetched[entry.chart.key] = Object.assign({ axis: view.xAxis }, series);
    render(entry);
  }

  async function zoomMetric(chart, lo, hi) {
    const entry = metricCharts.get(chart.key);
    entry.range = lo == null ? null : [lo, hi];
    const body = await WB.getJSON(api + "/series?x=" + view.xAxis + "&keys=" + WB.enc(chart.key) + rangeQuery(entry.range));
    show(entry, body.series[chart.key]);
  }

  async function loadSystem() {
    const body = await WB.getJSON(api + "/system?x=" + (view.xAxis === "wall" ? "wall" : "runtime"));
    const parent = document.getElementById("system-charts");
    const keys = Object.keys(body.series).sort();
    document.getElementById("no-system").hidden = keys.length > 0;
    keys.forEach(function (k) {
      const entry = entryFor(systemCharts, parent, k, zoomSystem);
      entry.system = true;
      const unit = (body.units || {})[k];
      if (unit) entry.chart.el.querySelector("h3").textContent = k + " (" + unit + ")";
      if (!entry.range) {
        entry.data = body.series[k];
        render(entry);
      }
    });
  }

  async function zoomSystem(chart, lo, hi) {
    const entry = systemCharts.get(chart.key);
    entry.range = lo == null ? null : [lo, hi];
    const x = view.xAxis === "wall" ? "wall" : "runtime";
    const body = await WB.getJSON(api + "/system?x=" + x + "&keys=" + WB.enc(chart.key) + rangeQuery(entry.range));
    entry.data = body.series[chart.key] || entry.data;
    render(entry);
  }

  /* console log */
  const logEl = document.getElementById("log");
  const logStatus = document.getElementById("log-status");
  const logItems = new Map();

  function logLine(line) {
    let li = logItems.get(line.n);
    if (!li) {
      li = document.createElement("li");
      logItems.set(line.n, li);
      logEl.appendChild(li);
    }
    li.className = line.stderr ? "stderr" : "";
    li.dataset.n = String(line.n);
    const number = document.createElement("span");
    number.className = "n";
    number.textContent = String(line.n + 1);
    li.replaceChildren(number, document.createTextNode(line.text));
  }

  async function loadLogs(reset) {
    const atBottom = logEl.scrollTop + logEl.clientHeight >= logEl.scrollHeight - 8;
    if (reset) {
      logEl.replaceChildren();
      logItems.clear();
    }
    let url = api + "/logs";
    if (state.search) url += "?q=" + WB.enc(state.search);
    else if (!reset) url += "?start=" + Math.max(0, state.logNext - 1);
    const body = await WB.getJSON(url);
    body.lines.forEach(logLine);
    if (!state.search) state.logNext = body.next;
    logStatus.textContent = state.search ? body.lines.length + " " + WB.t("matching lines") :
      logItems.size ? "" : WB.t("No console output yet.");
    if (atBottom && !state.search) logEl.scrollTop = logEl.scrollHeight;
  }

  let searchTimer = null;
  document.getElementById("log-search").addEventListener("input", function (event) {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(function () {
      state.search = event.target.value.trim();
      loadLogs(true);
    }, 250);
  });

  /* live updates */
  function setState(text) {
    const badge = document.getElementById("run-state");
    badge.textContent = WB.t(text);
    badge.className = "state state-" + text;
  }

  async function poll() {
    const status = await WB.getJSON(api + "/status");
    setState(status.state);
    document.getElementById("overview-runtime").textContent = status.runtime;
    const newKeys = status.metrics.filter(function (k) { return !metricCharts.has(k); });
    if (status.historyLineCount !== state.history || newKeys.length) {
      state.history = status.historyLineCount;
      await loadMetrics(status.metrics);
    }
    if (status.eventsLineCount !== state.events) {
      state.events = status.eventsLineCount;
      await loadSystem();
    }
    if (status.logLineCount !== state.logs && !state.search) {
      state.logs = status.logLineCount;
      await loadLogs(false);
    }
    state.running = status.state === "running";
  }

  function schedule() {
    if (!state.running) return;
    setTimeout(function () {
      poll().catch(function (err) { logStatus.textContent = WB.t("live update paused:") + " " + err.message; })
        .finally(schedule);
    }, POLL_MS);
  }

  Promise.all([loadMetrics(info.metrics), loadSystem(), loadLogs(true)])
    .then(function () { document.body.dataset.loaded = "1"; schedule(); })
    .catch(function (err) { logStatus.textContent = WB.t("could not load:") + " " + err.message; });
})();
