// Network page: draws the server-built Plotly figures and follows study progress live.
(function () {
  const el = document.getElementById("network-figure");
  const networkId = parseInt(el.dataset.network, 10);
  // Figures are fetched lazily (built once per network revision or study result and cached on
  // the server), not inlined in the page: the HTML stays small and paints at once.
  const figures = { topology: null, snapshot: null };
  const urls = { topology: el.dataset.topologyUrl, snapshot: el.dataset.snapshotUrl };
  const loading = {};
  const config = { responsive: true, displaylogo: false };
  let view = "topology";
  // ?feeder=<id>: the page opens zoomed to that feeder's box; the cached figures are the whole
  // network, so the zoom is applied here (as apps.grid.figures.figure_zoomed does on the server).
  const zoomEl = document.getElementById("figure-zoom");
  const zoom = zoomEl ? JSON.parse(zoomEl.textContent) : null;
  function zoomed(fig) {
    if (!zoom || !fig) return fig;
    const layout = { ...fig.layout };
    layout.xaxis = { ...(layout.xaxis || {}), range: zoom.x, autorange: false };
    layout.yaxis = { ...(layout.yaxis || {}), range: zoom.y, autorange: false };
    return { ...fig, layout };
  }

  function loadFigure(name) {
    if (figures[name]) return Promise.resolve(figures[name]);
    if (!urls[name]) return Promise.resolve(null);
    if (!loading[name]) {
      loading[name] = fetch(urls[name], { credentials: "same-origin", headers: { Accept: "application/json" } })
        .then((r) => (r.ok ? r.json() : Promise.reject(new Error(`figure ${r.status}`))))
        .then((fig) => { figures[name] = zoomed(fig); return figures[name]; })
        .finally(() => { delete loading[name]; });
    }
    return loading[name];
  }

  let drawn = Promise.resolve();  // settles once the figure last asked for is drawn
  function draw() {
    const wanted = figures[view] ? view : (urls[view] ? view : "topology");
    drawn = loadFigure(wanted).then((fig) => {
      if (!fig || (view !== wanted && figures[view])) return;
      el.querySelector(".figure-loading")?.remove();
      el.removeAttribute("aria-busy");
      Plotly.react(el, fig.data, fig.layout, config);
    }).catch(() => {
      const note = el.querySelector(".figure-loading");
      if (note) note.textContent = "The network figure could not be loaded; reload the page to try again.";
    });
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
          figures.snapshot = zoomed(fig);
          urls.snapshot = `/api/v1/studies/${event.payload.id}/figure/`;
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
      document.querySelectorAll(".worst-item").forEach((i) => i.classList.toggle("active", i === item));
      const tab = document.querySelector('.tab[data-view="snapshot"]');
      if (view !== "snapshot" && tab && !tab.disabled) tab.click();
      // The power flow figure is fetched on first use: zoom once it is drawn, not before.
      drawn.then(() => {
        const full = el.layout.xaxis.range, half = Math.max(Math.abs(full[1] - full[0]) / 20, 1e-4);
        Plotly.relayout(el, {
          "xaxis.range": [x - half, x + half], "yaxis.range": [y - half / 1.6, y + half / 1.6],
          shapes: [{ type: "circle", xref: "x", yref: "y", x0: x - half / 10, x1: x + half / 10,
                     y0: y - half / 16, y1: y + half / 16, line: { color: "#c62828", width: 3 } }],
        });
      });
    });
  });

  draw();
})();
