// Keeps the petition counts on a statement page fresh without a reload.
// Progressive enhancement: the page is complete without it.
(function () {
  "use strict";
  var blocks = document.querySelectorAll("[data-count-url]");
  if (!blocks.length || !window.fetch) { return; }
  // Written as the server writes it (campaign/numerals.py): its thousands
  // separator and its digits (Burmese has its own), given on the element.
  function format(element, count) {
    var digits = element.getAttribute("data-digits") || "0123456789";
    var grouped = String(count).replace(/\B(?=(\d{3})+(?!\d))/g,
      element.getAttribute("data-group") || "");
    return grouped.replace(/[0-9]/g, function (d) { return digits.charAt(+d); });
  }
  function refresh() {
    if (document.hidden) { return; }
    blocks.forEach(function (block) {
      fetch(block.getAttribute("data-count-url"), { credentials: "omit" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (data) {
          if (!data) { return; }
          var number = block.querySelector("[data-count]");
          var bar = block.querySelector("[data-progress]");
          if (number) { number.textContent = format(number, data.count); }
          if (bar) { bar.value = data.count; }
        })
        .catch(function () {});
    });
  }
  setInterval(refresh, 15000);
})();
