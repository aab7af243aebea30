/* What the media panels share: WB.media.panels holds one renderer per panel kind, each
   {render(container, data)} (media_image.js, media_table.js, …); the run page (media.js) and
   the workspace plug them in. Files come from the run's file endpoint on this origin, as inert
   attachments; nothing here writes user text as HTML.

   The data a renderer takes (urls = WB.media.urls("/_ui/<entity>/<project>/runs/<run>")):
     image, histogram, html, audio, video: {key, values, classLabels, urls}, where values and
       classLabels are GET urls.values(key)'s (the key's [{step, value}] as the client logged
       them, and the box/mask class names);
     table: {key, urls} (it fetches urls.table(key) itself);
     chart: {key, chart, urls}, chart being one of GET …/media's `charts`
       ({key, specId, fields, strings, tableKey}).
   A renderer sets container.dataset.ready = "1" once drawn. */
(function () {
  "use strict";
  const WB = (window.WB = window.WB || {});
  const M = (WB.media = WB.media || {});
  M.panels = M.panels || {};
  M.shown = M.shown || {}; // key -> what a panel drew (tests compare it with what was logged)

  /* an element: attrs are properties (className, textContent, …) or data-* / aria-* names */
  M.el = function (tag, attrs, children) {
    const node = document.createElement(tag);
    Object.entries(attrs || {}).forEach(function ([name, value]) {
      if (value == null) return;
      if (name.startsWith("data-") || name.startsWith("aria-") || name === "role" ||
          name === "sandbox" || name === "for" || name === "loading") node.setAttribute(name, value);
      else node[name] = value;
    });
    (children || []).forEach(function (c) {
      if (c != null) node.append(c);
    });
    return node;
  };

  /* URLs of a run's files: api = "/_ui/<entity>/<project>/runs/<run>"; links = {path: signed
     view link} that came with media values (no permission check per file), else the file route */
  M.urls = function (api, links) {
    const path = function (p) { return String(p).split("/").map(encodeURIComponent).join("/"); };
    const signed = links || {};
    return {
      file: function (p) { return Object.hasOwn(signed, p) ? signed[p] : api + "/file/" + path(p); },
      withLinks: function (more) { return M.urls(api, Object.assign({}, signed, more || {})); },
      html: function (p) { return api + "/html/" + path(p); },
      values: function (key) { return api + "/media/values?key=" + encodeURIComponent(key); },
      table: function (key, links) {
        return api + "/media/table?key=" + encodeURIComponent(key) + (links ? "&links=" + links : "");
      },
      tableLinks: function (key, paths) {
        return api + "/media/table-links?key=" + encodeURIComponent(key) +
          paths.map(function (p) { return "&name=" + encodeURIComponent(p); }).join("");
      },
      tableFile: function (key, p) {
        return api + "/media/table-file?key=" + encodeURIComponent(key) + "&name=" + encodeURIComponent(p);
      },
    };
  };

  M.getText = async function (url) {
    const response = await fetch(url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(response.status + " " + response.statusText);
    return response.text();
  };

  /* a step slider over data.values: show(index) draws one; returns the slider (or null) */
  M.stepper = function (container, values, show) {
    const last = values.length - 1;
    const label = M.el("span", { className: "step-label" });
    const update = function (i) {
      label.textContent = WB.t("step") + " " + values[i].step;
      show(i);
    };
    if (values.length < 2) {
      container.append(M.el("div", { className: "media-steps" }, [label]));
      update(Math.max(last, 0));
      return null;
    }
    const slider = M.el("input", { type: "range", min: 0, max: last, value: last, step: 1,
                                   className: "step-slider", "aria-label": WB.t("step") });
    slider.addEventListener("input", function () { update(Number(slider.value)); });
    container.append(M.el("div", { className: "media-steps" }, [slider, label]));
    update(last);
    return slider;
  };

  /* the table logged last under KEY: {columns, data, file(path): the URL of a media cell's
     file, link(paths): resolves once those files have signed links}. The server signs the
     files of the first LINKS rows with the table and a page's worth at a time after that (one
     lookup each), so the browser fetches each image with no lookup of its own. */
  M.loadTable = async function (urls, key, links) {
    const table = await WB.getJSON(urls.table(key, links));
    const signed = new Map(Object.entries(table.links || {}));
    const asked = new Set(signed.keys());
    const fallback = table.fromArtifact ? function (p) { return urls.tableFile(key, p); } : urls.file;
    table.file = function (p) { return signed.get(p) || fallback(p); };
    table.signed = function (p) { return signed.has(p); };
    table.link = async function (paths) {
      const missing = paths.filter(function (p) { return !asked.has(p); });
      if (!missing.length) return;
      missing.forEach(function (p) { asked.add(p); });
      for (let i = 0; i < missing.length; i += 100) { // the URL stays short
        const found = await WB.getJSON(urls.tableLinks(key, missing.slice(i, i + 100)));
        Object.entries(found.links).forEach(function ([p, url]) { signed.set(p, url); });
      }
    };
    return table;
  };

  /* a distinct colour per class id (golden-angle hues) */
  M.colour = function (id, alpha) {
    const hue = (Number(id) * 137.508) % 360;
    return "hsla(" + hue.toFixed(1) + ", 75%, 50%, " + (alpha == null ? 1 : alpha) + ")";
  };
})();
