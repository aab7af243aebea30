/* Inline preview of a run's files (the Files section): text, JSON (pretty), YAML, images,
   and Markdown rendered by a small safe renderer (text nodes only: raw HTML in the file shows
   as text; links only http(s), opened without referrer). Files come from the run's file
   endpoint as inert attachments; nothing is ever served or inserted as active content. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;
  const MAX = 2 * 1024 * 1024;
  const TEXT = /\.(txt|log|csv|tsv|py|sh|cfg|ini|toml|patch|diff|out|err|yaml|yml|json|md|markdown)$/i;
  const IMAGE = /\.(png|jpe?g|gif|webp|bmp)$/i;

  /* inline Markdown: `code`, **strong**, *em*, [text](http…) — as DOM nodes */
  function inline(text) {
    const out = [];
    const re = /`([^`]+)`|\*\*([^*]+)\*\*|\*([^*]+)\*|\[([^\]]+)\]\(([^)\s]+)\)/g;
    let last = 0, m;
    while ((m = re.exec(text))) {
      if (m.index > last) out.push(document.createTextNode(text.slice(last, m.index)));
      if (m[1] != null) out.push(M.el("code", { textContent: m[1] }));
      else if (m[2] != null) out.push(M.el("strong", { textContent: m[2] }));
      else if (m[3] != null) out.push(M.el("em", { textContent: m[3] }));
      else if (/^https?:\/\//i.test(m[5])) {
        out.push(M.el("a", { href: m[5], textContent: m[4], rel: "noopener noreferrer", target: "_blank" }));
      } else out.push(document.createTextNode(m[0]));
      last = re.lastIndex;
    }
    if (last < text.length) out.push(document.createTextNode(text.slice(last)));
    return out;
  }

  function markdown(text) {
    const root = M.el("div", { className: "markdown" });
    const lines = text.replace(/\r\n?/g, "\n").split("\n");
    let para = [], list = null, i = 0;
    const flush = function () {
      if (para.length) root.append(M.el("p", {}, inline(para.join(" "))));
      para = [];
    };
    while (i < lines.length) {
      const line = lines[i];
      let m;
      if (/^```/.test(line)) {
        flush(); list = null;
        const code = [];
        for (i += 1; i < lines.length && !/^```/.test(lines[i]); i += 1) code.push(lines[i]);
        root.append(M.el("pre", {}, [M.el("code", { textContent: code.join("\n") })]));
      } else if ((m = /^(#{1,6})\s+(.*)$/.exec(line))) {
        flush(); list = null;
        root.append(M.el("h" + Math.min(6, m[1].length + 2), {}, inline(m[2])));
      } else if ((m = /^\s*(?:[-*+]|\d+\.)\s+(.*)$/.exec(line))) {
        flush();
        if (!list) { list = M.el(/^\s*\d/.test(line) ? "ol" : "ul"); root.append(list); }
        list.append(M.el("li", {}, inline(m[1])));
      } else if (!line.trim()) {
        flush(); list = null;
      } else {
        list = null;
        para.push(line.trim());
      }
      i += 1;
    }
    flush();
    return root;
  }

  async function preview(target, name, url) {
    const title = M.el("h3", { textContent: name });
    if (IMAGE.test(name)) {
      target.replaceChildren(title, M.el("img", { src: url, alt: name, className: "preview-image" }));
      return;
    }
    const text = await M.getText(url);
    let body;
    if (/\.json$/i.test(name)) {
      try {
        body = M.el("pre", { className: "preview-text", textContent: JSON.stringify(JSON.parse(text), null, 2) });
      } catch (e) {
        body = M.el("pre", { className: "preview-text", textContent: text });
      }
    } else if (/\.(md|markdown)$/i.test(name)) {
      body = markdown(text);
    } else {
      body = M.el("pre", { className: "preview-text", textContent: text });
    }
    target.replaceChildren(title, body);
  }

  const info = JSON.parse(document.getElementById("run-data").textContent);
  const api = "/_ui/" + WB.enc(info.entity) + "/" + WB.enc(info.project) + "/runs/" + WB.enc(info.run);
  const urls = M.urls(api);
  const target = document.getElementById("file-preview");
  /* a Preview button for a file the page can show (file_tree.js puts it in the file's row) */
  WB.filePreview = function (name, size) {
    if (!(TEXT.test(name) || IMAGE.test(name)) || Number(size) > MAX) return null;
    const button = M.el("button", { type: "button", className: "secondary small preview", textContent: WB.t("Preview") });
    button.addEventListener("click", function () {
      target.hidden = false;
      target.dataset.name = name;
      preview(target, name, urls.file(name)).catch(function (err) {
        target.replaceChildren(M.el("p", { className: "muted", textContent: WB.t("could not load:") + " " + err.message }));
      });
    });
    return button;
  };
  M.markdown = markdown;
})();
