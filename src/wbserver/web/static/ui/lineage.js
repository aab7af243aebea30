/* The lineage graph of a run or an artifact version (#lineage, its data-url the server's
   JSON): runs and versions in columns by hops from this page's node (upstream left,
   downstream right), ordered in each column by their neighbours (two barycentre sweeps),
   drawn as SVG. Each node links to its page; "+N more" where a limit cut the walk. */
(function () {
  "use strict";
  const WB = window.WB;
  const box = document.getElementById("lineage");
  if (!box) return;
  const svg = document.getElementById("lineage-graph");
  const status = document.getElementById("lineage-status");
  const NS = "http://www.w3.org/2000/svg";
  const W = 150, H = 46, GAP_X = 56, GAP_Y = 22, PAD = 12, MORE = 16;

  function make(tag, attrs, text) {
    const node = document.createElementNS(NS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (text != null) node.textContent = text;
    return node;
  }

  function clip(text, n) { return text.length > n ? text.slice(0, n - 1) + "…" : text; }

  /* columns of node ids by layer, each ordered to keep edges short */
  function columns(graph) {
    const layers = new Map();
    graph.nodes.forEach(function (n) {
      if (!layers.has(n.layer)) layers.set(n.layer, []);
      layers.get(n.layer).push(n.id);
    });
    const order = Array.from(layers.keys()).sort(function (a, b) { return a - b; });
    const cols = order.map(function (l) { return layers.get(l); });
    const links = new Map();
    graph.edges.forEach(function (e) {
      [[e[0], e[1]], [e[1], e[0]]].forEach(function (p) {
        if (!links.has(p[0])) links.set(p[0], []);
        links.get(p[0]).push(p[1]);
      });
    });
    for (let sweep = 0; sweep < 2; sweep += 1) {
      const pos = new Map();
      cols.forEach(function (col) { col.forEach(function (id, i) { pos.set(id, i); }); });
      cols.forEach(function (col, c) {
        const ref = sweep === 0 ? cols[c - 1] : cols[c + 1];
        if (!ref) return;
        const inRef = new Set(ref);
        const score = new Map(col.map(function (id, i) {
          const near = (links.get(id) || []).filter(function (o) { return inRef.has(o); });
          return [id, near.length ? near.reduce(function (s, o) { return s + pos.get(o); }, 0) / near.length : i];
        }));
        col.sort(function (a, b) { return score.get(a) - score.get(b); });
        col.forEach(function (id, i) { pos.set(id, i); });
      });
    }
    return cols;
  }

  function draw(graph) {
    const byId = new Map(graph.nodes.map(function (n) { return [n.id, n]; }));
    const cols = columns(graph);
    const tallest = Math.max.apply(null, cols.map(function (c) { return c.length; }));
    const rowH = H + MORE + GAP_Y;
    const at = new Map();
    cols.forEach(function (col, c) {
      const top = PAD + (tallest - col.length) * rowH / 2;
      col.forEach(function (id, i) { at.set(id, { x: PAD + c * (W + GAP_X), y: top + i * rowH }); });
    });
    const width = PAD * 2 + cols.length * W + (cols.length - 1) * GAP_X;
    const height = PAD * 2 + tallest * rowH - GAP_Y;
    svg.setAttribute("viewBox", "0 0 " + width + " " + height);
    svg.setAttribute("width", String(width));
    svg.setAttribute("height", String(height));
    svg.replaceChildren();
    const defs = make("defs");
    const marker = make("marker", { id: "lineage-arrow", viewBox: "0 0 10 10", refX: "9", refY: "5",
                                    markerWidth: "7", markerHeight: "7", orient: "auto-start-reverse" });
    marker.append(make("path", { d: "M0,0 L10,5 L0,10 z", class: "lineage-arrowhead" }));
    defs.append(marker);
    svg.append(defs);
    graph.edges.forEach(function (e) {
      const a = at.get(e[0]), b = at.get(e[1]);
      const x1 = a.x + W, y1 = a.y + H / 2, x2 = b.x, y2 = b.y + H / 2;
      const bend = Math.max(30, Math.abs(x2 - x1) / 2);
      svg.append(make("path", { class: "lineage-edge", "marker-end": "url(#lineage-arrow)",
                                d: "M" + x1 + "," + y1 + " C" + (x1 + bend) + "," + y1 + " " + (x2 - bend) + "," + y2 + " " + x2 + "," + y2 }));
    });
    graph.nodes.forEach(function (n) {
      const p = at.get(n.id);
      const link = make("a", { href: n.url, class: "lineage-node lineage-" + n.kind + (n.start ? " lineage-start" : ""),
                               "data-label": n.label, "data-kind": n.kind });
      link.append(make("title", {}, n.label + " · " + n.project));
      link.append(make("rect", { x: p.x, y: p.y, width: W, height: H, rx: n.kind === "run" ? 6 : 2 }));
      link.append(make("text", { x: p.x + 10, y: p.y + 19, class: "lineage-label" }, clip(n.label, 20)));
      const kind = n.kind === "run" ? WB.t("run") + (n.detail ? " · " + n.detail : "") : n.detail;
      link.append(make("text", { x: p.x + 10, y: p.y + 36, class: "lineage-detail" }, clip(kind, 23)));
      svg.append(link);
      if (n.more) {
        const more = make("a", { href: n.url, class: "lineage-more", "data-more": String(n.more) });
        more.append(make("text", { x: p.x + 10, y: p.y + H + 12 }, "+" + n.more + " " + WB.t("more")));
        svg.append(more);
      }
    });
    svg.hidden = false;
  }

  WB.getJSON(box.dataset.url).then(function (graph) {
    if (graph.nodes.length <= 1) {
      status.textContent = WB.t("No lineage: no run logged or used artifacts here.");
    } else {
      status.textContent = graph.nodes.length + " " + WB.t("nodes") +
        (graph.truncated ? " · " + WB.t("a limit cut the graph: open a node to see further") : "");
      draw(graph);
    }
    box.dataset.loaded = "1";
  }).catch(function (err) {
    status.textContent = WB.t("could not load:") + " " + err.message;
    box.dataset.loaded = "error";
  });
})();
