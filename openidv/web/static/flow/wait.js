/* Waiting page of the hosted flow: polls the flow's status and moves on when the automatic
   decision is stored (the server's /finish sends the user to the partner's page). */
(function () {
  "use strict";

  var root = document.getElementById("wait");
  var statusUrl = root.dataset.statusUrl;
  var finishUrl = root.dataset.finishUrl;
  var link = document.getElementById("finish-link");
  var delay = 1000;
  link.hidden = true; // without JavaScript the link is the way on

  function finished(outcome) {
    // Inside an iframe the embedding page may want to know without reading our URL.
    if (window.parent !== window) {
      window.parent.postMessage({ type: "openidv:finished", outcome: outcome }, "*");
    }
    if (outcome === "review") {
      document.getElementById("wait-review").hidden = false;
      link.hidden = false;
      window.setTimeout(function () { window.location.assign(finishUrl); }, 2500);
      return;
    }
    window.location.assign(finishUrl);
  }

  function poll() {
    fetch(statusUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) { return response.json(); })
      .then(function (state) {
        if (state.done) { finished(state.outcome); return; }
        window.setTimeout(poll, delay);
      })
      .catch(function () { window.setTimeout(poll, delay); })
      .then(function () { delay = Math.min(delay * 1.3, 5000); });
  }

  poll();
}());
