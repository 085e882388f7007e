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
