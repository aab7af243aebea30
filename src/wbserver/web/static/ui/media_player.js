/* wandb.Audio and wandb.Video panels: the browser's own players (a GIF video as an image);
   files come as attachments of an inert type, which media elements play and nothing runs. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;

  function player(kind, value, urls) {
    const src = urls.file(value.path);
    if (kind === "video" && (value.format === "gif" || /\.gif$/i.test(value.path))) {
      return M.el("img", { src: src, alt: value.caption || value.path, className: "media-video" });
    }
    return M.el(kind, { src: src, controls: true, preload: "metadata", className: "media-" + kind });
  }

  function panel(kind) {
    return {
      render: function (container, data) {
        const holder = M.el("div");
        container.append(holder);
        M.stepper(container, data.values, function (i) {
          const value = data.values[i].value;
          const media = player(kind, value, data.urls);
          const ready = function () { container.dataset.ready = "1"; };
          media.addEventListener(media.tagName === "IMG" ? "load" : "loadedmetadata", ready);
          holder.replaceChildren(media, M.el("p", { className: "small", textContent: value.caption || "" }));
          M.shown[data.key] = { step: data.values[i].step, path: value.path };
        });
      },
    };
  }

  M.panels.audio = panel("audio");
  M.panels.video = panel("video");
})();
