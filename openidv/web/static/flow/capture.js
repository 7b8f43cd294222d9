/* Capture steps of the hosted flow: camera preview (getUserMedia) with a frame guide,
   capture / retake, file upload as fallback, instant photo check, then submit.
   Plain ES2017, no build step, no third-party code. Strings come from the page (translated). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("flow-config").textContent);
  var S = config.strings;
  var sections = Array.prototype.slice.call(document.querySelectorAll("#flow .step"));
  var photos = {}; // step name -> data URL of the accepted photo
  var stream = null;
  var current = 0;

  function el(section, selector) { return section.querySelector(selector); }

  function setNotice(section, text, kind) {
    var notice = el(section, ".notice");
    notice.textContent = text || "";
    notice.className = "notice" + (kind ? " " + kind : "");
  }

  function stopCamera() {
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    sections.forEach(function (section) {
      var viewport = el(section, ".viewport");
      if (viewport) { viewport.hidden = true; el(section, ".capture").hidden = true; }
    });
  }

  function show(index) {
    stopCamera();
    current = index;
    sections.forEach(function (section, i) { section.hidden = i !== index; });
    var section = sections[index];
    var heading = el(section, "h2");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
    if (section.dataset.step === "REVIEW") { renderReview(section); } else { enterStep(section); }
  }

  function enterStep(section) {
    var photo = photos[section.dataset.step];
    if (photo) { showPreview(section, photo, true); } else { resetStep(section); startCamera(section); }
  }

  function resetStep(section) {
    var preview = el(section, ".preview");
    preview.hidden = true;
    preview.removeAttribute("src");
    el(section, ".retake").hidden = true;
    el(section, ".next").hidden = true;
    setNotice(section, "");
  }

  function offerUpload(section, text) {
    setNotice(section, text, "warning");
    var upload = el(section, ".upload");
    upload.classList.remove("secondary");
    upload.classList.add("primary"); // the way on now
  }

  function startCamera(section) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      offerUpload(section, S.camera_missing);
      return;
    }
    setNotice(section, S.camera_starting);
    var constraints = {
      audio: false,
      video: { facingMode: { ideal: section.dataset.facing }, width: { ideal: 1920 }, height: { ideal: 1080 } }
    };
    navigator.mediaDevices.getUserMedia(constraints).then(function (media) {
      if (sections[current] !== section || photos[section.dataset.step]) {
        media.getTracks().forEach(function (track) { track.stop(); }); // the user moved on meanwhile
        return;
      }
      stream = media;
      var video = el(section, "video");
      video.srcObject = media;
      el(section, ".viewport").hidden = false;
      el(section, ".capture").hidden = false;
      setNotice(section, "");
      var playing = video.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    }).catch(function (error) {
      var name = error && error.name;
      var text = S.camera_failed;
      if (name === "NotAllowedError" || name === "SecurityError") { text = S.camera_denied; }
      if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") { text = S.camera_missing; }
      offerUpload(section, text);
    });
  }

  function captureFrame(section) {
    var video = el(section, "video");
    if (!video.videoWidth) { return; }
    var canvas = document.createElement("canvas");
    canvas.width = video.videoWidth;
    canvas.height = video.videoHeight;
    canvas.getContext("2d").drawImage(video, 0, 0);
    var dataUrl = canvas.toDataURL("image/jpeg", 0.92);
    stopCamera();
    checkPhoto(section, dataUrl, S.captured);
  }

  function showPreview(section, dataUrl, accepted) {
    var preview = el(section, ".preview");
    preview.src = dataUrl;
    preview.hidden = false;
    el(section, ".retake").hidden = false;
    el(section, ".next").hidden = !accepted;
  }

  function base64Of(dataUrl) { return dataUrl.slice(dataUrl.indexOf(",") + 1); }

  function postJson(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body)
    }).then(function (response) {
      return response.json().then(function (data) { return { status: response.status, data: data }; });
    });
  }

  function checkPhoto(section, dataUrl, firstNote) {
    var step = section.dataset.step;
    delete photos[step];
    showPreview(section, dataUrl, false);
    setNotice(section, (firstNote ? firstNote + " " : "") + S.checking);
    postJson(config.checkUrl, { step: step, image: base64Of(dataUrl) }).then(function (answer) {
      if (answer.status === 410) { window.location.reload(); return; } // expired or used: the page says so
      if (answer.data.ok) {
        photos[step] = dataUrl;
        setNotice(section, S.ok, "ok");
        el(section, ".next").hidden = false;
        el(section, ".next").focus();
      } else {
        setNotice(section, answer.data.message || S.network, "error");
        el(section, ".retake").focus();
      }
    }).catch(function () {
      setNotice(section, S.network, "error");
    });
  }

  function readFile(section, input) {
    var file = input.files && input.files[0];
    input.value = "";
    if (!file) { return; }
    if (file.type && !/^image\/(jpeg|png)$/.test(file.type)) { setNotice(section, S.not_image, "error"); return; }
    if (file.size > config.maxImageBytes) { setNotice(section, S.too_large, "error"); return; }
    var reader = new FileReader();
    reader.onload = function () { stopCamera(); checkPhoto(section, reader.result, ""); };
    reader.onerror = function () { setNotice(section, S.not_image, "error"); };
    reader.readAsDataURL(file);
  }

  function renderReview(section) {
    var list = el(section, ".thumbs");
    list.textContent = "";
    sections.forEach(function (step) {
      var name = step.dataset.step;
      if (name === "REVIEW" || !photos[name]) { return; }
      var item = document.createElement("li");
      var img = document.createElement("img");
      img.src = photos[name];
      img.alt = el(step, "h2").textContent;
      var caption = document.createElement("span");
      caption.textContent = el(step, "h2").textContent;
      item.appendChild(img);
      item.appendChild(caption);
      list.appendChild(item);
    });
    setNotice(section, "");
    el(section, ".submit").disabled = false;
  }

  function submit(section) {
    var button = el(section, ".submit");
    button.disabled = true;
    setNotice(section, S.sending);
    var images = {};
    sections.forEach(function (step) {
      var name = step.dataset.step;
      if (name !== "REVIEW" && photos[name]) { images[name] = base64Of(photos[name]); }
    });
    postJson(config.submitUrl, { country: config.country, documentType: config.documentType, images: images })
      .then(function (answer) {
        var data = answer.data;
        if (data.ok || answer.status === 410) { window.location.assign(data.next || window.location.href); return; }
        var index = -1;
        sections.forEach(function (step, i) { if (step.dataset.step === data.step) { index = i; } });
        if (index >= 0) {
          delete photos[data.step];
          show(index);
          setNotice(sections[index], data.message, "error");
          return;
        }
        setNotice(section, data.message || S.network, "error");
        button.disabled = false;
      })
      .catch(function () {
        setNotice(section, S.network, "error");
        button.disabled = false;
      });
  }

  sections.forEach(function (section, index) {
    if (section.dataset.step === "REVIEW") {
      el(section, ".submit").addEventListener("click", function () { submit(section); });
      el(section, ".back").addEventListener("click", function () { show(index - 1); });
      return;
    }
    el(section, ".capture").addEventListener("click", function () { captureFrame(section); });
    el(section, ".retake").addEventListener("click", function () {
      delete photos[section.dataset.step];
      resetStep(section);
      startCamera(section);
    });
    el(section, ".next").addEventListener("click", function () { show(index + 1); });
    var input = el(section, ".file");
    input.addEventListener("change", function () { readFile(section, input); });
  });

  window.addEventListener("pagehide", stopCamera);
  enterStep(sections[0]);
}());
