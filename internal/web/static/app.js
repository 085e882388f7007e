// Coalition: small enhancements only. Every page works without this file.
(function () {
  "use strict";
  // Print pages open the print dialog when asked to (see /articles/{slug}/print).
  if (document.documentElement.dataset.autoprint === "1" || document.body && document.body.dataset.autoprint === "1") {
    window.addEventListener("load", function () { window.print(); });
  }
})();

// Document uploads (admin): send each chosen file in its own request and
// show its progress. Without this script the form posts all files at once.
(function () {
  "use strict";
  var form = document.querySelector('form[data-upload="new"]');
  if (!form || !window.FormData || !window.XMLHttpRequest) { return; }
  var input = form.querySelector('input[type="file"]');
  var box = document.getElementById("upload-progress");
  if (!input || !box) { return; }

  function row(name) {
    var div = document.createElement("div");
    div.className = "upload-row";
    var label = document.createElement("span");
    label.textContent = name + " ";
    var bar = document.createElement("progress");
    bar.max = 100;
    bar.value = 0;
    var status = document.createElement("span");
    status.className = "upload-status";
    div.appendChild(label);
    div.appendChild(status);
    div.appendChild(bar);
    box.appendChild(div);
    return { bar: bar, status: status, div: div };
  }

  function send(file, many, ui) {
    return new Promise(function (resolve) {
      var fd = new FormData(form);
      fd.delete("files");
      fd.append("files", file, file.name);
      if (many) { fd.set("title", ""); }
      var xhr = new XMLHttpRequest();
      xhr.open("POST", form.action);
      xhr.setRequestHeader("X-Requested-With", "coalition-upload");
      xhr.upload.addEventListener("progress", function (e) {
        if (e.lengthComputable) { ui.bar.value = Math.round(100 * e.loaded / e.total); }
      });
      xhr.addEventListener("load", function () {
        var data = {};
        try { data = JSON.parse(xhr.responseText); } catch (err) { data = {}; }
        if (xhr.status === 201) {
          ui.bar.value = 100;
          ui.status.textContent = "";
          var a = document.createElement("a");
          a.href = data.url;
          a.textContent = "added";
          ui.status.appendChild(a);
          ui.status.appendChild(document.createTextNode(" "));
          resolve(true);
        } else {
          ui.div.classList.add("upload-error");
          ui.status.textContent = (data.error || (xhr.status === 413 ? "The file is larger than the upload limit." : "The upload failed (" + xhr.status + ").")) + " ";
          resolve(false);
        }
      });
      xhr.addEventListener("error", function () {
        ui.div.classList.add("upload-error");
        ui.status.textContent = "The connection failed; nothing was saved for this file. ";
        resolve(false);
      });
      xhr.send(fd);
    });
  }

  form.addEventListener("submit", function (ev) {
    var files = Array.prototype.slice.call(input.files || []);
    if (files.length === 0) { return; } // a link: the plain form does it
    ev.preventDefault();
    box.hidden = false;
    box.textContent = "";
    var button = form.querySelector('button[type="submit"]');
    if (button) { button.disabled = true; }
    var ok = 0;
    var chain = Promise.resolve();
    files.forEach(function (f) {
      chain = chain.then(function () {
        return send(f, files.length > 1, row(f.name)).then(function (good) { if (good) { ok++; } });
      });
    });
    chain.then(function () {
      if (button) { button.disabled = false; }
      var done = document.createElement("p");
      done.setAttribute("role", "status");
      done.textContent = ok + " of " + files.length + " files added. ";
      var a = document.createElement("a");
      a.href = "/admin/documents";
      a.textContent = "See all documents";
      done.appendChild(a);
      box.appendChild(done);
      if (ok === files.length) { window.location.assign("/admin/documents"); }
    });
  });
})();

// Destructive forms ask first (without the script they just submit).
(function () {
  "use strict";
  document.addEventListener("submit", function (ev) {
    var f = ev.target;
    if (f && f.dataset && f.dataset.confirm && !window.confirm(f.dataset.confirm)) { ev.preventDefault(); }
  }, true);
})();
