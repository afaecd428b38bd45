// ANM projections view: draws the payload (figures, cards, alarms) and redraws it, without a
// reload, when a new projection finishes or an alarm changes (live events).
(function () {
  let payload = JSON.parse(document.getElementById("projection-payload").textContent);
  const networkId = payload.network;
  const csrf = document.querySelector("input[name=csrfmiddlewaretoken]").value;
  const config = { responsive: true, displaylogo: false };
  const CASE = { export: "export bound (generation P90, demand P10)", median: "median (P50)",
                 import: "import bound (generation P10, demand P90)" };

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
      [s.mv_locations ?? "—", "MV / primary constraint locations (48 h)"], [s.uncoverable, "not coverable by flexibility"],
      [payload.alarms.length, "open alarms"], [run.prealarms, "MV pre-alarms"],
      [s.lv_locations ?? "—", "LV locations (planning list)"],
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

  function support(v) {
    if (!v || v.excess_pu === undefined) return "";
    const parts = [`reactive power at 0.95 pf (${v.reactive_mvar.toFixed(2)} MVAr) gives ${v.reactive_pu.toFixed(3)} pu`];
    parts.push(v.target_pu > 0 ? `the primary's voltage target gives ${v.target_pu.toFixed(3)} pu` : "the primary's voltage target gives nothing here");
    const left = v.remaining_pu > 0 ? `${v.remaining_pu.toFixed(3)} pu left for flexibility` : "nothing left: no flexibility or curtailment needed";
    return `<dt>Voltage support</dt><dd>${esc(v.excess_pu.toFixed(3))} pu over: ${esc(parts.join("; "))}; ${esc(left)}</dd>`;
  }

  function card(e) {
    // small assets in kW, and none that would give nothing at the peak
    const flex = e.flex_assets.filter((a) => a.peak_effective_mw >= 0.0005)
      .map((a) => `${esc(a.name)} (${a.peak_effective_mw < 1 ? `${(a.peak_effective_mw * 1000).toFixed(0)} kW` : mw(a.peak_effective_mw)})`)
      .join(", ") || "none useful";
    const windows = (e.windows || []).length > 1
      ? `<dt>Foreseen</dt><dd>${e.windows.length} windows: ${e.windows.map((w) => `${fmtTime(w.start)} – ${fmtTime(w.end)} (${value(w.peak_value, e.unit)})`).map(esc).join("; ")}</dd>` : "";
    const confirmed = e.confirmed === true ? `<span class="badge green">re-solved: clears</span>`
      : e.confirmed === false ? `<span class="badge red">re-solved: does not clear</span>` : "";
    const curtail = e.curtailment.length
      ? `<p class="curtail">Last resort, curtail (flexible connections, ${esc(e.curtailment.length > 1 ? "in order" : "")}): ${e.curtailment.slice(0, 4).map((c) => `${esc(c.name)} up to ${mw(c.peak_mw)} (${(c.mwh ?? 0).toFixed(2)} MWh)`).join(", ")}${e.curtailment.length > 4 ? ` and ${e.curtailment.length - 4} more` : ""}${e.uncleared_mw > 0 ? `; ${mw(e.uncleared_mw)} cannot be cleared by curtailment` : ""}</p>`
      : !e.coverable ? `<p class="curtail">No generator on a flexible (ANM) connection can be curtailed here: firm and G98 connections are not curtailed.</p>` : "";
    const members = e.members_count > 1 ? `${e.members_count} elements: ${e.members.map(esc).join(", ")}${e.members_count > e.members.length ? " …" : ""}` : esc(e.worst.name);
    return `<article class="episode ${esc(e.severity)}" data-episode="${e.id}">
      <header><span class="badge sev-${esc(e.severity)}">${esc(e.severity)}</span> <b>${esc(e.title)}</b></header>
      <dl class="facts">
        <dt>Window</dt><dd>${fmtTime(e.start)} – ${fmtTime(e.end)} <span class="countdown" data-at="${esc(e.start)}">${countdown(e.start)}</span></dd>
        ${windows}
        <dt>Peak</dt><dd>${value(e.peak_value, e.unit)} at ${esc(e.worst.name)}, ${fmtTime(e.peak_at)} (limit ${value(e.limit, e.unit)})</dd>
        <dt>Affected</dt><dd>${members}</dd>
        <dt>Seen in</dt><dd>${e.cases.map((c) => esc(CASE[c] || c)).join("; ")}; figures from the ${esc((CASE[e.case] || e.case).split(" (")[0])}</dd>
        ${support(e.voltage_support)}
        <dt>Relief needed</dt><dd>${mw(e.relief_peak_mw)}</dd>
        <dt>Flex headroom</dt><dd>${mw(e.headroom_at_peak_mw)} <span class="badge ${e.coverable ? "green" : "red"}">${e.coverable ? "coverable" : "short"}</span> ${confirmed}</dd>
      </dl>
      <p class="muted small">Useful flexibility: ${flex}</p>${curtail}
    </article>`;
  }

  function drawEpisodes() {
    const el = document.getElementById("episodes");
    el.innerHTML = payload.episodes.length ? payload.episodes.map(card).join("")
      : `<p class="muted">No MV or primary constraints foreseen${payload.run ? "" : " (no projection yet)"}.</p>`;
    const lv = document.querySelector("#lv-episodes tbody");
    lv.innerHTML = payload.lv_episodes.length ? payload.lv_episodes.map((e) => `<tr data-lv-episode="${e.id}">
        <td>${esc(e.title)}</td><td>${fmtTime(e.start)} – ${fmtTime(e.end)}</td>
        <td>${value(e.peak_value, e.unit)} (limit ${value(e.limit, e.unit)})</td>
        <td>${e.members_count}</td><td>${mw(e.relief_peak_mw)}</td>
        <td><span class="badge ${e.coverable ? "green" : "red"}">${e.coverable ? "flex can cover" : "short"}</span></td></tr>`).join("")
      : `<tr><td colspan="6" class="muted">No LV constraints foreseen.</td></tr>`;
    const cut = document.querySelector("#curtailment-totals tbody");
    cut.innerHTML = payload.curtailment.length ? payload.curtailment.map((c) => `<tr><td>${esc(c.name)}</td><td>${c.mwh.toFixed(2)} MWh</td></tr>`).join("")
      : `<tr><td colspan="2" class="muted">No curtailment instructed.</td></tr>`;
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
    // Marked as background: a refresh on a live event is not the user being active (idle timeout).
    return fetch(`/api/v1/anm/projection/?network=${networkId}`, { credentials: "same-origin", headers: { "X-Background-Refresh": "1" } })
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
    if (event.kind === "projection.finished") { if (event.payload.live !== false) refresh(); }  // what-ifs stay apart
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
