/* Capture steps of the hosted flow: camera preview (getUserMedia) with a frame guide,
   capture / retake, file upload as fallback, instant photo check, then submit.
   The selfie is taken during the "move closer" challenge: the full-size photo at arm's
   length, then small frames while the person brings the phone closer (camera only).
   Plain ES2017, no build step, no third-party code. Strings come from the page (translated). */
(function () {
  "use strict";

  var config = JSON.parse(document.getElementById("flow-config").textContent);
  var S = config.strings;
  var sections = Array.prototype.slice.call(document.querySelectorAll("#flow .step"));
  var photos = {}; // step name -> data URL of the accepted photo
  var frames = {}; // step name -> base64 JPEG frames of its challenge
  var stream = null;
  var current = 0;

  function el(section, selector) { return section.querySelector(selector); }

  function setNotice(section, text, kind) {
    var notice = el(section, ".notice");
    notice.textContent = text || "";
    notice.className = "notice" + (kind ? " " + kind : "");
  }

  function stopCamera() {
    stopLive();
    if (stream) {
      stream.getTracks().forEach(function (track) { track.stop(); });
      stream = null;
    }
    sections.forEach(function (section) {
      var viewport = el(section, ".viewport");
      section.classList.remove("live");
      document.body.classList.remove("live-camera");
      if (viewport) {
        viewport.hidden = true;
        viewport.classList.remove("near");
        el(section, ".capture").hidden = true;
      }
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
    if (section.dataset.challenge && !section.dataset.upload) {
      // No still photo can stand in for the challenge: say so and let the person retry.
      el(section, ".retake").hidden = false;
      return;
    }
    var upload = el(section, ".upload");
    upload.classList.remove("secondary");
    upload.classList.add("primary"); // the way on now
  }

  /* Continuing on a phone: the code to type at /flow there and a QR code of the link
     (made by the server; the photos taken so far are kept). */
  var handoffShown = false;
  function showHandoff(focus) {
    var panel = document.getElementById("handoff");
    if (handoffShown) { if (focus) { document.getElementById("handoff-title").focus(); } return; }
    postJson(config.handoffUrl, {}).then(function (answer) {
      if (!answer.data.ok) { return; }
      handoffShown = true;
      var code = answer.data.code;
      document.getElementById("handoff-code").textContent = code.slice(0, 4) + " " + code.slice(4);
      document.getElementById("handoff-qr").src = answer.data.qr;
      var where = S.handoff_where.replace("{url}", answer.data.entryUrl);
      if (typeof answer.data.expiresIn === "number") {
        where += " " + S.handoff_expires.replace("{minutes}", String(Math.max(1, Math.round(answer.data.expiresIn / 60))));
      }
      document.getElementById("handoff-where").textContent = where;
      panel.hidden = false;
      document.getElementById("handoff-offer").hidden = true;
      if (focus) { document.getElementById("handoff-title").focus(); }
      followPhone();
    }).catch(function () {});
  }

  /* Once the person may continue on a phone, this page follows it: when the phone has sent
     the photos, the desktop moves on to the waiting page instead of offering a capture that
     can no longer be submitted. */
  function followPhone() {
    function poll() {
      fetch(config.statusUrl, { credentials: "same-origin", cache: "no-store" })
        .then(function (response) { return response.json(); })
        .then(function (state) {
          if (state.submitted || state.done) { window.location.assign(config.waitUrl); return; }
          window.setTimeout(poll, 3000);
        })
        .catch(function () { window.setTimeout(poll, 5000); });
    }
    window.setTimeout(poll, 3000);
  }

  function cameraMissing(section) {
    // No camera on this device: the phone is the way on (shown without being asked).
    showHandoff(false);
  }

  function startCamera(section) {
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      cameraMissing(section);
      offerUpload(section, section.dataset.challenge && !section.dataset.upload ? S.challenge_camera_missing
                                                                                 : S.camera_missing);
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
      section.classList.add("live"); // full screen on a phone (flow.css)
      document.body.classList.add("live-camera");
      setNotice(section, "");
      startLive(section);
      var playing = video.play();
      if (playing && playing.catch) { playing.catch(function () {}); }
    }).catch(function (error) {
      var name = error && error.name;
      // Where the partner allows an uploaded selfie, the camera messages offer the upload.
      var challenge = Boolean(section.dataset.challenge) && !section.dataset.upload;
      var text = challenge ? S.challenge_camera_needed : S.camera_failed;
      if (name === "NotAllowedError" || name === "SecurityError") {
        text = challenge ? S.challenge_camera_needed : S.camera_denied;
      }
      if (name === "NotFoundError" || name === "OverconstrainedError" || name === "NotReadableError") {
        text = challenge ? S.challenge_camera_missing : S.camera_missing;
        cameraMissing(section);
      }
      offerUpload(section, text);
    });
  }

  /* The video's current picture as a JPEG data URL, its long side at most maxSide. */
  function grab(video, maxSide, quality) {
    var scale = maxSide ? Math.min(1, maxSide / Math.max(video.videoWidth, video.videoHeight)) : 1;
    var canvas = document.createElement("canvas");
    canvas.width = Math.round(video.videoWidth * scale);
    canvas.height = Math.round(video.videoHeight * scale);
    canvas.getContext("2d").drawImage(video, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL("image/jpeg", quality);
  }

  /* Live feedback on the camera picture, a few times a second, on a 240 px wide copy of the
     part inside the frame guide: sharpness (variance of the Laplacian: shared/data documents
     measure >= 349 at this size, the same blurred by 0.6 % of their size <= 137), glare
     (share of blown-out pixels) and darkness (mean brightness). A document photo is taken
     automatically once the picture has been good and steady for about a second; the server
     then checks the still with the analysis's own measures. */
  var LIVE = { side: 240, everyMs: 300, sharpMin: 200, glareMax: 0.03, darkMin: 50, steadyMax: 8,
               goodNeeded: 3, autoTries: 3, pauseMs: 3000 };
  var live = { timer: null, good: 0, last: null, tries: 0, busy: false, pausedUntil: 0 };

  function measureLive(video) {
    var w = LIVE.side;
    var h = Math.round(video.videoHeight * w / video.videoWidth);
    var canvas = measureLive.canvas || (measureLive.canvas = document.createElement("canvas"));
    canvas.width = w;
    canvas.height = h;
    var context = canvas.getContext("2d", { willReadFrequently: true });
    context.drawImage(video, 0, 0, w, h);
    var x0 = Math.round(w * 0.07), x1 = Math.round(w * 0.93), y0 = Math.round(h * 0.15), y1 = Math.round(h * 0.85);
    var data = context.getImageData(x0, y0, x1 - x0, y1 - y0).data;
    var cols = x1 - x0, rows = y1 - y0;
    var grey = new Float32Array(cols * rows);
    var sum = 0, bright = 0;
    for (var i = 0; i < grey.length; i++) {
      var v = 0.299 * data[i * 4] + 0.587 * data[i * 4 + 1] + 0.114 * data[i * 4 + 2];
      grey[i] = v;
      sum += v;
      if (v >= 250) { bright += 1; }
    }
    var lapSum = 0, lapSq = 0, n = 0;
    for (var y = 1; y < rows - 1; y++) {
      for (var x = 1; x < cols - 1; x++) {
        var k = y * cols + x;
        var lap = 4 * grey[k] - grey[k - 1] - grey[k + 1] - grey[k - cols] - grey[k + cols];
        lapSum += lap;
        lapSq += lap * lap;
        n += 1;
      }
    }
    var mean = lapSum / n;
    var change = 0;
    if (live.last && live.last.length === grey.length) {
      for (var j = 0; j < grey.length; j += 7) { change += Math.abs(grey[j] - live.last[j]); }
      change /= Math.ceil(grey.length / 7);
    } else {
      change = 255;
    }
    live.last = grey;
    return { sharpness: lapSq / n - mean * mean, glare: bright / grey.length, brightness: sum / grey.length,
             change: change };
  }

  function liveHint(m, isDocument) {
    if (m.brightness < LIVE.darkMin) { return S.live_dark; }
    if (isDocument && m.glare > LIVE.glareMax) { return S.live_glare; }
    if (m.sharpness < LIVE.sharpMin) { return isDocument && m.sharpness < LIVE.sharpMin / 8 ? S.live_empty : S.live_blurry; }
    return "";
  }

  function stopLive() {
    if (live.timer) { window.clearInterval(live.timer); }
    live.timer = null;
    live.good = 0;
    live.last = null;
  }

  function startLive(section) {
    stopLive();
    live.tries = 0;
    live.busy = false;
    var video = el(section, "video");
    var isDocument = !section.dataset.challenge;
    live.timer = window.setInterval(function () {
      if (sections[current] !== section || !stream || !video.videoWidth || live.busy) { return; }
      if (section.dataset.running) { return; } // the selfie challenge is under way
      var m = measureLive(video);
      var hint = liveHint(m, isDocument);
      var steady = m.change <= LIVE.steadyMax;
      section.dataset.live = hint ? "poor" : "good";
      if (Date.now() < live.pausedUntil) { return; }
      setNotice(section, hint || (isDocument && steady ? S.live_good : ""), hint ? "warning" : "");
      live.good = !hint && steady ? live.good + 1 : 0;
      if (isDocument && live.good >= LIVE.goodNeeded && live.tries < LIVE.autoTries) {
        autoCapture(section, video);
      }
    }, LIVE.everyMs);
  }

  /* The still goes to the server's check while the camera keeps running: accepted, it
     becomes the photo; refused, the person hears why and the camera goes on. */
  function autoCapture(section, video) {
    live.busy = true;
    live.tries += 1;
    live.good = 0;
    var dataUrl = grab(video, 0, 0.92);
    setNotice(section, S.checking);
    postJson(config.checkUrl, checkBody(section.dataset.step, dataUrl)).then(function (answer) {
      live.busy = false;
      if (sections[current] !== section || !stream) { return; }
      if (answer.status === 410) { window.location.reload(); return; }
      if (answer.data.ok) {
        stopCamera();
        accept(section, dataUrl, null, answer.data, S.auto_captured);
        return;
      }
      live.pausedUntil = Date.now() + LIVE.pauseMs;
      setNotice(section, answer.data.message || S.network, "error");
    }).catch(function () {
      live.busy = false;
      live.pausedUntil = Date.now() + LIVE.pauseMs;
      setNotice(section, S.network, "error");
    });
  }

  function captureFrame(section) {
    var video = el(section, "video");
    if (!video.videoWidth) { return; }
    var dataUrl = grab(video, 0, 0.92);
    stopCamera();
    checkPhoto(section, dataUrl, S.captured);
  }

  /* The "move closer" challenge: the selfie and a first frame at arm's length, then frames
     spread over the approach while the oval grows; the server checks the perspective. */
  function runChallenge(section) {
    var video = el(section, "video");
    if (!video.videoWidth) { return; }
    var plan = config.challenge;
    var viewport = el(section, ".viewport");
    var taken = [];
    section.dataset.running = "1";
    var selfie = grab(video, 0, 0.92);
    taken.push(base64Of(grab(video, plan.frameSide, 0.8)));
    el(section, ".capture").hidden = true;
    setNotice(section, S.challenge_closer, "warning");
    viewport.classList.add("near");
    var interval = plan.seconds * 1000 / (plan.frames - 1);
    var count = 1;
    var timer = window.setInterval(function () {
      if (sections[current] !== section || !stream) {
        window.clearInterval(timer);
        delete section.dataset.running;
        return;
      }
      taken.push(base64Of(grab(video, plan.frameSide, 0.8)));
      count += 1;
      if (count === plan.frames - 1) { setNotice(section, S.challenge_hold, "warning"); }
      if (count >= plan.frames) {
        window.clearInterval(timer);
        delete section.dataset.running;
        stopCamera();
        checkPhoto(section, selfie, S.challenge_done, taken);
      }
    }, interval);
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

  function checkPhoto(section, dataUrl, firstNote, challengeFrames) {
    var step = section.dataset.step;
    delete photos[step];
    delete frames[step];
    showPreview(section, dataUrl, false);
    setNotice(section, (firstNote ? firstNote + " " : "") + S.checking);
    var body = checkBody(step, dataUrl);
    if (challengeFrames) { body.frames = challengeFrames; }
    postJson(config.checkUrl, body).then(function (answer) {
      if (answer.status === 410) { window.location.reload(); return; } // expired or used: the page says so
      if (answer.data.ok) {
        accept(section, dataUrl, challengeFrames, answer.data, "");
      } else {
        setNotice(section, answer.data.message || S.network, "error");
        el(section, ".retake").focus();
      }
    }).catch(function () {
      setNotice(section, S.network, "error");
    });
  }

  function checkBody(step, dataUrl) {
    return { step: step, image: base64Of(dataUrl), country: config.country, documentType: config.documentType };
  }

  function accept(section, dataUrl, challengeFrames, answer, firstNote) {
    var step = section.dataset.step;
    photos[step] = dataUrl;
    if (challengeFrames) { frames[step] = challengeFrames; }
    showPreview(section, dataUrl, true);
    // A warning (e.g. "this looks like the front") can be overruled: some backs look so.
    if (answer.warning) {
      setNotice(section, answer.warning, "warning");
    } else {
      setNotice(section, (firstNote ? firstNote + " " : "") + S.ok, "ok");
    }
    el(section, ".next").focus();
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
    var challengeFrames = null;
    sections.forEach(function (step) {
      var name = step.dataset.step;
      // Saved photos (URLs, not data) are on the server already and are not sent again.
      if (name !== "REVIEW" && photos[name] && photos[name].indexOf("data:") === 0) {
        images[name] = base64Of(photos[name]);
      }
      if (frames[name] && frames[name] !== "saved") { challengeFrames = frames[name]; }
    });
    var body = { country: config.country, documentType: config.documentType, images: images };
    if (challengeFrames) { body.frames = challengeFrames; }
    postJson(config.submitUrl, body)
      .then(function (answer) {
        var data = answer.data;
        if (data.ok || answer.status === 410) { window.location.assign(data.next || window.location.href); return; }
        var index = -1;
        sections.forEach(function (step, i) { if (step.dataset.step === data.step) { index = i; } });
        if (index >= 0) {
          delete photos[data.step];
          delete frames[data.step];
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
    el(section, ".capture").addEventListener("click", function () {
      if (section.dataset.challenge) { runChallenge(section); } else { captureFrame(section); }
    });
    el(section, ".retake").addEventListener("click", function () {
      delete photos[section.dataset.step];
      delete frames[section.dataset.step];
      resetStep(section);
      startCamera(section);
    });
    el(section, ".next").addEventListener("click", function () { show(index + 1); });
    el(section, ".step-back").addEventListener("click", function () {
      if (index === 0) { stopCamera(); window.location.assign(config.startUrl); } else { show(index - 1); }
    });
    var input = el(section, ".file");
    if (input) { input.addEventListener("change", function () { readFile(section, input); }); }
  });

  /* Photos saved by the server (they passed the check before a reload): shown from there,
     not sent again; the first step without one opens. */
  Object.keys(config.saved || {}).forEach(function (step) { photos[step] = config.saved[step]; });
  if (config.savedFrames && photos.FACE) { frames.FACE = "saved"; }

  function startSessionTimer() {
    var left = config.sessionSeconds;
    if (typeof left !== "number") { return; }
    var box = document.getElementById("session-timer");
    var value = box.querySelector(".timer-value");
    var warning = document.getElementById("session-warning");
    var ends = Date.now() + left * 1000;
    box.hidden = false;
    function tick() {
      var seconds = Math.max(0, Math.round((ends - Date.now()) / 1000));
      var minutes = Math.floor(seconds / 60);
      value.textContent = minutes + ":" + String(seconds % 60).padStart(2, "0");
      if (seconds <= 120 && warning.hidden) {
        warning.textContent = S.session_warning;
        warning.hidden = false;
        box.classList.add("ending");
        document.body.classList.add("session-ending"); // room for the warning above a full-screen camera
      }
      if (seconds <= 0) { window.clearInterval(timer); window.location.reload(); } // the page says it expired
    }
    var timer = window.setInterval(tick, 1000);
    tick();
  }

  window.addEventListener("pagehide", stopCamera);
  startSessionTimer();
  // On a computer (a mouse, no touch screen) the phone is offered from the start.
  if (window.matchMedia && window.matchMedia("(pointer: fine)").matches && !("ontouchstart" in window)) {
    document.getElementById("handoff-offer").hidden = false;
  }
  document.getElementById("handoff-button").addEventListener("click", function () { showHandoff(true); });
  var first = 0;
  while (first < sections.length - 1 && photos[sections[first].dataset.step]) { first += 1; }
  if (first === 0) { enterStep(sections[0]); } else { show(first); }
}());
