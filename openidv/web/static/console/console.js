// openidv review console: the little JavaScript it has. Image tools (an overlay with zoom
// levels, rotation, brightness/contrast and a magnifier), a text fallback for a portrait the server could not find, and
// the decision panel's reason list and consistency check.
// Everything works without it: the image links open the image itself.
(function () {
  "use strict";

  function closeBox(box, onKey) {
    box.remove();
    document.body.style.overflow = "";
    document.removeEventListener("keydown", onKey);
  }

  function button(label, title, onClick) {
    var b = document.createElement("button");
    b.type = "button";
    b.textContent = label;
    if (title) { b.title = title; b.setAttribute("aria-label", title); }
    b.addEventListener("click", onClick);
    return b;
  }

  function slider(label, name, onInput) {
    var wrap = document.createElement("label");
    wrap.className = "tool-range";
    wrap.textContent = label + " ";
    var input = document.createElement("input");
    input.type = "range";
    input.min = "40";
    input.max = "250";
    input.step = "10";
    input.value = "100";
    input.name = name;
    input.addEventListener("input", onInput);
    wrap.appendChild(input);
    return { wrap: wrap, input: input };
  }

  // The zoom overlay: the image drawn on a canvas, so rotation, brightness and contrast
  // apply to what the magnifier shows too. Keys: + / - zoom, r / R rotate, m magnifier,
  // 0 reset, Escape close.
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

    var source = new Image();
    var view = document.createElement("canvas");
    view.className = "view fit";
    view.setAttribute("role", "img");
    view.setAttribute("aria-label", caption);
    var lens = document.createElement("canvas");
    lens.className = "lens";
    lens.width = lens.height = 220;
    lens.hidden = true;
    var state = { scale: 0, angle: 0, brightness: 100, contrast: 100, magnifier: false };
    var scales = [0, 1, 2, 4];

    function render() {
      if (!source.naturalWidth) { return; }
      var quarter = state.angle % 180 !== 0;
      view.width = quarter ? source.naturalHeight : source.naturalWidth;
      view.height = quarter ? source.naturalWidth : source.naturalHeight;
      var ctx = view.getContext("2d");
      ctx.filter = "brightness(" + state.brightness + "%) contrast(" + state.contrast + "%)";
      ctx.translate(view.width / 2, view.height / 2);
      ctx.rotate(state.angle * Math.PI / 180);
      ctx.drawImage(source, -source.naturalWidth / 2, -source.naturalHeight / 2);
      applyScale();
      view.setAttribute("data-angle", String(state.angle));
      view.setAttribute("data-filter", state.brightness + "/" + state.contrast);
    }
    function applyScale() {
      view.classList.toggle("fit", state.scale === 0);
      view.style.width = state.scale === 0 ? "" : (view.width * state.scale) + "px";
      view.setAttribute("data-scale", String(state.scale));
    }
    function setScale(value) { state.scale = value; applyScale(); }
    function stepScale(direction) {
      var i = scales.indexOf(state.scale) + direction;
      setScale(scales[Math.max(0, Math.min(scales.length - 1, i))]);
    }
    function rotate(by) { state.angle = (state.angle + by + 360) % 360; render(); }
    var bright = slider("Brightness", "brightness", function () { state.brightness = +bright.input.value; render(); });
    var contrast = slider("Contrast", "contrast", function () { state.contrast = +contrast.input.value; render(); });
    var magnifierButton = button("Magnifier", "Magnifier (m)", function () { toggleMagnifier(); });
    magnifierButton.setAttribute("aria-pressed", "false");
    function toggleMagnifier() {
      state.magnifier = !state.magnifier;
      magnifierButton.setAttribute("aria-pressed", String(state.magnifier));
      view.classList.toggle("magnifying", state.magnifier);
      if (!state.magnifier) { lens.hidden = true; }
    }
    function reset() {
      state.angle = 0; state.brightness = 100; state.contrast = 100; state.scale = 0;
      bright.input.value = "100"; contrast.input.value = "100";
      render();
    }
    function magnify(e) {
      if (!state.magnifier) { return; }
      var rect = view.getBoundingClientRect();
      var x = (e.clientX - rect.left) * view.width / rect.width;
      var y = (e.clientY - rect.top) * view.height / rect.height;
      // Three times what is on screen, whatever the zoom level.
      var span = lens.width / (3 * rect.width / view.width);
      var ctx = lens.getContext("2d");
      ctx.fillStyle = "#111";
      ctx.fillRect(0, 0, lens.width, lens.height);
      ctx.imageSmoothingEnabled = false;
      ctx.drawImage(view, x - span / 2, y - span / 2, span, span, 0, 0, lens.width, lens.height);
      lens.style.left = (e.clientX - lens.width / 2) + "px";
      lens.style.top = (e.clientY - lens.height / 2) + "px";
      lens.hidden = false;
    }
    view.addEventListener("pointermove", magnify);
    view.addEventListener("pointerleave", function () { lens.hidden = true; });
    view.addEventListener("click", function () {
      if (!state.magnifier) { setScale(state.scale === 0 ? 1 : (state.scale >= 4 ? 0 : state.scale * 2)); }
    });

    var zoom = document.createElement("span");
    zoom.className = "tool-group";
    [["Fit", 0], ["100 %", 1], ["200 %", 2], ["400 %", 4]].forEach(function (b) {
      zoom.appendChild(button(b[0], "", function () { setScale(b[1]); }));
    });
    var tools = document.createElement("span");
    tools.className = "tool-group";
    tools.appendChild(button("⟲", "Rotate left (R)", function () { rotate(-90); }));
    tools.appendChild(button("⟳", "Rotate right (r)", function () { rotate(90); }));
    tools.appendChild(bright.wrap);
    tools.appendChild(contrast.wrap);
    tools.appendChild(magnifierButton);
    tools.appendChild(button("Reset", "Reset (0)", reset));
    bar.appendChild(zoom);
    bar.appendChild(tools);
    function onKey(e) {
      if (e.target && e.target.tagName === "INPUT" && e.key !== "Escape") { return; }
      if (e.key === "Escape") { closeBox(box, onKey); }
      else if (e.key === "+" || e.key === "=") { stepScale(1); }
      else if (e.key === "-") { stepScale(-1); }
      else if (e.key === "r") { rotate(90); }
      else if (e.key === "R") { rotate(-90); }
      else if (e.key === "m") { toggleMagnifier(); }
      else if (e.key === "0") { reset(); }
    }
    var close = button("Close ✕", "Close (Escape)", function () { closeBox(box, onKey); });
    close.className = "close";
    bar.appendChild(close);
    var stage = document.createElement("div");
    stage.className = "stage";
    stage.appendChild(view);
    box.appendChild(bar);
    box.appendChild(stage);
    box.appendChild(lens);
    document.body.appendChild(box);
    document.body.style.overflow = "hidden";
    document.addEventListener("keydown", onKey);
    source.addEventListener("load", render);
    source.src = href;
    close.focus();
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
    var docSelect = form.querySelector("#advanced-document");
    var faceSelect = form.querySelector("#advanced-face");
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
      // Before any choice the hint is neutral; after one, a contradiction shows in red.
      sends.className = why && d ? "sends invalid" : "sends";
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
