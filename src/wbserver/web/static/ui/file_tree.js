/* A run's or an artifact version's files as a folder tree: folders collapse and expand,
   show how many files they hold and their total size; rows are made only when a folder
   opens, and at most PAGE at a time ("show more"), so ten thousand files open at once.
   The data is #files-data: {"files": [[path, size, url or null, reference or null], …]}.
   File rows carry the run page's Preview button (file_preview.js's WB.filePreview). */
(function () {
  "use strict";
  const WB = window.WB;
  const PAGE = 500;
  const data = document.getElementById("files-data");
  const table = document.getElementById("files-table");
  if (!data || !table) return;
  const files = JSON.parse(data.textContent).files;

  function folder(name, path) {
    return { name: name, path: path, dirs: new Map(), files: [], size: 0, count: 0 };
  }

  function build(list) {
    const root = folder("", "");
    list.forEach(function (f) {
      const parts = f[0].split("/");
      let node = root;
      const size = f[1] || 0;
      root.size += size;
      root.count += 1;
      for (let i = 0; i < parts.length - 1; i += 1) {
        let child = node.dirs.get(parts[i]);
        if (!child) {
          child = folder(parts[i], parts.slice(0, i + 1).join("/"));
          node.dirs.set(parts[i], child);
        }
        child.size += size;
        child.count += 1;
        node = child;
      }
      node.files.push({ name: parts[parts.length - 1], path: f[0], size: f[1], url: f[2], ref: f[3] });
    });
    return root;
  }

  function size(bytes) {
    if (bytes == null) return "";
    const units = ["B", "KB", "MB", "GB", "TB"];
    let n = bytes, u = 0;
    while (n >= 1000 && u < units.length - 1) { n /= 1000; u += 1; }
    return (u ? n.toFixed(1) : String(n)) + " " + units[u];
  }

  function count(n) { return n + " " + (n === 1 ? WB.t("file") : WB.t("files")); }

  function el(tag, props, children) {
    const node = document.createElement(tag);
    Object.assign(node, props || {});
    (children || []).forEach(function (c) { node.append(c); });
    return node;
  }

  function entries(node) {
    const dirs = Array.from(node.dirs.values()).sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
    const plain = node.files.slice().sort(function (a, b) { return a.name < b.name ? -1 : a.name > b.name ? 1 : 0; });
    return dirs.map(function (d) { return { dir: d }; }).concat(plain.map(function (f) { return { file: f }; }));
  }

  function indent(cell, depth) { cell.style.paddingLeft = (0.5 + depth * 1.25) + "em"; }

  function folderRow(dir, depth) {
    const toggle = el("button", { type: "button", className: "link tree-toggle", textContent: "▸ " + dir.name + "/" });
    toggle.setAttribute("aria-expanded", "false");
    const name = el("td", {}, [toggle]);
    indent(name, depth);
    const row = el("tr", { className: "folder" }, [name,
      el("td", { className: "muted small", textContent: count(dir.count) }),
      el("td", { textContent: size(dir.size) })]);
    row.dataset.path = dir.path;
    row.dataset.depth = String(depth);
    toggle.addEventListener("click", function () {
      if (toggle.getAttribute("aria-expanded") === "true") collapse(row, toggle, dir);
      else expand(row, toggle, dir, depth);
    });
    return row;
  }

  function fileRow(f, depth) {
    const link = f.url ? el("a", { href: f.url, textContent: f.name, download: "" }) : document.createTextNode(f.name);
    const name = el("td", {}, [link]);
    if (!f.url && f.ref) name.append(" ", el("span", { className: "muted small", textContent: "→ " + f.ref }));
    indent(name, depth);
    const last = el("td", { textContent: size(f.size) });
    const row = el("tr", { className: "file" }, [name, el("td"), last]);
    row.dataset.name = f.path;
    row.dataset.depth = String(depth);
    const button = WB.filePreview && WB.filePreview(f.path, f.size);
    if (button) last.append(" ", button);
    return row;
  }

  /* rows for entries [from, from + PAGE) of NODE after AFTER; a "show more" row if more */
  function insert(after, node, depth, list, from) {
    const rows = list.slice(from, from + PAGE).map(function (e) {
      return e.dir ? folderRow(e.dir, depth) : fileRow(e.file, depth);
    });
    if (from + PAGE < list.length) {
      const more = el("button", { type: "button", className: "secondary small",
                                  textContent: WB.t("Show more") + " (" + (list.length - from - PAGE) + ")" });
      const cell = el("td", { colSpan: 3 }, [more]);
      indent(cell, depth);
      const row = el("tr", { className: "tree-more" }, [cell]);
      row.dataset.depth = String(depth);
      more.addEventListener("click", function () {
        insert(row, node, depth, list, from + PAGE);
        row.remove();
      });
      rows.push(row);
    }
    after.after.apply(after, rows);
  }

  function expand(row, toggle, dir, depth) {
    toggle.setAttribute("aria-expanded", "true");
    toggle.textContent = "▾ " + dir.name + "/";
    insert(row, dir, depth + 1, entries(dir), 0);
  }

  function collapse(row, toggle, dir) {
    toggle.setAttribute("aria-expanded", "false");
    toggle.textContent = "▸ " + dir.name + "/";
    const depth = Number(row.dataset.depth);
    while (row.nextElementSibling && Number(row.nextElementSibling.dataset.depth) > depth) {
      row.nextElementSibling.remove();
    }
  }

  const root = build(files);
  const body = table.tBodies[0];
  const summary = document.getElementById("files-summary");
  if (summary && root.count) summary.textContent = count(root.count) + ", " + size(root.size);
  if (!root.count) return;
  body.replaceChildren();
  const start = el("tr", { hidden: true });
  start.dataset.depth = "-1";
  body.append(start);
  insert(start, root, 0, entries(root), 0);
  start.remove();
  table.dataset.ready = "1";
})();
