/* Poll the invoice's status until it is issued or failed, then reload to show the result. */
(function () {
  "use strict";
  var box = document.getElementById("invoice-status");
  if (!box || !box.dataset.statusUrl) return;
  var delay = 1500, tries = 0;
  function poll() {
    tries += 1;
    fetch(box.dataset.statusUrl, { credentials: "same-origin", headers: { "Accept": "application/json" } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (data.final) { window.location.reload(); return; }
        var badge = box.querySelector(".badge");
        if (badge) { badge.textContent = data.status_display; badge.className = "badge " + data.status; }
        delay = Math.min(delay * 1.3, 10000);
        if (tries < 200) setTimeout(poll, delay);
      })
      .catch(function () { setTimeout(poll, 10000); });
  }
  setTimeout(poll, delay);
})();
