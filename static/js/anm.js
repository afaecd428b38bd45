// ANM projections page. The server renders everything (templates/anm/projections.html); this
// script draws the two Plotly figures from their JSON, shows times in local time, and on a live
// event swaps in place only the partials the event changed (htmx, vendored). No markup is built
// here. Client rules per event kind: apps/anm/events.py.
(function () {
  const page = document.getElementById("anm-page");
  const networkId = parseInt(page.dataset.network, 10);
  const config = { responsive: true, displaylogo: false };
  // A refresh on a live event is not the user being active (idle timeout).
  const BACKGROUND = { "X-Background-Refresh": "1" };

  const fmtTime = (iso) => window.Clock.format(iso);  // the one time base (static/js/clock.js)

  function countdown(iso) {
    const minutes = Math.round((new Date(iso) - Date.now()) / 60000);
    if (minutes <= 0) return "now";
    const h = Math.floor(minutes / 60), m = minutes % 60;
    return h ? `in ${h} h ${String(m).padStart(2, "0")} min` : `in ${m} min`;
  }

  function ticking(scope) {
    scope.querySelectorAll("time[datetime]").forEach((el) => { if (el.dateTime) el.textContent = fmtTime(el.dateTime); });
    scope.querySelectorAll(".countdown").forEach((el) => { el.textContent = countdown(el.dataset.at); });
    const age = document.getElementById("projection-age");
    if (age && age.dataset.finished) {
      const minutes = Math.round((Date.now() - new Date(age.dataset.finished)) / 60000);
      age.querySelector("time").textContent = minutes < 1 ? "just now" : `${minutes} min ago`;
      age.classList.toggle("stale", minutes > 30);
    }
  }

  let drawnFrom = null;  // the figures' JSON element last drawn: a swap brings a new one

  function drawFigures() {
    const source = document.getElementById("projection-figures");
    if (source === drawnFrom) return;
    drawnFrom = source;
    for (const id of ["heatmap", "timeline"]) {
      const el = document.getElementById(id);
      // json_script tags: htmx keeps them in swapped content and never runs them (not JavaScript)
      const fig = JSON.parse(document.getElementById(`${id}-data`).textContent);
      if (fig) Plotly.react(el, fig.data, fig.layout, config);
      else { Plotly.purge(el); el.textContent = "Nothing to show yet."; el.classList.add("muted"); }
    }
  }

  function swap(name, target, query = "") {
    const url = page.dataset.partials.replace("NAME", name) + query;
    // Each target is its own source: htmx keeps one request per source (the last), so swaps of
    // different partials must not share one.
    return htmx.ajax("GET", url, { source: target, target, swap: "outerHTML", headers: BACKGROUND });
  }

  document.body.addEventListener("htmx:afterSettle", () => {
    ticking(document);
    drawFigures();
  });

  document.addEventListener("live:event", (e) => {
    const event = e.detail;
    if (event.payload.network !== networkId) return;
    if (event.kind === "projection.finished") {
      if (event.payload.live === false) return;  // what-ifs stay apart
      swap("projection-age", "#projection-age");
      swap("kpis", "#projection-kpis");
      swap("figures", "#projection-figures");
      swap("mv-cards", "#episodes");
      swap("lv-rows", "#lv-rows");
      swap("curtailment-rows", "#curtailment-rows");
    } else if (event.kind.startsWith("alarm.")) {
      const row = document.getElementById(`alarm-${event.payload.id}`);
      if (event.kind === "alarm.cleared") {
        if (row) row.remove();
        if (!document.querySelector("#alarm-rows tr[data-alarm]")) swap("alarm-rows", "#alarm-rows");
      } else if (row && event.kind !== "alarm.raised") {
        swap("alarm-row", `#alarm-${event.payload.id}`, `?alarm=${event.payload.id}`);
      } else {
        swap("alarm-rows", "#alarm-rows");  // a new alarm takes its place in the severity order
      }
      swap("kpis", "#projection-kpis");  // the open-alarm count
    }
  });

  setInterval(() => ticking(document), 30000);
  drawFigures();
  ticking(document);
})();
