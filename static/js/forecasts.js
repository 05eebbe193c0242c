/* Staff forecast page: P50 line, P10–P90 band and the actual load, drawn with the vendored Chart.js
   from the json_script payload "forecast-data" rendered by analytics/views/forecasting.py. */
(function () {
  "use strict";
  var payload = document.getElementById("forecast-data");
  var canvas = document.getElementById("forecast-chart");
  if (!payload || !canvas || !window.Chart) return;
  var data = JSON.parse(payload.textContent);
  var text = data.labels_text;
  new window.Chart(canvas, {
    type: "line",
    data: {
      labels: data.labels,
      datasets: [
        { label: text.p10, data: data.p10, borderWidth: 0, pointRadius: 0, fill: false, borderColor: "rgba(54,162,235,0.2)" },
        { label: text.p90, data: data.p90, borderWidth: 0, pointRadius: 0, fill: "-1", backgroundColor: "rgba(54,162,235,0.2)", borderColor: "rgba(54,162,235,0.2)" },
        { label: text.p50, data: data.p50, borderWidth: 2, pointRadius: 0, borderColor: "rgb(30,100,200)", fill: false },
        { label: text.actual, data: data.actual, borderWidth: 1.5, pointRadius: 0, borderColor: "rgb(220,80,40)", fill: false, spanGaps: false }
      ]
    },
    options: {
      animation: false,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: { y: { title: { display: true, text: data.unit } }, x: { ticks: { maxTicksLimit: 14 } } },
      plugins: { legend: { labels: { filter: function (item) { return item.datasetIndex !== 0; } } } }
    }
  });
})();
