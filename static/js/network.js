// Network page: draws the server-built Plotly figures and follows study progress live.
(function () {
  const el = document.getElementById("network-figure");
  const networkId = parseInt(el.dataset.network, 10);
  const figures = {
    topology: JSON.parse(document.getElementById("figure-topology").textContent),
    snapshot: JSON.parse(document.getElementById("figure-snapshot").textContent),
  };
  const config = { responsive: true, displaylogo: false };
  let view = "topology";

  function draw() {
    const fig = figures[view] || figures.topology;
    Plotly.react(el, fig.data, fig.layout, config);
  }

  document.querySelectorAll(".tab").forEach((tab) => {
    tab.addEventListener("click", () => {
      if (tab.disabled) return;
      document.querySelectorAll(".tab").forEach((t) => t.classList.toggle("active", t === tab));
      view = tab.dataset.view;
      draw();
    });
  });

  // Named partials of the page (templates/controlroom/network.html), rendered on the server and
  // swapped in place; no markup is built here. A refresh on a live event is not the user being
  // active (idle timeout).
  // Events can come faster than swaps: one request per partial at a time, and one more after it
  // when an event arrived meanwhile, so the last swap always shows the latest state.
  const side = document.getElementById("network-side");
  const pending = {};
  function swap(name, target) {
    if (pending[name]) { pending[name] = "again"; return; }
    pending[name] = true;
    const url = side.dataset.partials.replace("NAME", name);
    htmx.ajax("GET", url, { source: target, target, swap: "outerHTML", headers: { "X-Background-Refresh": "1" } })
      .finally(() => {
        const again = pending[name] === "again";
        pending[name] = false;
        if (again) swap(name, target);
      });
  }

  document.addEventListener("live:event", (e) => {
    const event = e.detail;
    if (!event.kind.startsWith("study.") || event.payload.network !== networkId) return;
    swap("runs", "#run-rows");
    if (event.kind === "study.finished" && event.payload.state === "succeeded" && event.payload.kind === "snapshot") {
      swap("snapshot-panel", "#snapshot-panel");
      fetch(`/api/v1/studies/${event.payload.id}/figure/`, { credentials: "same-origin", headers: { "X-Background-Refresh": "1" } })
        .then((r) => r.json())
        .then((fig) => {
          figures.snapshot = fig;
          const tab = document.querySelector('.tab[data-view="snapshot"]');
          tab.disabled = false;
          tab.click();
        });
    }
  });

  // Feeder zoom: the select reloads the page zoomed to that feeder (?feeder=<id>, server-side).
  const feederSelect = document.getElementById("feeder-select");
  if (feederSelect) feederSelect.addEventListener("change", () => feederSelect.form.submit());

  // The worst elements beside the figure: a click shows the power flow zoomed on that element,
  // ringed (its hover text names it).
  document.querySelectorAll(".worst-item[data-x]").forEach((item) => {
    item.addEventListener("click", () => {
      const x = parseFloat(item.dataset.x), y = parseFloat(item.dataset.y);
      const full = el.layout.xaxis.range, half = Math.max(Math.abs(full[1] - full[0]) / 20, 1e-4);
      document.querySelectorAll(".worst-item").forEach((i) => i.classList.toggle("active", i === item));
      const tab = document.querySelector('.tab[data-view="snapshot"]');
      if (view !== "snapshot" && tab && !tab.disabled) tab.click();
      Plotly.relayout(el, {
        "xaxis.range": [x - half, x + half], "yaxis.range": [y - half / 1.6, y + half / 1.6],
        shapes: [{ type: "circle", xref: "x", yref: "y", x0: x - half / 10, x1: x + half / 10,
                   y0: y - half / 16, y1: y + half / 16, line: { color: "#c62828", width: 3 } }],
      });
    });
  });

  draw();
})();
