// openidv review console: the little JavaScript it has. Image zoom (an overlay with
// fit / actual size / 2x), and a text fallback for a portrait the server could not find.
// Everything works without it: the image links open the image itself.
(function () {
  "use strict";

  function closeBox(box) { box.remove(); document.body.style.overflow = ""; }

  function openBox(href, caption) {
    var box = document.createElement("div");
    box.className = "lightbox";
    box.setAttribute("role", "dialog");
    box.setAttribute("aria-label", caption);
    var bar = document.createElement("div");
    bar.className = "bar";
    var title = document.createElement("strong");
    title.textContent = caption;
    bar.appendChild(title);
    var img = document.createElement("img");
    img.src = href;
    img.alt = caption;
    img.className = "fit";
    var scale = 0; // 0 = fit to screen, else a multiple of the natural size
    function apply() {
      if (scale === 0) { img.className = "fit"; img.style.width = ""; }
      else { img.className = ""; img.style.width = (img.naturalWidth * scale) + "px"; }
    }
    [["Fit", 0], ["100 %", 1], ["200 %", 2], ["400 %", 4]].forEach(function (b) {
      var button = document.createElement("button");
      button.type = "button";
      button.textContent = b[0];
      button.addEventListener("click", function () { scale = b[1]; apply(); });
      bar.appendChild(button);
    });
    var close = document.createElement("button");
    close.type = "button";
    close.textContent = "Close ✕";
    close.addEventListener("click", function () { closeBox(box); });
    bar.appendChild(close);
    img.addEventListener("click", function () { scale = scale === 0 ? 1 : (scale >= 4 ? 0 : scale * 2); apply(); });
    var stage = document.createElement("div");
    stage.className = "stage";
    stage.appendChild(img);
    box.appendChild(bar);
    box.appendChild(stage);
    document.body.appendChild(box);
    document.body.style.overflow = "hidden";
    document.addEventListener("keydown", function onKey(e) {
      if (e.key === "Escape") { closeBox(box); document.removeEventListener("keydown", onKey); }
    });
  }

  document.addEventListener("click", function (e) {
    var link = e.target.closest ? e.target.closest("a.zoomable") : null;
    if (!link || e.ctrlKey || e.metaKey || e.shiftKey) { return; }
    e.preventDefault();
    openBox(link.getAttribute("href"), link.getAttribute("data-caption") || "");
  });

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("img[data-fallback]").forEach(function (img) {
      function fallback() {
        var note = document.createElement("p");
        note.className = "empty";
        note.textContent = img.getAttribute("data-fallback");
        var link = img.closest("a") || img;
        link.replaceWith(note);
      }
      if (img.complete && img.naturalWidth === 0) { fallback(); } else { img.addEventListener("error", fallback); }
    });
  });
})();
