// Forecasts page: draws the server-built Plotly timeline (figure JSON from json_script).
(function () {
  const el = document.getElementById("forecast-figure");
  const data = document.getElementById("forecast-figure-data");
  if (!el || !data) return;
  const fig = JSON.parse(data.textContent);
  if (fig) Plotly.newPlot(el, fig.data, fig.layout, { responsive: true, displaylogo: false });
})();
