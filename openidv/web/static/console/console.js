// openidv review console: the little JavaScript it has. Image zoom (an overlay with
// fit / actual size / 2x), a text fallback for a portrait the server could not find, and
// the decision panel's reason list and consistency check.
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


  // The decision panel: the reasons offered follow the chosen decision, the reason text
  // starts as the template's, and the codes that will be sent are shown and checked with
  // the same rules the server applies (data-* attributes of the form).
  function setUpDecision(form) {
    var select = form.querySelector("#template");
    var reason = form.querySelector("#reason");
    var docSelect = form.querySelector("#manual-document");
    var faceSelect = form.querySelector("#manual-face");
    var sends = form.querySelector("#sends");
    var words = function (name) { return (form.getAttribute("data-" + name) || "").split(" ").filter(Boolean); };
    var passingDoc = words("passing-document"), passingFace = words("passing-face");
    var retake = words("retake"), undecided = words("undecided");
    var faceRequired = form.getAttribute("data-face-required") === "1";
    var fraudTags = form.getAttribute("data-fraud-tags") === "1";
    var lastLabel = "";

    function decision() {
      var checked = form.querySelector("input[name=decision]:checked");
      return checked ? checked.value : "";
    }
    function chosenTemplate() { return select.options[select.selectedIndex]; }
    function codes() {
      var t = chosenTemplate();
      var doc = docSelect.value || (t && t.value ? t.getAttribute("data-document") : "");
      var face = faceSelect.value || (t && t.value ? t.getAttribute("data-face") : "");
      return [doc, face];
    }
    function problem(d, doc, face) {
      if (!d) { return "Choose Approve, Decline or Ask to resubmit."; }
      if (!doc || !face) { return "Choose a reason (or both codes under Advanced)."; }
      if (undecided.indexOf(doc) >= 0 || undecided.indexOf(face) >= 0) { return "A manual result must be a finding, not \"could not tell\"."; }
      if (faceRequired && face === "FACE_NOT_ANALYSED") { return "This verification has a selfie: give a face result."; }
      if (!faceRequired && face !== "FACE_NOT_ANALYSED") { return "No selfie: the face result is FACE_NOT_ANALYSED."; }
      var failing = [];
      if (passingDoc.indexOf(doc) < 0) { failing.push(doc); }
      if (!(passingFace.indexOf(face) >= 0 || (!faceRequired && face === "FACE_NOT_ANALYSED"))) { failing.push(face); }
      var retakes = failing.filter(function (c) { return retake.indexOf(c) >= 0; });
      if (d === "approve" && failing.length) { return "Approve needs passing results."; }
      if (d === "decline" && retakes.length === failing.length && !fraudTags) {
        return "Decline needs a failing result that is not about photo quality; for unusable photos choose Ask to resubmit.";
      }
      if (d === "resubmit" && (!failing.length || retakes.length !== failing.length)) {
        return "Ask to resubmit needs a photo-quality result and no other failure.";
      }
      return "";
    }
    function filterTemplates() {
      var d = decision();
      Array.prototype.forEach.call(select.querySelectorAll("optgroup"), function (group) {
        var show = !d || group.getAttribute("data-decision") === d;
        group.hidden = !show;
        group.disabled = !show;
      });
      var t = chosenTemplate();
      if (d && t && t.value && t.getAttribute("data-decision") !== d) {
        var first = select.querySelector("optgroup[data-decision='" + d + "'] option");
        select.value = first ? first.value : "";
      }
    }
    function update() {
      var t = chosenTemplate();
      var label = t && t.value ? t.textContent : "";
      if (!reason.value || reason.value === lastLabel) { reason.value = label; }
      lastLabel = label;
      var c = codes(), d = decision();
      var why = problem(d, c[0], c[1]);
      var outcome = d === "approve" ? form.getAttribute("data-approve-outcome") : "DENIED";
      sends.textContent = why || ("Sends manualDocument " + c[0] + ", manualFace " + c[1] + " → " + outcome +
                                  (d === "resubmit" ? " (the user may try again)" : "") + ", final webhook.");
      sends.className = why ? "sends invalid" : "sends";
      select.setCustomValidity(why);
    }
    Array.prototype.forEach.call(form.querySelectorAll("input[name=decision]"), function (radio) {
      radio.addEventListener("change", function () { filterTemplates(); update(); });
    });
    [select, docSelect, faceSelect].forEach(function (el) { el.addEventListener("change", update); });
    filterTemplates();
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var reviewForm = document.getElementById("review-form");
    if (reviewForm) { setUpDecision(reviewForm); }
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
