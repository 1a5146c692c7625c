// govstats serve: what JavaScript adds to pages that work without it.
// Drag and drop onto the upload boxes, upload progress, and the compile's
// progress read from the JSON API (/api/compile/<year>). No build step.
"use strict";
(function () {
  function enhanceUpload(form) {
    var drop = form.querySelector("label.drop");
    var input = form.querySelector("input[type=file]");
    var bar = form.querySelector("progress");
    if (drop && input) {
      ["dragenter", "dragover"].forEach(function (name) {
        drop.addEventListener(name, function (e) { e.preventDefault(); drop.classList.add("over"); });
      });
      ["dragleave", "drop"].forEach(function (name) {
        drop.addEventListener(name, function () { drop.classList.remove("over"); });
      });
      drop.addEventListener("drop", function (e) {
        e.preventDefault();
        if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; }
      });
    }
    form.addEventListener("submit", function (e) {
      if (!window.XMLHttpRequest || !window.FormData || !bar) { return; }
      e.preventDefault();
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      bar.hidden = false;
      xhr.upload.addEventListener("progress", function (p) {
        if (p.lengthComputable) { bar.max = p.total; bar.value = p.loaded; }
      });
      xhr.addEventListener("load", function () {
        document.open();
        document.write(xhr.responseText);
        document.close();
      });
      xhr.addEventListener("error", function () { form.submit(); });
      xhr.send(new FormData(form));
    });
  }

  function followCompile(box) {
    var year = box.getAttribute("data-year");
    var lang = new URLSearchParams(location.search).get("lang") === "en" ? "?lang=en" : "";
    function poll() {
      fetch("/api/compile/" + year + lang, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (job) {
          var bar = document.getElementById("compile-progress");
          if (bar && job.total) { bar.max = job.total; bar.value = job.done; }
          if (job.state === "running") { setTimeout(poll, 500); } else { location.reload(); }
        });
    }
    setTimeout(poll, 500);
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("form.upload").forEach(enhanceUpload);
    var box = document.getElementById("compile");
    if (box && box.getAttribute("data-state") === "running") { followCompile(box); }
  });
})();
