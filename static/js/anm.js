// ANM projections view: draws the payload (figures, cards, alarms) and redraws it, without a
// reload, when a new projection finishes or an alarm changes (live events).
(function () {
  let payload = JSON.parse(document.getElementById("projection-payload").textContent);
  const networkId = payload.network;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const config = { responsive: true, displaylogo: false };
  const KIND = { thermal: "Thermal overload", overvoltage: "Over-voltage", undervoltage: "Under-voltage",
                 export: "Reverse power flow", import: "Import limit" };

  const esc = (s) => String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" }[c]));
  const fmtTime = (iso) => new Date(iso).toLocaleString([], { weekday: "short", hour: "2-digit", minute: "2-digit" });
  const mw = (v) => `${(v ?? 0).toFixed(2)} MW`;

  function countdown(iso) {
    const minutes = Math.round((new Date(iso) - Date.now()) / 60000);
    if (minutes <= 0) return "now";
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? `in ${h} h ${String(m).padStart(2, "0")} min` : `in ${m} min`;
  }

  function value(v, unit) { return unit === "pu" ? `${v.toFixed(3)} pu` : unit === "%" ? `${v.toFixed(0)} %` : `${v.toFixed(2)} ${unit}`; }

  function drawKpis() {
    const el = document.getElementById("projection-kpis");
    const run = payload.run;
    if (!run) { el.innerHTML = `<div class="kpi"><b>—</b><span>no projection yet: run one</span></div>`; return; }
    const s = run.summary;
    el.innerHTML = [
      [s.violations, "violations foreseen (48 h)"], [s.uncoverable, "not coverable by flexibility"],
      [payload.alarms.length, "open alarms"], [run.prealarms, "pre-alarms"],
      [fmtTime(run.start), "horizon starts"],
    ].map(([b, span]) => `<div class="kpi"><b>${esc(b)}</b><span>${esc(span)}</span></div>`).join("");
  }

  function drawAge() {
    const el = document.getElementById("projection-age");
    if (!payload.run) { el.textContent = ""; return; }
    const minutes = Math.round((Date.now() - new Date(payload.run.finished_at)) / 60000);
    el.textContent = `Projection #${payload.run.id} computed ${minutes < 1 ? "just now" : minutes + " min ago"}`;
    el.classList.toggle("stale", minutes > 30);
  }

  function drawFigures() {
    for (const [id, fig] of [["heatmap", payload.heatmap], ["timeline", payload.timeline]]) {
      const el = document.getElementById(id);
      if (fig) Plotly.react(el, fig.data, fig.layout, config);
      else el.innerHTML = `<p class="muted">Nothing to show yet.</p>`;
    }
  }

  function card(e) {
    const flex = e.flex_assets.map((a) => `${esc(a.name)} (${mw(a.peak_effective_mw)})`).join(", ") || "none useful";
    const curtail = e.curtailment.length
      ? `<p class="curtail">Last resort, curtail: ${e.curtailment.slice(0, 4).map((c) => `${esc(c.name)} ${mw(c.curtail_mw)}`).join(", ")}${e.curtailment.length > 4 ? ` and ${e.curtailment.length - 4} more` : ""}</p>` : "";
    return `<article class="episode ${esc(e.severity)}" data-episode="${e.id}">
      <header><span class="badge sev-${esc(e.severity)}">${esc(e.severity)}</span> <b>${esc(KIND[e.kind] || e.kind)}</b> · ${esc(e.element)} ${esc(e.name)}</header>
      <dl class="facts">
        <dt>Window</dt><dd>${fmtTime(e.start)} – ${fmtTime(e.end)} <span class="countdown" data-at="${esc(e.start)}">${countdown(e.start)}</span></dd>
        <dt>Peak</dt><dd>${value(e.peak_value, e.unit)} at ${fmtTime(e.peak_at)} (limit ${value(e.limit, e.unit)})</dd>
        <dt>Relief needed</dt><dd>${mw(e.relief_peak_mw)}</dd>
        <dt>Flex headroom</dt><dd>${mw(e.headroom_at_peak_mw)} <span class="badge ${e.coverable ? "green" : "red"}">${e.coverable ? "coverable" : "short"}</span></dd>
        <dt>Seen in</dt><dd>${e.quantiles.map((q) => q.toUpperCase()).join(", ")}</dd>
      </dl>
      <p class="muted small">Useful flexibility: ${flex}</p>${curtail}
    </article>`;
  }

  function drawEpisodes() {
    const el = document.getElementById("episodes");
    el.innerHTML = payload.episodes.length ? payload.episodes.map(card).join("")
      : `<p class="muted">No violations foreseen${payload.run ? "" : " (no projection yet)"}.</p>`;
  }

  function drawAlarms() {
    const body = document.querySelector("#alarms tbody");
    body.innerHTML = payload.alarms.length ? payload.alarms.map((a) => `<tr data-alarm="${a.id}" class="${esc(a.state)}">
        <td><span class="badge sev-${esc(a.severity)}">${esc(a.severity)}</span></td>
        <td>${esc(a.title)}</td>
        <td><span class="countdown" data-at="${esc(a.breach_at)}">${countdown(a.breach_at)}</span></td>
        <td>${a.state === "acknowledged"
          ? `<small class="acked">✓ ${esc(a.acknowledged_by)} ${fmtTime(a.acknowledged_at)}</small>`
          : `<button class="ack small-button" data-ack="${a.id}">Acknowledge</button>`}</td></tr>`).join("")
      : `<tr><td colspan="4" class="muted">No open alarms.</td></tr>`;
  }

  function draw() { drawKpis(); drawAge(); drawFigures(); drawEpisodes(); drawAlarms(); }

  function refresh() {
    return fetch(`/api/v1/anm/projection/?network=${networkId}`, { credentials: "same-origin" })
      .then((r) => r.json()).then((p) => { payload = p; draw(); });
  }

  document.addEventListener("click", (e) => {
    const id = e.target.dataset.ack;
    if (!id) return;
    e.target.disabled = true;
    fetch(`/api/v1/anm/alarms/${id}/acknowledge/`, { method: "POST", credentials: "same-origin", headers: { "X-CSRFToken": csrf } })
      .then((r) => r.json()).then((alarm) => {
        const row = payload.alarms.find((a) => a.id === alarm.id);
        if (row) Object.assign(row, alarm);
        drawAlarms();
      });
  });

  document.addEventListener("live:event", (e) => {
    const event = e.detail;
    if (event.payload.network !== networkId) return;
    if (event.kind === "projection.finished") refresh();
    else if (event.kind.startsWith("alarm.")) {
      const row = payload.alarms.find((a) => a.id === event.payload.id);
      if (event.kind === "alarm.cleared") payload.alarms = payload.alarms.filter((a) => a.id !== event.payload.id);
      else if (row) Object.assign(row, event.payload);
      drawAlarms();
    }
  });

  setInterval(() => {
    drawAge();
    document.querySelectorAll(".countdown").forEach((el) => { el.textContent = countdown(el.dataset.at); });
  }, 30000);
  draw();
})();
