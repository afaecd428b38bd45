// Forecasts page: fetches the weather chart (server-built Plotly JSON) after the page has loaded.
(function () {
  const el = document.getElementById("weather-figure");
  if (!el) return;
  const none = document.getElementById("no-weather");
  fetch(el.dataset.src, { credentials: "same-origin", headers: { Accept: "application/json" } })
    .then((response) => {
      if (!response.ok) throw new Error(`weather chart: HTTP ${response.status}`);
      return response.json();
    })
    .then((body) => {
      if (!body.figure) {
        el.hidden = true;
        if (none) none.hidden = false;
        return;
      }
      Plotly.newPlot(el, body.figure.data, body.figure.layout, { responsive: true, displaylogo: false });
      el.dataset.drawn = "1";
    })
    .catch((error) => {
      el.hidden = true;
      if (none) {
        none.textContent = "The weather chart could not be loaded; reload the page to try again.";
        none.hidden = false;
      }
      console.error(error);
    });
})();
