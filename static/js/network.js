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

  function runRow(run) {
    const body = document.querySelector("#runs tbody");
    let row = body.querySelector(`tr[data-run="${run.id}"]`);
    if (!row) {
      body.querySelector("tr.none")?.remove();
      row = document.createElement("tr");
      row.dataset.run = run.id;
      const label = { snapshot: "Snapshot power flow", projection: "ANM constraint projection" }[run.kind] || run.kind;
      row.innerHTML = `<td>${run.id}</td><td>${label}</td><td><span class="badge"></span></td>` +
        `<td><progress max="100"></progress> <small></small></td>`;
      body.prepend(row);
    }
    const badge = row.querySelector(".badge");
    badge.textContent = run.state;
    badge.className = "badge " + run.state;
    row.querySelector("progress").value = run.progress;
    row.querySelector("small").textContent = run.stage;
  }

  document.addEventListener("live:event", (e) => {
    const event = e.detail;
    if (!event.kind.startsWith("study.") || event.payload.network !== networkId) return;
    runRow(event.payload);
    if (event.kind === "study.finished" && event.payload.state === "succeeded" && event.payload.kind === "snapshot") {
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

  draw();
})();
