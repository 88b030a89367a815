/* Product form: tax-code suggestions (top 3 with rate and reason) while the name is typed. */
(function () {
  "use strict";
  var form = document.getElementById("product-form");
  if (!form) return;
  var name = form.querySelector("[name=name]"), code = form.querySelector("[name=tax_code]"), rate = form.querySelector("[name=rate]");
  var box = document.getElementById("code-suggestions"), list = box.querySelector("[data-code-list]");
  var load = KPSuggest.debounce(function () {
    var q = name.value.trim();
    if (!q) { box.hidden = true; return; }
    KPSuggest.fetchJSON(form.dataset.codesUrl + "?name=" + encodeURIComponent(q)).then(function (data) {
      list.innerHTML = "";
      (data.results || []).forEach(function (s) {
        var li = document.createElement("li"), btn = document.createElement("button");
        btn.type = "button"; btn.className = "suggestion";
        var main = document.createElement("strong"); main.textContent = "*" + s.short_name + "* " + s.name;
        var meta = document.createElement("span"); meta.textContent = " " + s.code + " · 税率 " + s.rates_display;
        var why = document.createElement("small"); why.className = "help"; why.textContent = s.reason;
        btn.appendChild(main); btn.appendChild(meta); btn.appendChild(document.createElement("br")); btn.appendChild(why);
        btn.addEventListener("click", function () {
          code.value = s.code;
          if (s.rates.length && s.rates.indexOf(rate.value) < 0) rate.value = s.rates[0];
          code.dispatchEvent(new Event("change", { bubbles: true }));
          rate.focus();
        });
        li.appendChild(btn); list.appendChild(li);
      });
      box.hidden = !(data.results || []).length;
    }).catch(function () { box.hidden = true; });
  }, 300);
  name.addEventListener("input", load);
  if (name.value && !code.value) load();
})();
