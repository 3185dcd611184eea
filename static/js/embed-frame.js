// Inside the frame on a partner's site (templates/embed/): tells the page
// around it how tall this page is, so that its copy of static/js/embed.js can
// fit the frame to it. The height is no secret, so any parent may read it.
(function () {
  "use strict";
  if (window.parent === window) { return; }
  var main = document.querySelector("[data-embed-slug]");
  var slug = main ? main.getAttribute("data-embed-slug") : "";
  var last = 0;
  function send() {
    var height = Math.ceil(document.documentElement.getBoundingClientRect().height);
    if (height === last) { return; }
    last = height;
    window.parent.postMessage({ type: "campaign-embed:height", slug: slug, height: height }, "*");
  }
  send();
  window.addEventListener("load", send);
  window.addEventListener("resize", send);
  if (window.ResizeObserver) { new window.ResizeObserver(send).observe(document.body); }
})();
