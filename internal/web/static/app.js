// Coalition: small enhancements only. Every page works without this file.
(function () {
  "use strict";
  // Print pages open the print dialog when asked to (see /articles/{slug}/print).
  if (document.documentElement.dataset.autoprint === "1" || document.body && document.body.dataset.autoprint === "1") {
    window.addEventListener("load", function () { window.print(); });
  }
})();
