/* wandb.Table panel: the logged table's JSON file as a sortable (click a header), filterable
   (text box), paginated table; image cells drawn as images, other media cells as links to
   their files. Only the rows of the page are built, so 1,000-row tables open at once; the
   table comes with signed links to its first page's files, and each other page's come in one
   request (M.loadTable). */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;
  const PAGE = 25;

  function cellText(v) {
    if (v == null) return "";
    if (typeof v === "object") return v._type ? "" : JSON.stringify(v);
    return String(v);
  }

  function sortKey(v) {
    if (typeof v === "number") return v;
    if (v && typeof v === "object") return v.path || v._type || "";
    return v == null ? "" : String(v);
  }

  /* a media cell's element gets its URL at once when the file's link is known, else once
     the page's links have come (later: [element, attribute, path]) */
  function cell(v, table, later) {
    const td = M.el("td");
    const url = function (node, attr) {
      if (table.signed(v.path)) node[attr] = table.file(v.path); else later.push([node, attr, v.path]);
      return node;
    };
    if (v && typeof v === "object" && v._type === "image-file" && v.path) {
      td.append(url(M.el("img", { alt: v.caption || v.path, className: "table-image", loading: "lazy" }), "src"));
    } else if (v && typeof v === "object" && v._type && v.path) {
      td.append(url(M.el("a", { textContent: v._type, download: "" }), "href"));
    } else if (v && typeof v === "object" && v._type) {
      td.textContent = "(" + v._type + ")";
    } else {
      td.textContent = cellText(v);
      if (typeof v === "number") td.className = "num";
    }
    return td;
  }

  function show(panel, container, data, table) {
    const state = { sort: -1, desc: false, filter: "", page: 0 };
    const filter = M.el("input", { type: "search", className: "table-filter", placeholder: WB.t("Filter rows"),
                                   "aria-label": WB.t("Filter rows") });
    const status = M.el("span", { className: "muted small table-status" });
    const prev = M.el("button", { type: "button", className: "secondary", textContent: "‹", "aria-label": WB.t("Previous page") });
    const next = M.el("button", { type: "button", className: "secondary", textContent: "›", "aria-label": WB.t("Next page") });
    const head = M.el("tr");
    const body = M.el("tbody");
    const tableEl = M.el("table", { className: "media-table" }, [M.el("thead", {}, [head]), body]);
    let rows = table.data;

    function recompute() {
      const needle = state.filter.toLowerCase();
      rows = needle ? table.data.filter(function (row) {
        return row.some(function (v) { return cellText(v).toLowerCase().includes(needle) ||
          (v && v._type && String(v.caption || "").toLowerCase().includes(needle)); });
      }) : table.data.slice();
      if (state.sort >= 0) {
        const i = state.sort, sign = state.desc ? -1 : 1;
        rows.sort(function (a, b) {
          const x = sortKey(a[i]), y = sortKey(b[i]);
          if (typeof x === "number" && typeof y === "number") return sign * (x - y);
          return sign * String(x).localeCompare(String(y), undefined, { numeric: true });
        });
      }
      state.page = Math.min(state.page, Math.max(0, Math.ceil(rows.length / PAGE) - 1));
      draw();
    }

    function draw() {
      const pages = Math.max(1, Math.ceil(rows.length / PAGE));
      const part = rows.slice(state.page * PAGE, (state.page + 1) * PAGE);
      const later = [];
      body.replaceChildren(...part.map(function (row) {
        return M.el("tr", {}, row.map(function (v) { return cell(v, table, later); }));
      }));
      if (later.length) { // the page's files signed in one request (a page the table came without)
        const done = function () { later.forEach(function ([node, attr, path]) { node[attr] = table.file(path); }); };
        table.link(later.map(function (l) { return l[2]; })).then(done, done); // failed: per-file URLs
      }
      status.textContent = rows.length + " / " + table.data.length + " " + WB.t("rows") + " · " +
        WB.t("page") + " " + (state.page + 1) + " / " + pages;
      prev.disabled = state.page === 0;
      next.disabled = state.page >= pages - 1;
      head.querySelectorAll("th").forEach(function (th, i) {
        th.setAttribute("aria-sort", i === state.sort ? (state.desc ? "descending" : "ascending") : "none");
      });
      M.shown[data.key] = { rows: rows.length, page: state.page, columns: table.columns };
      panel.dataset.ready = "1";
    }

    table.columns.forEach(function (name, i) {
      const button = M.el("button", { type: "button", className: "link sort", textContent: String(name) });
      button.addEventListener("click", function () {
        state.desc = state.sort === i ? !state.desc : false;
        state.sort = i;
        recompute();
      });
      head.append(M.el("th", { scope: "col" }, [button]));
    });
    let timer = null;
    filter.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () { state.filter = filter.value.trim(); state.page = 0; recompute(); }, 150);
    });
    prev.addEventListener("click", function () { state.page -= 1; draw(); });
    next.addEventListener("click", function () { state.page += 1; draw(); });
    container.append(M.el("div", { className: "controls" }, [filter, prev, next, status]),
                     M.el("div", { className: "table-scroll" }, [tableEl]));
    recompute();
  }

  M.panels.table = {
    render: function (container, data) {
      const body = M.el("div");
      container.append(body);
      return M.loadTable(data.urls, data.key, PAGE).then(function (table) {
        show(container, body, data, table);
      });
    },
  };
})();
