/* Manual issue form: add/remove lines, product and buyer pickers, tax-code suggestions, live totals
   in integer cents, and the server's own rules shown next to each field while typing.
   Without this script the form still works: the server validates and re-renders every error. */
(function () {
  "use strict";
  var form = document.getElementById("issue-form");
  if (!form || !window.KPMoney || !window.KPSuggest) return;
  var M = window.KPMoney, S = window.KPSuggest;
  var linesBox = document.getElementById("lines"), template = document.getElementById("line-template");
  var total = form.querySelector("[name=lines-TOTAL_FORMS]"), addBtn = document.getElementById("add-line");
  var state = document.getElementById("validate-state");

  function field(scope, name) { return scope.querySelector("[name$='-" + name + "']"); }
  function includesTax() { var r = form.querySelector("[name=price_includes_tax]:checked"); return !r || r.value === "1"; }
  function storeId() { var s = form.querySelector("[name=store]"); return s ? s.value : ""; }

  /* --- live figures --------------------------------------------------------------------------- */
  function recompute() {
    var sumAmount = BigInt(0), sumTax = BigInt(0), any = false;
    linesBox.querySelectorAll("[data-line]").forEach(function (row) {
      if (row.hidden) return;
      var f = M.line({ rate: field(row, "rate").value, quantity: field(row, "quantity").value, price: field(row, "price").value,
                       amount: field(row, "amount").value, discount: field(row, "discount").value, includesTax: includesTax() });
      var pref = field(row, "preferential").value;
      var out = function (k) { return row.querySelector("[data-out=" + k + "]"); };
      if (!f) { ["amount", "tax", "with_tax"].forEach(function (k) { out(k).textContent = "—"; }); out("discount-note").textContent = ""; return; }
      var amount = f.amount + f.discAmount, tax = f.tax + f.discTax;
      out("amount").textContent = M.fmt(amount);
      out("tax").textContent = pref ? "***" : M.fmt(tax);
      out("with_tax").textContent = M.fmt(amount + tax);
      out("discount-note").textContent = f.discAmount ? "（含折扣行 " + M.fmt(f.discAmount + f.discTax) + "）" : "";
      sumAmount += amount; sumTax += tax; any = true;
    });
    document.getElementById("total-amount").textContent = any ? M.fmt(sumAmount) : "—";
    document.getElementById("total-tax").textContent = any ? M.fmt(sumTax) : "—";
    document.getElementById("total-with-tax").textContent = any ? "¥ " + M.fmt(sumAmount + sumTax) : "—";
  }

  /* --- lines ---------------------------------------------------------------------------------- */
  function renumber() {
    var n = 0;
    linesBox.querySelectorAll("[data-line]").forEach(function (row) { if (!row.hidden) { n += 1; row.querySelector("[data-line-number]").textContent = n; } });
  }
  function wire(row) {
    var name = field(row, "name"), code = field(row, "tax_code"), rate = field(row, "rate");
    S.attach(name, row.querySelector("[data-product-list]"), {
      url: function (q) { return q ? form.dataset.productsUrl + "?q=" + encodeURIComponent(q) + "&store=" + encodeURIComponent(storeId()) : null; },
      render: function (p) { return { main: p.display_name + (p.sku ? "（" + p.sku + "）" : ""), sub: p.tax_code + " · " + p.rate_display + " · 单价 " + p.price + (p.price_includes_tax ? " 含税" : " 不含税") }; },
      choose: function (p) {
        field(row, "product").value = p.id; name.value = p.name; code.value = p.tax_code; rate.value = p.rate;
        field(row, "unit").value = p.unit || ""; field(row, "spec").value = p.spec || "";
        field(row, "price").value = p.price_includes_tax === includesTax() ? p.price : M.convertPrice(p.price, p.rate, includesTax());
        if (!field(row, "quantity").value) field(row, "quantity").value = "1";
        field(row, "amount").value = "";
        recompute(); validate(); field(row, "quantity").focus();
      }
    });
    name.addEventListener("input", function () { field(row, "product").value = ""; });
    S.attach(code, row.querySelector("[data-code-list]"), {
      url: function () { var q = name.value.trim(); return q ? form.dataset.codesUrl + "?name=" + encodeURIComponent(q) : null; },
      onFocus: function () { return !code.value && name.value.trim(); },
      render: function (s) { return { main: s.code + " *" + s.short_name + "* " + s.name, sub: "税率 " + s.rates_display + " · " + s.reason }; },
      choose: function (s) {
        code.value = s.code;
        if (s.rates.length && s.rates.indexOf(rate.value) < 0) rate.value = s.rates[0];
        recompute(); validate(); rate.focus();
      }
    });
    row.querySelector("[data-remove-line]").addEventListener("click", function () {
      var visible = linesBox.querySelectorAll("[data-line]:not([hidden])").length;
      row.querySelectorAll("input, select").forEach(function (el) { if (el.type !== "hidden" || /-product$/.test(el.name)) el.value = el.tagName === "SELECT" ? el.options[0].value : ""; });
      if (visible > 1) row.hidden = true;
      renumber(); recompute(); validate();
    });
  }
  linesBox.querySelectorAll("[data-line]").forEach(wire);
  addBtn.hidden = false;
  addBtn.addEventListener("click", function () {
    var index = parseInt(total.value, 10);
    var html = template.innerHTML.replace(/__prefix__/g, String(index));
    var holder = document.createElement("div"); holder.innerHTML = html;
    var row = holder.firstElementChild;
    linesBox.appendChild(row); total.value = String(index + 1);
    wire(row); renumber(); field(row, "name").focus();
  });

  /* --- buyer lookup --------------------------------------------------------------------------- */
  var buyerName = form.querySelector("[name=buyer_name]");
  S.attach(buyerName, document.getElementById("buyer-list"), {
    url: function (q) { return q ? form.dataset.buyersUrl + "?q=" + encodeURIComponent(q) + "&store=" + encodeURIComponent(storeId()) : null; },
    render: function (b) { return { main: b.name, sub: b.tax_id || "个人" }; },
    choose: function (b) {
      ["name", "tax_id", "address", "phone", "bank_name", "bank_account", "email", "mobile"].forEach(function (k) {
        var el = form.querySelector("[name=buyer_" + k + "]"); if (el) el.value = b[k] || "";
      });
      var kind = form.querySelector("[name=buyer_kind][value=" + (b.is_person ? "person" : "company") + "]");
      if (kind) kind.checked = true;
      validate();
    }
  });

  /* --- the server's rules, inline ----------------------------------------------------------- */
  var seq = 0;
  function showErrors(errors) {
    form.querySelectorAll("[data-errors-for]").forEach(function (box) {
      var name = box.getAttribute("data-errors-for"), messages = errors[name] || [];
      box.innerHTML = "";
      messages.forEach(function (m) { var p = document.createElement("p"); p.className = name === "__all__" ? "" : "error"; p.textContent = m; box.appendChild(p); });
      if (name === "__all__") { box.hidden = !messages.length; return; }
      var wrap = box.closest(".field");
      if (wrap) wrap.classList.toggle("has-error", messages.length > 0);
      form.querySelectorAll("[name='" + name + "']").forEach(function (input) {
        if (messages.length) { input.setAttribute("aria-invalid", "true"); input.setAttribute("aria-describedby", box.id || ""); }
        else input.removeAttribute("aria-invalid");
      });
    });
  }
  // A field is checked once the clerk has left it (blur) or the server has already shown the
  // form's errors: an empty tax code must not turn red while the line's name is still being typed.
  var touched = {}, showAll = !!form.querySelector(".has-error");
  form.addEventListener("focusout", function (e) {
    var name = e.target && e.target.name;
    if (!name || touched[name]) return;
    touched[name] = true; validate();
  });
  function touchedOnly(errors) {
    var out = {};
    Object.keys(errors).forEach(function (name) {
      var el = form.querySelector("[name='" + name + "']");
      var row = el && el.closest("[data-line]");
      if (row && row.hidden) return;
      if (name !== "__all__" && !showAll && !touched[name]) return;
      out[name] = errors[name];
    });
    return out;
  }
  var validate = S.debounce(function () {
    var mine = ++seq;
    state.textContent = "正在校验…";
    fetch(form.dataset.validateUrl, { method: "POST", body: new FormData(form), credentials: "same-origin",
                                      headers: { "X-CSRFToken": form.querySelector("[name=csrfmiddlewaretoken]").value } })
      .then(function (r) { return r.json(); })
      .then(function (data) {
        if (mine !== seq) return;
        showErrors(touchedOnly(data.errors || {}));
        var warn = Object.values(data.warnings || {}).reduce(function (a, b) { return a.concat(b); }, []);
        state.textContent = data.ok ? "✓ 已通过全部校验" + (warn.length ? "（提示：" + warn.join("；") + "）" : "") : "请按红色提示修改";
        state.className = data.ok ? "ok" : "error";
      })
      .catch(function () { state.textContent = ""; });
  }, 450);

  form.addEventListener("input", recompute);
  form.addEventListener("change", function () { recompute(); validate(); });
  recompute();
  if (form.querySelector(".has-error")) validate();
})();
