/* wandb.Html panel: the file in a frame with an empty `sandbox` (an opaque origin: no script,
   no form, no access to this page or its cookies). The server answers a frame's request with
   the HTML under its own sandbox policy (no script, no request; inline styles allowed) and
   anything else, e.g. the file opened in a tab, as an inert attachment. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;

  M.panels.html = {
    render: function (container, data) {
      const frame = M.el("iframe", { className: "media-html", sandbox: "", title: data.key,
                                     referrerPolicy: "no-referrer" });
      frame.addEventListener("load", function () { container.dataset.ready = "1"; });
      M.stepper(container, data.values, function (i) {
        frame.src = data.urls.html(data.values[i].value.path);
        M.shown[data.key] = { step: data.values[i].step, path: data.values[i].value.path };
      });
      container.append(frame);
    },
  };
})();
