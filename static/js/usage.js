/* Business hall usage page (用电分析): draws the charts with Chart.js (static/vendor/chartjs) from the
   json_script payloads the server renders next to each <canvas>. Every chart has the same numbers in a
   data table under it, so the page still tells everything without JavaScript. */
(function () {
  "use strict";

  var COLORS = {
    green: "#0d7a66",
    greenFill: "rgba(13, 122, 102, 0.14)",
    amber: "#f5a623",
    amberDark: "#b06f00",
    lastYear: "#9db8cc",
    grid: "#e3ecea",
    ink: "#4b5f65",
    tou: { sharp: "#b42318", peak: "#f5a623", flat: "#12937a", valley: "#0f4c75" },
  };

  var lang = document.documentElement.lang || "zh-hans";
  var locale = lang.indexOf("zh") === 0 ? "zh-CN" : lang;
  var reduceMotion = window.matchMedia && window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  var formats = {};

  function formatKwh(value, digits) {
    if (!formats[digits]) {
      formats[digits] = new Intl.NumberFormat(locale, { minimumFractionDigits: digits, maximumFractionDigits: digits });
    }
    return formats[digits].format(value) + " kWh";
  }

  // Decimal strings (exact, as the server sends them) to numbers for drawing; null stays a gap.
  function numbers(values) {
    return values.map(function (v) {
      return v === null || v === undefined ? null : Number(v);
    });
  }

  function narrow() {
    return window.matchMedia && window.matchMedia("(max-width: 599px)").matches;
  }

  function baseOptions() {
    return {
      responsive: true,
      maintainAspectRatio: false,
      animation: reduceMotion ? false : { duration: 400 },
      interaction: { mode: "index", intersect: false },
      plugins: { legend: { display: false } },
    };
  }

  function kwhAxis() {
    return {
      beginAtZero: true,
      grid: { color: COLORS.grid },
      title: { display: !narrow(), text: "kWh" },
      ticks: {
        callback: function (value) {
          return new Intl.NumberFormat(locale, { maximumFractionDigits: 2 }).format(value);
        },
      },
    };
  }

  var builders = {
    // a) the day's load curve: a line per interval; estimated points as amber triangles on a dashed line.
    day: function (payload) {
      var quality = payload.quality;
      function estimated(index) {
        return quality[index] === "estimated";
      }
      return {
        type: "line",
        data: {
          labels: payload.labels,
          datasets: [
            {
              label: payload.series,
              data: numbers(payload.values),
              borderColor: COLORS.green,
              backgroundColor: COLORS.greenFill,
              borderWidth: 2,
              fill: true,
              tension: 0.25,
              spanGaps: false,
              pointStyle: quality.map(function (q) {
                return q === "estimated" ? "triangle" : q === "edited" ? "rectRot" : "circle";
              }),
              pointRadius: quality.map(function (q) {
                return q === "estimated" || q === "edited" ? 4 : 0;
              }),
              pointHoverRadius: 5,
              pointBackgroundColor: quality.map(function (q) {
                return q === "estimated" ? COLORS.amber : COLORS.green;
              }),
              pointBorderColor: quality.map(function (q) {
                return q === "estimated" ? COLORS.amberDark : COLORS.green;
              }),
              segment: {
                borderColor: function (ctx) {
                  return estimated(ctx.p0DataIndex) || estimated(ctx.p1DataIndex) ? COLORS.amber : undefined;
                },
                borderDash: function (ctx) {
                  return estimated(ctx.p0DataIndex) || estimated(ctx.p1DataIndex) ? [5, 4] : undefined;
                },
              },
            },
          ],
        },
        options: Object.assign(baseOptions(), {
          scales: {
            x: {
              grid: { display: false },
              title: { display: !narrow(), text: payload.xTitle },
              ticks: { autoSkip: true, maxTicksLimit: narrow() ? 7 : 13, maxRotation: 0 },
            },
            y: kwhAxis(),
          },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  if (ctx.parsed.y === null) return payload.missingLabel;
                  var text = formatKwh(ctx.parsed.y, 3);
                  var q = quality[ctx.dataIndex];
                  return q && q !== "actual" ? text + " · " + payload.qualityLabels[q] : text;
                },
              },
            },
          },
        }),
      };
    },

    // b) daily totals of the month: bars, amber where the day includes estimated intervals.
    month: function (payload) {
      return {
        type: "bar",
        data: {
          labels: payload.labels,
          datasets: [
            {
              label: payload.series,
              data: numbers(payload.values),
              backgroundColor: payload.estimated.map(function (e) {
                return e ? COLORS.amber : COLORS.green;
              }),
              borderRadius: 3,
              maxBarThickness: 28,
            },
          ],
        },
        options: Object.assign(baseOptions(), {
          scales: {
            x: {
              grid: { display: false },
              title: { display: !narrow(), text: payload.xTitle },
              ticks: { autoSkip: true, maxRotation: 0 },
            },
            y: kwhAxis(),
          },
          plugins: {
            legend: { display: false },
            tooltip: {
              callbacks: {
                title: function (items) {
                  return items.length ? payload.titles[items[0].dataIndex] : "";
                },
                label: function (ctx) {
                  var text = formatKwh(ctx.parsed.y, 2);
                  return payload.estimated[ctx.dataIndex] ? text + " · " + payload.estimatedLabel : text;
                },
              },
            },
          },
        }),
      };
    },

    // c) monthly totals of the year with the year before beside them.
    year: function (payload) {
      var colours = [COLORS.green, COLORS.lastYear];
      return {
        type: "bar",
        data: {
          labels: payload.labels,
          datasets: payload.datasets.map(function (set, index) {
            return {
              label: set.label,
              data: numbers(set.values),
              backgroundColor: colours[index],
              borderRadius: 3,
              maxBarThickness: 22,
            };
          }),
        },
        options: Object.assign(baseOptions(), {
          scales: {
            x: { grid: { display: false }, ticks: { autoSkip: narrow(), maxRotation: 0 } },
            y: kwhAxis(),
          },
          plugins: {
            legend: { display: true, position: "top", align: "end", labels: { boxWidth: 12, boxHeight: 12 } },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  return ctx.dataset.label + ": " + (ctx.parsed.y === null ? "–" : formatKwh(ctx.parsed.y, 2));
                },
              },
            },
          },
        }),
      };
    },

    // d) the month's energy by TOU period (register differences), as a doughnut.
    tou: function (payload) {
      var values = numbers(payload.values);
      var total = values.reduce(function (sum, v) {
        return sum + (v || 0);
      }, 0);
      return {
        type: "doughnut",
        data: {
          labels: payload.labels,
          datasets: [
            {
              data: values,
              backgroundColor: payload.keys.map(function (key) {
                return COLORS.tou[key];
              }),
              borderColor: "#fff",
              borderWidth: 2,
            },
          ],
        },
        options: Object.assign(baseOptions(), {
          cutout: "58%",
          interaction: { mode: "nearest", intersect: true },
          plugins: {
            legend: { display: true, position: narrow() ? "bottom" : "right", labels: { boxWidth: 12, boxHeight: 12 } },
            tooltip: {
              callbacks: {
                label: function (ctx) {
                  var share = total ? " (" + ((100 * ctx.parsed) / total).toFixed(1) + "%)" : "";
                  return ctx.label + ": " + formatKwh(ctx.parsed, 2) + share;
                },
              },
            },
          },
        }),
      };
    },
  };

  function drawCharts() {
    if (!window.Chart) return; // the tables under each chart carry the same data
    Chart.defaults.font.family = window.getComputedStyle(document.body).fontFamily;
    Chart.defaults.color = COLORS.ink;
    document.querySelectorAll("canvas[data-chart]").forEach(function (canvas) {
      var source = document.getElementById(canvas.getAttribute("data-payload"));
      var build = builders[canvas.getAttribute("data-chart")];
      if (!source || !build) return;
      new Chart(canvas, build(JSON.parse(source.textContent)));
    });
  }

  // Month and year pickers load their period as soon as one is chosen; the day picker keeps its
  // button, since typing a date fires "change" on every complete date along the way.
  function autoSubmitPickers() {
    document.querySelectorAll("form[data-usage-picker] select").forEach(function (select) {
      select.form.classList.add("is-auto");
      select.addEventListener("change", function () {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      });
    });
  }

  function start() {
    drawCharts();
    autoSubmitPickers();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
