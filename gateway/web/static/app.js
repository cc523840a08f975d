// Small behaviours of every page: a visible in-progress state on long forms, print buttons.
(function () {
  "use strict";
  document.querySelectorAll("form[data-progress]").forEach(function (form) {
    form.addEventListener("submit", function () {
      var indicator = form.querySelector(".progress");
      var button = form.querySelector("button[type=submit]");
      if (button) { button.disabled = true; form.classList.add("busy"); }
      if (!indicator) return;
      indicator.hidden = false;
      var started = Date.now(), elapsed = indicator.querySelector(".elapsed");
      setInterval(function () {
        if (elapsed) elapsed.textContent = Math.round((Date.now() - started) / 1000) + " s";
      }, 500);
    });
  });
  document.querySelectorAll("button.print").forEach(function (button) {
    button.addEventListener("click", function () { window.print(); });
  });
})();
