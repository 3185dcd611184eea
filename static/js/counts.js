// Keeps the petition counts on a statement page fresh without a reload.
// Progressive enhancement: the page is complete without it.
(function () {
  "use strict";
  var blocks = document.querySelectorAll("[data-count-url]");
  if (!blocks.length || !window.fetch) { return; }
  var format = new Intl.NumberFormat(document.documentElement.lang || undefined);
  function refresh() {
    if (document.hidden) { return; }
    blocks.forEach(function (block) {
      fetch(block.getAttribute("data-count-url"), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var number = block.querySelector("[data-count]");
          var bar = block.querySelector("[data-progress]");
          if (number) { number.textContent = format.format(data.count); }
          if (bar) { bar.value = data.count; }
        })
        .catch(function () {});
    });
  }
  setInterval(refresh, 15000);
})();
