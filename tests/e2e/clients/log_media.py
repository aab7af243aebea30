"""A run that logs every media type the panels show; run as ``python log_media.py SPEC OUT``.

Spec keys: init (wandb.init kwargs), steps (image steps, default 3), table_rows (rows of the
table with an image column, default 12), big_rows (rows whose image is 100x100 noise, too big
to come inline with the table: the page loads it through a signed link), files ({name: text} saved with wandb.save),
only_table (log just the table). OUT gets what was logged, for the tests to compare:
image sizes and captions, box and mask class labels, the table's rows (image cells as their
colour), histogram counts per step, the html text, the audio duration and the charts' rows.
"""

import io
import json
import math
import struct
import sys
import wave
from pathlib import Path

import numpy as np
import wandb
from PIL import Image as PILImage

BOX_LABELS = {0: "cat", 1: "dog"}
MASK_LABELS = {0: "background", 1: "road", 2: "car"}
HTML = "<!doctype html><html><head><style>p { color: rgb(200, 0, 0); }</style></head>" \
       "<body><h1 id='h'>Media report</h1><p>logged by the client</p>" \
       "<script>document.title = 'SCRIPT-RAN';</script></body></html>"


def solid(colour, size=(32, 24)):
    return np.full((size[1], size[0], 3), colour, dtype=np.uint8)


def wav(path, seconds=0.5, rate=8000):
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        frames = b"".join(struct.pack("<h", int(8000 * math.sin(2 * math.pi * 440 * i / rate)))
                          for i in range(int(seconds * rate)))
        w.writeframes(frames)


def gif(path):
    frames = [PILImage.fromarray(solid(c, (16, 16))) for c in
              ((255, 0, 0), (0, 255, 0), (0, 0, 255))]
    frames[0].save(path, save_all=True, append_images=frames[1:], duration=200, loop=0)


def main():
    spec = json.loads(Path(sys.argv[1]).read_text())
    out_path = Path(sys.argv[2])
    steps = spec.get("steps", 3)
    rows = spec.get("table_rows", 12)
    work = Path.cwd()
    wav(work / "tone.wav")
    gif(work / "clip.gif")
    logged = {"images": [], "histograms": []}
    run = wandb.init(**spec["init"])
    for step in range(0 if spec.get("only_table") else steps):
        colour = (40 * step, 100, 200)
        mask = np.zeros((24, 32), dtype=np.uint8)
        mask[:, 16:] = 1
        mask[12:, 16:] = 2
        image = wandb.Image(solid(colour), caption=f"sample {step}", boxes={
            "predictions": {"box_data": [{
                "position": {"minX": 0.1, "maxX": 0.5, "minY": 0.2, "maxY": 0.8},
                "class_id": step % 2, "box_caption": f"box {step}",
                "scores": {"conf": 0.9}}], "class_labels": BOX_LABELS}},
            masks={"segmentation": {"mask_data": mask, "class_labels": MASK_LABELS}})
        grid = [wandb.Image(solid((255, 0, 0) if i == 0 else (0, 0, 255)), caption=f"grid {i}")
                for i in range(2)]
        counts = [step + 1, 2, 3, 4 - step % 4]
        hist = wandb.Histogram(np_histogram=(counts, [0.0, 0.25, 0.5, 0.75, 1.0]))
        run.log({"samples": image, "grid": grid, "weights": hist, "loss": 1.0 / (step + 1)},
                step=step)
        logged["images"].append({"step": step, "caption": f"sample {step}", "colour": colour})
        logged["histograms"].append({"step": step, "counts": counts})

    table = wandb.Table(columns=["id", "label", "score", "picture"])
    logged["table"] = []
    for i in range(rows):
        colour = (i * 20 % 256, 255 - i * 20 % 256, 128)
        label = ["cat", "dog", "bird"][i % 3]
        if i in spec.get("big_rows", []):
            noise = np.random.default_rng(i).integers(0, 256, (100, 100, 3), dtype=np.uint8)
            table.add_data(i, label, round(i / 10, 2), wandb.Image(noise))
            logged["table"].append([i, label, round(i / 10, 2), None])
            continue
        table.add_data(i, label, round(i / 10, 2), wandb.Image(solid(colour, (8, 8))))
        logged["table"].append([i, label, round(i / 10, 2), list(colour)])
    line = wandb.Table(columns=["x", "y"], data=[[x, x * x] for x in range(10)])
    bars = wandb.Table(columns=["class", "accuracy"], data=[["cat", 0.9], ["dog", 0.7]])
    values = wandb.Table(columns=["height"], data=[[h] for h in (1, 2, 2, 3, 3, 3, 4)])
    curve = wandb.Table(columns=["class", "fpr", "tpr"],
                        data=[[c, x / 4, min(1, x / 4 + s)] for c, s in (("a", 0.3), ("b", 0.1))
                              for x in range(5)])
    if spec.get("only_table"):
        run.log({"predictions": table}, step=steps)
        run.finish()
        out_path.write_text(json.dumps({**logged, "id": run.id}))
        return
    run.log({
        "predictions": table,
        "report": wandb.Html(HTML),
        "tone": wandb.Audio(str(work / "tone.wav"), caption="a 440 Hz tone"),
        "clip": wandb.Video(str(work / "clip.gif")),
        "line_chart": wandb.plot.line(line, "x", "y", title="y = x²"),
        "scatter_chart": wandb.plot.scatter(line, "x", "y", title="scatter"),
        "bar_chart": wandb.plot.bar(bars, "class", "accuracy", title="accuracy"),
        "hist_chart": wandb.plot.histogram(values, "height", title="heights"),
        "confusion": wandb.plot.confusion_matrix(y_true=[0, 1, 1, 0, 1], preds=[0, 1, 0, 0, 1],
                                                 class_names=["neg", "pos"]),
        "roc": wandb.plot_table("wandb/area-under-curve/v0", curve,
                                {"x": "fpr", "y": "tpr", "class": "class"},
                                {"title": "ROC", "x-axis-title": "False positive rate",
                                 "y-axis-title": "True positive rate"}),
    }, step=steps)
    for name, text in spec.get("files", {}).items():
        (work / name).write_text(text)
        run.save(str(work / name), base_path=str(work), policy="now")
    logged.update(html=HTML, box_labels=BOX_LABELS, mask_labels=MASK_LABELS, steps=steps,
                  line=[[x, x * x] for x in range(10)], bars=[["cat", 0.9], ["dog", 0.7]],
                  id=run.id, entity=run.entity, project=run.project)
    buffer = io.StringIO()
    json.dump(logged, buffer)
    run.finish()
    out_path.write_text(buffer.getvalue())


if __name__ == "__main__":
    main()
