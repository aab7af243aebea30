/* The sweep page's analysis: GET /_ui/<entity>/<project>/sweeps/<sweep>/analysis?metric=…
   drawn as parallel coordinates, the importance table and a scatter (ui/panel_sweep.js). */
(function () {
  "use strict";
  const WB = window.WB;
  const info = JSON.parse(document.getElementById("sweep-data").textContent);
  const api = "/_ui/" + WB.enc(info.entity) + "/" + WB.enc(info.project) + "/sweeps/" +
    WB.enc(info.sweep) + "/analysis";
  const $ = function (id) { return document.getElementById(id); };
  const pick = $("sweep-metric");
  let scatterKey = null;

  async function load(metric) {
    $("sweep-analysis-status").textContent = "";
    let data;
    try {
      data = await WB.getJSON(api + (metric ? "?metric=" + WB.enc(metric) : ""));
    } catch (err) {
      $("sweep-analysis-status").textContent = WB.t("could not load:") + " " + err.message;
      return;
    }
    WB.sweepAnalysis = data;
    if (!pick.options.length) {
      (data.metrics || []).forEach(function (m) {
        const o = document.createElement("option");
        o.value = o.textContent = m;
        pick.appendChild(o);
      });
    }
    if (data.metric) pick.value = data.metric;
    ["sweep-parallel", "sweep-importance", "sweep-scatter"].forEach(function (id) { $(id).replaceChildren(); });
    if (!data.metric) { $("sweep-analysis-status").textContent = WB.sweepCharts.message(data); return; }
    WB.sweepCharts.parallel($("sweep-parallel"), data);
    WB.sweepCharts.importance($("sweep-importance"), data);
    scatterKey = WB.sweepCharts.scatter($("sweep-scatter"), data, scatterKey).key || scatterKey;
    document.body.dataset.analysed = String(Number(document.body.dataset.analysed || 0) + 1);
  }

  pick.addEventListener("change", function () { load(pick.value); });
  $("sweep-scatter").addEventListener("change", function (e) {
    if (e.target.classList.contains("scatter-key")) scatterKey = e.target.value;
  });
  load(null);
})();
