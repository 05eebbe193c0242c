/* Staff line-loss area page: supplied and consumed kWh per day (bars), the loss rate (line, right
   axis) and grey bands behind incomplete days, drawn with the vendored Chart.js from the json_script
   payload. The table under the chart carries the same figures without JavaScript. */
(function () {
  "use strict";
  var canvas = document.getElementById("lineloss-area-chart");
  var payload = document.getElementById("lineloss-area-data");
  if (!canvas || !payload || !window.Chart) {
    return;
  }
  var data = JSON.parse(payload.textContent);
  var supplied = data.supplied.map(Number);
  var consumed = data.consumed.map(Number);
  var top = Math.max.apply(null, supplied.concat(consumed, [1]));

  // A full-height grey bar behind every incomplete day: bad data must not read as loss.
  var bands = data.incomplete.map(function (incomplete) { return incomplete ? top : null; });

  new window.Chart(canvas, {
    data: {
      labels: data.labels,
      datasets: [
        { type: "line", label: data.names.rate, data: data.rate, yAxisID: "rate", borderColor: "#b42318",
          backgroundColor: "#b42318", borderWidth: 2, tension: 0.2, spanGaps: false,
          pointRadius: data.flagged.map(function (f) { return f ? 4 : 0; }), order: 0 },
        { type: "bar", label: data.names.supplied, data: supplied, yAxisID: "kwh", backgroundColor: "#0f4c75", order: 2 },
        { type: "bar", label: data.names.consumed, data: consumed, yAxisID: "kwh", backgroundColor: "#12937a", order: 2 },
        { type: "bar", label: data.names.incomplete, data: bands, yAxisID: "kwh", backgroundColor: "rgba(120,120,120,0.25)",
          grouped: false, barPercentage: 1, categoryPercentage: 1, order: 3 }
      ]
    },
    options: {
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        kwh: { type: "linear", position: "left", beginAtZero: true, title: { display: true, text: "kWh" } },
        rate: { type: "linear", position: "right", grid: { drawOnChartArea: false }, title: { display: true, text: "%" } }
      }
    }
  });
})();
