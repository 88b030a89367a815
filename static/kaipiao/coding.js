/* 待人工赋码: the rate follows the chosen suggestion (its company rate or only rate), only its rates
   are offered, and a form is sent once (a double-click codes and submits once). Without this script
   the server picks the same default and checks everything again. */
(function () {
  "use strict";
  document.querySelectorAll("form.coding").forEach(function (form) {
    var select = form.querySelector("[data-rate-select]"), other = form.querySelector("[name=tax_code_other]");
    function follow() {
      if (!select) return;
      var radio = form.querySelector("[name=tax_code]:checked");
      var typed = other && other.value.trim();
      var allowed = radio && !typed ? radio.dataset.rates.split(",").filter(Boolean) : [];
      Array.prototype.forEach.call(select.options, function (option) {
        option.disabled = option.value !== "" && allowed.length > 0 && allowed.indexOf(option.value) < 0;
      });
      if (radio && !typed) select.value = radio.dataset.rate || "";
    }
    form.querySelectorAll("[name=tax_code]").forEach(function (radio) { radio.addEventListener("change", follow); });
    if (other) other.addEventListener("input", follow);
    follow();
    form.addEventListener("submit", function (event) {
      if (form.dataset.sent) { event.preventDefault(); return; }
      form.dataset.sent = "1";
      // The clicked button's name/value must still be sent: disable the buttons after this event.
      setTimeout(function () { form.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; }); }, 0);
    });
  });
})();
