/* Demand-response pages (需求响应): baseline vs actual load per 15 minutes, drawn with Chart.js (as the
   usage page does) from the json_script payload named by each canvas's data-dr-chart. The same figures
   are in the table under the chart, so the page tells everything without JavaScript. */
(function () {
  "use strict";

  function numbers(values) {
    return values.map(function (v) {
      return v === null || v === undefined ? null : Number(v);
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-dr-chart"));
    if (!source || typeof Chart === "undefined") return;
    var payload = JSON.parse(source.textContent);
    var zh = (document.documentElement.lang || "zh-hans").indexOf("zh") === 0;
    new Chart(canvas, {
      type: "line",
      data: {
        labels: payload.labels,
        datasets: [
          {
            label: zh ? "基线" : "Baseline",
            data: numbers(payload.baseline),
            borderColor: "#9db8cc",
            borderDash: [6, 4],
            pointRadius: 0,
            spanGaps: false,
          },
          {
            label: zh ? "实际" : "Actual",
            data: numbers(payload.actual),
            borderColor: "#0d7a66",
            backgroundColor: "rgba(13, 122, 102, 0.14)",
            pointRadius: 2,
            spanGaps: false,
          },
        ],
      },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        interaction: { mode: "index", intersect: false },
        scales: { y: { beginAtZero: true, title: { display: true, text: "kW" } } },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("canvas[data-dr-chart]").forEach(draw);
  });
})();
