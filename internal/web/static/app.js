// Coalition: small enhancements only. Every page works without this file.
(function () {
  "use strict";
  // Print pages open the print dialog when asked to (see /articles/{slug}/print).
  if (document.documentElement.dataset.autoprint === "1" || document.body && document.body.dataset.autoprint === "1") {
    window.addEventListener("load", function () { window.print(); });
  }
})();
// Donate form: typing a custom amount selects "Other"; choosing a preset
// clears the custom amount (without this script the typed amount wins).
(function () {
  "use strict";
  var other = document.getElementById("f-other_amount");
  var otherRadio = document.getElementById("amount-other");
  if (!other || !otherRadio) { return; }
  other.addEventListener("input", function () { if (other.value !== "") { otherRadio.checked = true; } });
  document.querySelectorAll('input[name="amount"]').forEach(function (r) {
    r.addEventListener("change", function () {
      if (r.checked && r !== otherRadio) { other.value = ""; }
      if (r.checked && r === otherRadio) { other.focus(); }
    });
  });
})();

// Publishing: the article editor's Markdown toolbar, live preview and image
// upload, and a Print button on print pages. Without this script the editor
// still works: "Preview without saving" and "Upload and add to the text" are
// ordinary form buttons.
(function () {
  "use strict";
  function csrf(form) {
    var f = form && form.querySelector('input[name="csrf_token"]');
    return f ? f.value : "";
  }
  function insertAround(ta, before, after, placeholder) {
    var s = ta.selectionStart, e = ta.selectionEnd, v = ta.value;
    var sel = v.slice(s, e) || placeholder;
    ta.value = v.slice(0, s) + before + sel + after + v.slice(e);
    ta.focus();
    ta.selectionStart = s + before.length;
    ta.selectionEnd = s + before.length + sel.length;
    ta.dispatchEvent(new Event("input"));
  }
  function prefixLines(ta, prefix) {
    var v = ta.value, s = v.lastIndexOf("\n", ta.selectionStart - 1) + 1, e = ta.selectionEnd;
    var block = v.slice(s, e) || "";
    var n = 0;
    var out = block.split("\n").map(function (l) {
      n++;
      return (typeof prefix === "function" ? prefix(n) : prefix) + l;
    }).join("\n");
    ta.value = v.slice(0, s) + out + v.slice(e);
    ta.focus();
    ta.selectionStart = s;
    ta.selectionEnd = s + out.length;
    ta.dispatchEvent(new Event("input"));
  }
  function insertAtCursor(ta, text) {
    var s = ta.selectionStart, v = ta.value;
    var pre = s > 0 && v[s - 1] !== "\n" ? "\n\n" : "";
    ta.value = v.slice(0, s) + pre + text + "\n" + v.slice(ta.selectionEnd);
    ta.focus();
    ta.selectionStart = ta.selectionEnd = s + pre.length + text.length + 1;
    ta.dispatchEvent(new Event("input"));
  }

  document.querySelectorAll(".md-toolbar[data-for]").forEach(function (bar) {
    var ta = document.getElementById(bar.dataset.for);
    if (!ta) { return; }
    var form = ta.form;
    var status = document.createElement("span");
    status.className = "md-status";
    status.setAttribute("role", "status");
    var tools = [
      ["B", "Bold", function () { insertAround(ta, "**", "**", "bold text"); }],
      ["I", "Italic", function () { insertAround(ta, "_", "_", "italic text"); }],
      ["H", "Heading", function () { prefixLines(ta, "## "); }],
      ["Link", "Link", function () {
        var url = window.prompt("Link address (https://…)", "https://");
        if (url) { insertAround(ta, "[", "](" + url + ")", "link text"); }
      }],
      ["“ ”", "Quote", function () { prefixLines(ta, "> "); }],
      ["• List", "Bulleted list", function () { prefixLines(ta, "- "); }],
      ["1. List", "1. List (numbered)", function () { prefixLines(ta, function (n) { return n + ". "; }); }],
      ["Image", "Upload an image", function () { picker.click(); }]
    ];
    var picker = document.createElement("input");
    picker.type = "file";
    picker.accept = "image/jpeg,image/png,image/gif,image/webp";
    picker.hidden = true;
    picker.addEventListener("change", function () {
      if (!picker.files.length) { return; }
      upload(picker.files[0], window.prompt("Describe the image for people who cannot see it", "") || "");
      picker.value = "";
    });
    function upload(file, alt) {
      var fd = new FormData();
      fd.append("csrf_token", csrf(form));
      fd.append("file", file);
      fd.append("alt", alt);
      status.textContent = "Uploading " + file.name + "…";
      fetch(ta.dataset.upload || "/admin/media", { method: "POST", body: fd, credentials: "same-origin",
        headers: { "Accept": "application/json", "X-CSRF-Token": csrf(form) } })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (j.error) { status.textContent = j.error; return; }
          insertAtCursor(ta, j.markdown);
          status.textContent = "Image added.";
        })
        .catch(function () { status.textContent = "The upload failed. Please try again."; });
    }
    tools.forEach(function (t) {
      var b = document.createElement("button");
      b.type = "button";
      b.className = "button small";
      b.textContent = t[0];
      b.setAttribute("aria-label", t[1]);
      b.title = t[1];
      b.addEventListener("click", t[2]);
      bar.appendChild(b);
    });
    bar.appendChild(picker);
    bar.appendChild(status);
    // The form's own image field uploads straight away too.
    var field = form && form.querySelector("#image_file");
    if (field) {
      field.addEventListener("change", function () {
        if (!field.files.length) { return; }
        var altField = form.querySelector("#image_alt");
        upload(field.files[0], altField ? altField.value : "");
        field.value = "";
      });
    }

    // Live preview.
    var target = document.getElementById(ta.dataset.preview || "");
    var section = document.getElementById("preview-section");
    if (!target) { return; }
    var timer = 0, seq = 0;
    function refresh() {
      var fd = new FormData();
      fd.append("csrf_token", csrf(form));
      fd.append("body", ta.value);
      var cat = form.querySelector("#category");
      if (cat) { fd.append("category", cat.value); }
      var mine = ++seq;
      fetch("/admin/preview", { method: "POST", body: fd, credentials: "same-origin", headers: { "X-CSRF-Token": csrf(form) } })
        .then(function (r) { return r.text(); })
        .then(function (html) {
          if (mine !== seq) { return; }
          target.innerHTML = html;
          if (section) { section.hidden = false; }
        })
        .catch(function () {});
    }
    ta.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 400);
    });
    if (ta.value) { refresh(); }
  });

  // Print pages: a Print button (the dialog also opens by itself).
  var actions = document.querySelector(".print-actions");
  if (actions) {
    var pb = document.createElement("button");
    pb.type = "button";
    pb.className = "button small";
    pb.textContent = "Print";
    pb.addEventListener("click", function () { window.print(); });
    actions.appendChild(document.createTextNode(" "));
    actions.appendChild(pb);
  }
  // Image library: select the Markdown snippet on focus, for copying.
  document.querySelectorAll(".md-snippet").forEach(function (i) {
    i.addEventListener("focus", function () { i.select(); });
  });
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

// Campaign progress (admin): figures and bar follow the server-sent events
// of /admin/campaigns/{id}/progress; once the campaign is sent or stopped
// the page reloads. Without this script the page refreshes itself.
(function () {
  "use strict";
  var box = document.querySelector("[data-progress]");
  if (!box || !window.EventSource || !window.JSON) { return; }
  var bar = box.querySelector("progress");
  var es = new EventSource(box.dataset.progress);
  es.onmessage = function (ev) {
    var d;
    try { d = JSON.parse(ev.data); } catch (err) { return; }
    Object.keys(d.text || {}).forEach(function (k) {
      box.querySelectorAll('[data-stat="' + k + '"]').forEach(function (el) { el.textContent = d.text[k]; });
    });
    if (bar) {
      bar.max = d.total || 1;
      bar.value = d.done || 0;
      bar.textContent = d.text ? d.text.percent : "";
    }
    if (d.finished || (d.status !== "sending" && d.status !== "scheduled")) {
      es.close();
      window.location.reload();
    }
  };
})();
