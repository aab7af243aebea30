/* The workspace's panel registry. A panel kind is one script that calls
     WB.panels.register(kind, {types: [history value types it shows], render(container, data, ctx)})
   `data` is the JSON of GET /_ui/<entity>/<project>/panels/<kind>?keys=…&runs=…&x=…
   ({kind, x, keys: {key: …}}); `ctx` = {panel: {id, kind, keys, title}, runs: Map(name ->
   {displayName, colour}), view: {xAxis, smoothing, logY, band}, t: WB.t}.
   render may return an object with destroy(). Scripts named panel_*.js in this folder are
   loaded by the workspace page on their own. */
(function () {
  "use strict";
  const WB = (window.WB = window.WB || {});
  const kinds = new Map();
  WB.panels = {
    register: function (kind, renderer) { kinds.set(kind, renderer); },
    get: function (kind) { return kinds.get(kind); },
    kinds: function () { return Array.from(kinds.keys()); },
    /* the panel kind that shows history values of TYPE (e.g. "image-file"), or null */
    kindForType: function (type) {
      for (const [kind, r] of kinds) if ((r.types || []).indexOf(type) >= 0) return kind;
      return null;
    },
  };
})();
