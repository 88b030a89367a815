/* The invoice list's ticks: select all on the page, the count, and the actions only when something is ticked. */
(function () {
  "use strict";
  var form = document.getElementById("bulk-form");
  if (!form) return;
  var all = document.getElementById("select-all");
  var rows = Array.prototype.slice.call(form.querySelectorAll("[data-bulk-row]"));
  var buttons = form.querySelectorAll("[data-bulk-action]");
  var count = document.getElementById("bulk-count");
  var tooMany = document.getElementById("bulk-too-many");
  var max = parseInt(form.querySelector("[data-bulk-max]").dataset.bulkMax, 10);
  var submitting = false;
  function update() {
    var n = rows.filter(function (box) { return box.checked; }).length;
    count.textContent = "已选 " + n + " 张";
    tooMany.hidden = n <= max;
    for (var i = 0; i < buttons.length; i++) buttons[i].disabled = n === 0 || n > max;
    if (all) {
      all.checked = n > 0 && n === rows.length;
      all.indeterminate = n > 0 && n < rows.length;
      all.disabled = rows.length === 0;
    }
  }
  if (all) all.addEventListener("change", function () {
    rows.forEach(function (box) { box.checked = all.checked; });
    update();
  });
  rows.forEach(function (box) { box.addEventListener("change", update); });
  form.addEventListener("submit", function (event) {
    // A second click on 重发 while the first is on its way would only be refused by the server: don't send it.
    var action = event.submitter && event.submitter.value;
    if (action === "resend") {
      if (submitting) { event.preventDefault(); return; }
      submitting = true;
    }
  });
  update();
})();
