/* wandb.Image panel: a step slider, every image of the step (one, or the client's
   images/separated group) on a canvas with its masks (class colours) and bounding boxes
   (class label and scores) drawn as logged, captions below, a legend of the classes. */
(function () {
  "use strict";
  const WB = window.WB;
  const M = WB.media;
  const SIZE = 220; // longest side drawn, in CSS pixels

  /* one step's value as a list of {path, caption, boxes, masks} */
  function images(value) {
    if (value._type === "images/separated") {
      return (value.filenames || []).map(function (path, i) {
        return { path: path, caption: (value.captions || [])[i],
                 boxes: (value.all_boxes || [])[i] || null, masks: (value.all_masks || [])[i] || null };
      });
    }
    return [{ path: value.path, caption: value.caption, boxes: value.boxes || null, masks: value.masks || null }];
  }

  function loadImage(url) {
    return new Promise(function (resolve, reject) {
      const img = new Image();
      img.onload = function () { resolve(img); };
      img.onerror = function () { reject(new Error("image " + url)); };
      img.src = url;
    });
  }

  function rect(box, w, h) {
    const p = box.position || {};
    const pixel = box.domain === "pixel";
    let x0, x1, y0, y1;
    if (p.middle) {
      x0 = p.middle[0] - p.width / 2; x1 = p.middle[0] + p.width / 2;
      y0 = p.middle[1] - p.height / 2; y1 = p.middle[1] + p.height / 2;
    } else {
      x0 = p.minX; x1 = p.maxX; y0 = p.minY; y1 = p.maxY;
    }
    return pixel ? [x0, y0, x1 - x0, y1 - y0] : [x0 * w, y0 * h, (x1 - x0) * w, (y1 - y0) * h];
  }

  function boxText(box, labels) {
    let text = box.box_caption || labels[String(box.class_id)] || (box.class_id != null ? "class " + box.class_id : "");
    Object.entries(box.scores || {}).forEach(function ([k, v]) { text += " " + k + "=" + Number(v).toFixed(2); });
    return text;
  }

  async function drawMask(ctx, url, w, h, scale, legend, labels) {
    const mask = await loadImage(url);
    const off = document.createElement("canvas");
    off.width = w; off.height = h;
    const octx = off.getContext("2d");
    octx.drawImage(mask, 0, 0, w, h);
    const pixels = octx.getImageData(0, 0, w, h);
    const d = pixels.data;
    const rgb = {};
    for (let i = 0; i < d.length; i += 4) {
      const id = d[i];
      if (id === 0) { d[i + 3] = 0; continue; } // class 0 left clear (usually background)
      if (!rgb[id]) {
        const probe = document.createElement("canvas").getContext("2d");
        probe.fillStyle = M.colour(id);
        probe.fillRect(0, 0, 1, 1);
        rgb[id] = probe.getImageData(0, 0, 1, 1).data;
        legend.set("mask:" + id, [labels[String(id)] || "class " + id, M.colour(id)]);
      }
      d[i] = rgb[id][0]; d[i + 1] = rgb[id][1]; d[i + 2] = rgb[id][2]; d[i + 3] = 110;
    }
    octx.putImageData(pixels, 0, 0);
    ctx.drawImage(off, 0, 0, w * scale, h * scale);
  }

  async function figure(item, data, step, legend) {
    const canvas = M.el("canvas", { className: "media-image" });
    const caption = M.el("figcaption", { textContent: item.caption || "" });
    const boxList = M.el("ul", { className: "box-list small" });
    const fig = M.el("figure", { className: "media-figure", "data-step": String(step) }, [canvas, caption, boxList]);
    const img = await loadImage(data.urls.file(item.path));
    const w = img.naturalWidth, h = img.naturalHeight;
    const scale = Math.max(1, Math.floor(SIZE / Math.max(w, h))) || 1;
    canvas.width = w * scale; canvas.height = h * scale;
    canvas.dataset.width = String(w); canvas.dataset.height = String(h);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(img, 0, 0, w * scale, h * scale);
    const labels = data.classLabels || { boxes: {}, masks: {} };
    for (const [name, mask] of Object.entries(item.masks || {})) {
      if (mask && mask.path) await drawMask(ctx, data.urls.file(mask.path), w, h, scale, legend, (labels.masks || {})[name] || {});
    }
    for (const [name, ref] of Object.entries(item.boxes || {})) {
      if (!ref || !ref.path) continue;
      const boxes = JSON.parse(await M.getText(data.urls.file(ref.path)));
      const known = Object.assign({}, boxes.class_labels || {}, (labels.boxes || {})[name] || {});
      (boxes.box_data || boxes || []).forEach(function (box) {
        const [x, y, bw, bh] = rect(box, w, h).map(function (v) { return v * scale; });
        const colour = M.colour(box.class_id || 0);
        ctx.strokeStyle = colour; ctx.lineWidth = 2;
        ctx.strokeRect(x, y, bw, bh);
        const text = boxText(box, known);
        ctx.font = "11px sans-serif";
        ctx.fillStyle = colour;
        ctx.fillRect(x, Math.max(0, y - 14), ctx.measureText(text).width + 6, 14);
        ctx.fillStyle = "#fff";
        ctx.fillText(text, x + 3, Math.max(11, y - 3));
        boxList.append(M.el("li", { textContent: name + ": " + text }));
        if (box.class_id != null) legend.set("box:" + box.class_id, [known[String(box.class_id)] || "class " + box.class_id, colour]);
      });
    }
    return fig;
  }

  M.panels.image = {
    render: function (container, data) {
      const grid = M.el("div", { className: "media-images" });
      const legendEl = M.el("ul", { className: "media-legend small" });
      let shownStep = null;
      M.stepper(container, data.values, async function (i) {
        const entry = data.values[i];
        shownStep = entry.step;
        const legend = new Map();
        const figs = await Promise.all(images(entry.value).map(function (item) {
          return figure(item, data, entry.step, legend);
        }));
        if (shownStep !== entry.step) return; // the slider moved on meanwhile
        grid.replaceChildren(...figs);
        legendEl.replaceChildren(...Array.from(legend.values()).map(function ([name, colour]) {
          const swatch = M.el("span", { className: "swatch-box" });
          swatch.style.backgroundColor = colour;
          return M.el("li", {}, [swatch, name]);
        }));
        M.shown[data.key] = { step: entry.step, count: figs.length };
        container.dataset.ready = "1";
      });
      container.append(grid, legendEl);
    },
  };
})();
