/* Customer segments (staff page and the business hall's comparison): line charts drawn with the
   vendored Chart.js from the json_script payload named by each canvas's data-segments-chart. The same
   numbers are in a table beside every chart, so nothing depends on this script. */
(function () {
  "use strict";

  var PALETTE = ["#0d7a66", "#f5a623", "#0f4c75", "#b42318", "#7a4cc2", "#12937a", "#9db8cc", "#5d6d73"];
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;

  function narrow() {
    return window.matchMedia && window.matchMedia("(max-width: 599px)").matches;
  }

  function draw(canvas) {
    var source = document.getElementById(canvas.getAttribute("data-segments-chart"));
    if (!source || typeof Chart === "undefined") {
      return;
    }
    var payload = JSON.parse(source.textContent);
    var datasets = payload.datasets.map(function (set, index) {
      var color = PALETTE[index % PALETTE.length];
      return {
        label: set.label,
        data: set.values.map(Number),
        borderColor: color,
        backgroundColor: color,
        borderDash: set.dashed ? [6, 4] : [],
        borderWidth: set.emphasis ? 3 : 2,
        pointRadius: 0,
        tension: 0.25,
      };
    });
    // eslint-disable-next-line no-new
    new Chart(canvas, {
      type: "line",
      data: { labels: payload.labels, datasets: datasets },
      options: {
        responsive: true,
        maintainAspectRatio: false,
        animation: reduceMotion ? false : { duration: 400 },
        interaction: { mode: "index", intersect: false },
        plugins: { legend: { display: true, position: "bottom" } },
        scales: {
          x: { title: { display: !narrow(), text: payload.xTitle } },
          y: { beginAtZero: true, title: { display: !narrow(), text: payload.yTitle } },
        },
      },
    });
  }

  function init() {
    Array.prototype.forEach.call(document.querySelectorAll("canvas[data-segments-chart]"), draw);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
