/* The runs table: live state and runtime of the shown runs while any of them runs. */
(function () {
  "use strict";
  const table = document.getElementById("runs-table");
  if (!table) return;
  const POLL_MS = 5000;
  const note = document.getElementById("live-note");

  async function poll() {
    const response = await fetch(table.dataset.liveUrl, {
      credentials: "same-origin", headers: { Accept: "application/json" },
    });
    if (!response.ok) return false;
    const body = await response.json();
    body.rows.forEach(function (row) {
      const tr = table.querySelector('tr[data-run="' + CSS.escape(row.name) + '"]');
      if (!tr) return;
      const state = tr.querySelector('td[data-col="state"] .state');
      state.textContent = WB.t(row.state);
      state.className = "state state-" + row.state;
      tr.querySelector('td[data-col="runtime"]').textContent = row.runtime;
      Object.keys(row.cells).forEach(function (col) {
        const td = tr.querySelector('td[data-col="' + CSS.escape(col) + '"]');
        if (td) td.textContent = row.cells[col];
      });
    });
    const count = document.getElementById("run-count");
    const shown = count.textContent.split(" ")[0];
    if (String(body.total) !== shown) count.textContent = count.textContent.replace(shown, String(body.total));
    return body.anyRunning;
  }

  function schedule() {
    setTimeout(function () {
      poll().then(function (running) {
        if (running) schedule();
        else if (note) note.hidden = true;
      }).catch(schedule);
    }, POLL_MS);
  }

  if (table.dataset.anyRunning === "1") schedule();
})();
