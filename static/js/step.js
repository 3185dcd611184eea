// The "one more step" page: finds the proof of work the server asked for
// (a nonce such that SHA-256(challenge + ":" + nonce) starts with the given
// number of zero bits) and sends the form. Without it (no JavaScript, or no
// Web Crypto), the page's button passes after a short wait.
(function () {
  "use strict";
  var form = document.querySelector("form[data-step-challenge]");
  if (!form || !window.crypto || !window.crypto.subtle || !window.TextEncoder) { return; }
  var challenge = form.getAttribute("data-step-challenge");
  var bits = parseInt(form.getAttribute("data-step-difficulty"), 10);
  var field = form.querySelector("input[name=nonce]");
  var status = document.getElementById("step-status");
  var working = form.querySelector("[data-step-working]");
  var done = form.querySelector("[data-step-done]");
  if (!challenge || !(bits > 0) || !field) { return; }
  var encoder = new TextEncoder();
  var BATCH = 512;
  if (status && working) { status.textContent = working.textContent; }

  function solves(buffer) {
    var bytes = new Uint8Array(buffer);
    var whole = bits >> 3, rest = bits & 7, i;
    for (i = 0; i < whole; i++) { if (bytes[i] !== 0) { return false; } }
    return rest === 0 || (bytes[whole] >> (8 - rest)) === 0;
  }

  function search(start) {
    var tries = [], n;
    for (n = start; n < start + BATCH; n++) {
      tries.push(window.crypto.subtle.digest("SHA-256", encoder.encode(challenge + ":" + n)));
    }
    return Promise.all(tries).then(function (digests) {
      for (var i = 0; i < digests.length; i++) {
        if (solves(digests[i])) { return start + i; }
      }
      return search(start + BATCH);
    });
  }

  search(0).then(function (nonce) {
    field.value = String(nonce);
    if (status && done) { status.textContent = done.textContent; }
    form.submit();
  }).catch(function () {
    // Leave the page as it is: its button still passes after the wait.
  });
})();
