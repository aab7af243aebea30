/* The system panel: a system metric the client samples (system.cpu, system.gpu.0.temp, …)
   over the visible runs, drawn by the line panel's renderer on relative or wall time (the
   events stream has no steps); its unit is in the panel's title (domain/system_panel.py). */
(function () {
  "use strict";
  const WB = window.WB;

  WB.panels.register("system", {
    types: [],
    render: function (container, data, ctx) {
      return WB.panels.get("line").render(container, data, ctx);
    },
  });
})();
