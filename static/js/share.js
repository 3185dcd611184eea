// The "Share" button opens the device's own share sheet (Web Share API).
// Progressive enhancement: the button stays hidden where the browser has no
// navigator.share; the plain share links beside it work everywhere.
(function () {
  "use strict";
  if (!navigator.share) { return; }
  document.querySelectorAll("[data-share-url]").forEach(function (button) {
    button.addEventListener("click", function () {
      navigator.share({
        title: document.title,
        text: button.getAttribute("data-share-text"),
        url: button.getAttribute("data-share-url")
      }).catch(function () {});  // dismissed: nothing to do
    });
    button.parentNode.hidden = false;
  });
})();
