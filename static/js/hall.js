/* Business hall: small progressive enhancements. Every page also works without JavaScript. */
(function () {
  "use strict";
  document.documentElement.classList.add("js");

  document.addEventListener("DOMContentLoaded", function () {
    // Account switcher and footer language picker: submit as soon as a choice is made.
    document.querySelectorAll("form[data-autosubmit] select, select[data-autosubmit-select]").forEach(function (select) {
      select.addEventListener("change", function () {
        select.form.requestSubmit ? select.form.requestSubmit() : select.form.submit();
      });
    });

    // Bind page tabs: switch panels in place (the links still work as plain links).
    document.querySelectorAll("[data-tabs]").forEach(function (container) {
      var tabs = Array.prototype.slice.call(container.querySelectorAll('[role="tab"]'));
      function select(tab, focus) {
        tabs.forEach(function (other) {
          var selected = other === tab;
          other.setAttribute("aria-selected", selected ? "true" : "false");
          other.setAttribute("tabindex", selected ? "0" : "-1");
          document.getElementById(other.getAttribute("aria-controls")).hidden = !selected;
        });
        if (focus) tab.focus();
        if (window.history && window.history.replaceState) {
          window.history.replaceState(null, "", tab.getAttribute("href"));
        }
      }
      tabs.forEach(function (tab, index) {
        tab.setAttribute("tabindex", tab.getAttribute("aria-selected") === "true" ? "0" : "-1");
        tab.addEventListener("click", function (event) {
          event.preventDefault();
          select(tab, false);
        });
        tab.addEventListener("keydown", function (event) {
          var step = event.key === "ArrowRight" ? 1 : event.key === "ArrowLeft" ? -1 : 0;
          if (step) {
            event.preventDefault();
            select(tabs[(index + step + tabs.length) % tabs.length], true);
          }
        });
      });
    });
  });
})();
