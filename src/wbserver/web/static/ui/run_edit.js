/* The run page's edits for whoever may write the project: rename, tags, notes (POST
   …/edit), and delete with an undo. Delete is sent UNDO_SECONDS after the click (or when
   the page is left in the meantime) unless Undo is pressed first; once sent it is final,
   as the API's deleteRun. */
(function () {
  "use strict";
  const WB = window.WB;
  const info = JSON.parse(document.getElementById("run-data").textContent);
  const api = "/_ui/" + WB.enc(info.entity) + "/" + WB.enc(info.project) + "/runs/" + WB.enc(info.run);
  const $ = function (id) { return document.getElementById(id); };
  if (!$("run-edit-form")) return; // the viewer may not edit this run (the page has no form)
  WB.undoSeconds = WB.undoSeconds || 10; // tests shorten it

  function post(path, body, keepalive) {
    return fetch(api + path, {
      method: "POST", credentials: "same-origin", keepalive: !!keepalive,
      headers: { "Content-Type": "application/json", "X-CSRF-Token": info.csrf },
      body: JSON.stringify(body || {}),
    });
  }

  async function failure(response) {
    try { return (await response.json()).error || String(response.status); } catch (e) { return String(response.status); }
  }

  function showTags(tags) {
    const box = $("overview-tags");
    box.replaceChildren();
    tags.forEach(function (t) {
      const span = document.createElement("span");
      span.className = "tag";
      span.textContent = t;
      box.append(span, document.createTextNode(" "));
    });
  }

  $("run-edit-form").addEventListener("submit", async function (event) {
    event.preventDefault();
    const status = $("run-edit-status");
    const tags = $("edit-tags").value.split(",").map(function (t) { return t.trim(); }).filter(Boolean);
    status.textContent = "";
    const response = await post("/edit", { displayName: $("edit-name").value, tags: tags, notes: $("edit-notes").value });
    if (!response.ok) { status.textContent = WB.t("could not save:") + " " + await failure(response); return; }
    const run = await response.json();
    document.querySelector(".title-row h1").textContent = run.displayName;
    document.title = run.displayName + " · wbserver";
    showTags(run.tags);
    $("overview-notes").textContent = run.notes;
    status.textContent = WB.t("saved");
    document.body.dataset.edited = String(Number(document.body.dataset.edited || 0) + 1);
  });

  let timer = null;
  let sent = false;
  async function deleteNow(leaving) {
    if (sent) return;
    sent = true;
    clearTimeout(timer);
    window.removeEventListener("pagehide", onLeave);
    const response = await post("/delete", {}, leaving);
    if (leaving) return;
    if (!response.ok) {
      sent = false;
      $("run-undo-text").textContent = WB.t("could not delete:") + " " + await failure(response);
      $("run-undo-button").hidden = true;
      return;
    }
    $("run-undo").hidden = true;
    location.href = info.projectUrl;
  }
  function onLeave() { deleteNow(true); }

  $("run-delete").addEventListener("click", function () {
    if (timer || sent) return;
    const banner = $("run-undo");
    let left = WB.undoSeconds;
    const say = function () {
      $("run-undo-text").textContent = WB.format(WB.t("This run will be deleted in %(seconds)s s."), { seconds: left });
    };
    say();
    $("run-undo-button").hidden = false;
    banner.hidden = false;
    $("run-delete").disabled = true;
    window.addEventListener("pagehide", onLeave);
    const tick = function () {
      left -= 1;
      if (left <= 0) { timer = null; deleteNow(false); return; }
      say();
      timer = setTimeout(tick, 1000);
    };
    timer = setTimeout(tick, 1000);
  });

  $("run-undo-button").addEventListener("click", function () {
    clearTimeout(timer);
    timer = null;
    window.removeEventListener("pagehide", onLeave);
    $("run-undo").hidden = true;
    $("run-delete").disabled = false;
    document.body.dataset.undone = String(Number(document.body.dataset.undone || 0) + 1);
  });
})();
