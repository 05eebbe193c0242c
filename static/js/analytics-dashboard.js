/* Staff analytics panels: draws each panel's chart with the vendored Chart.js from the json_script
   payload next to its <canvas>. Payload: {type: "bar", labels, datasets: [{label, values, line?}],
   stacked?, horizontal?, yTitle?, y2Title?, sameAxis?}; with sameAxis the line datasets share the value
   axis (e.g. baseline vs actual kW) instead of a second one. The same figures are in the table under
   every chart. */
(function () {
  "use strict";

  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var PALETTE = ["#0d7a66", "#f5a623", "#0f4c75", "#b42318", "#7a5195", "#9db8cc", "#2f9e44", "#c2255c"];

  function numbers(values) {
    return values.map(function (v) {
      return v === null || v === undefined ? null : Number(v);
    });
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-chart-payload"));
    if (!source || typeof Chart === "undefined") return;
    var spec = JSON.parse(source.textContent);
    var hasLine = !spec.sameAxis && spec.datasets.some(function (d) { return d.line; });
    var datasets = spec.datasets.map(function (d, i) {
      var color = PALETTE[i % PALETTE.length];
      return {
        type: d.line ? "line" : "bar",
        label: d.label,
        data: numbers(d.values),
        backgroundColor: color,
        borderColor: color,
        yAxisID: d.line && hasLine ? "y2" : "y",
        fill: false,
        pointRadius: d.line ? 0 : undefined,
        order: d.line ? 0 : 1,
      };
    });
    var valueAxis = { beginAtZero: true, stacked: !!spec.stacked, title: { display: !!spec.yTitle, text: spec.yTitle || "" } };
    var scales = spec.horizontal
      ? { x: valueAxis, y: { stacked: !!spec.stacked } }
      : { x: { stacked: !!spec.stacked }, y: valueAxis };
    if (hasLine) {
      scales.y2 = { position: "right", beginAtZero: true, grid: { drawOnChartArea: false }, title: { display: true, text: spec.y2Title || "" } };
    }
    new Chart(canvas, {
      type: "bar",
      data: { labels: spec.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 400 },
        indexAxis: spec.horizontal ? "y" : "x",
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: datasets.length > 1 } },
        scales: scales,
      },
    });
  }

  function init() {
    document.querySelectorAll("canvas[data-chart-payload]").forEach(draw);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", init);
  else init();
})();
