// For partners' pages: include it after the frame of a call to action
// (<iframe data-campaign-embed src=".../petitions/<slug>/embed/">). It fits
// each such frame to the height its page reports, and trusts only messages
// from this script's own site, of the expected shape, from one of the frames.
(function () {
  "use strict";
  var script = document.currentScript;
  if (!script || !window.URL || !window.postMessage) { return; }
  var site = new URL(script.src, document.baseURI).origin;
  var MAX_HEIGHT = 20000;

  function frameOf(source) {
    var frames = document.querySelectorAll("iframe[data-campaign-embed]");
    for (var i = 0; i < frames.length; i++) {
      if (frames[i].contentWindow === source) { return frames[i]; }
    }
    return null;
  }

  window.addEventListener("message", function (event) {
    if (event.origin !== site) { return; }
    var data = event.data;
    if (!data || typeof data !== "object" || data.type !== "campaign-embed:height") { return; }
    var height = data.height;
    if (typeof height !== "number" || !isFinite(height) || height <= 0 || height > MAX_HEIGHT) { return; }
    var frame = frameOf(event.source);
    if (!frame) { return; }
    var src;
    try { src = new URL(frame.src, document.baseURI).origin; } catch (e) { return; }
    if (src !== site) { return; }
    frame.style.height = Math.ceil(height) + "px";
    frame.setAttribute("height", String(Math.ceil(height)));
  });
})();
