/* A small accessible listbox under an input: type to fetch, ↓/↑ to move, Enter to choose, Esc to close. */
(function () {
  "use strict";
  function debounce(fn, ms) { var t; return function () { var a = arguments, self = this; clearTimeout(t); t = setTimeout(function () { fn.apply(self, a); }, ms); }; }

  function fetchJSON(url) {
    return fetch(url, { headers: { "X-Requested-With": "fetch", "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); });
  }

  /* attach(input, list, {url(q) → string|null, render(item) → text, choose(item)}) */
  function attach(input, list, opts) {
    var items = [], active = -1, idBase = (input.id || "kp") + "-opt-";
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    if (!list.id) list.id = idBase + "list";
    input.setAttribute("aria-controls", list.id);
    function close() { list.hidden = true; list.innerHTML = ""; items = []; active = -1; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); }
    function highlight(i) {
      var options = list.querySelectorAll("[role=option]");
      options.forEach(function (o, k) { o.setAttribute("aria-selected", k === i ? "true" : "false"); });
      active = i;
      if (options[i]) { input.setAttribute("aria-activedescendant", options[i].id); options[i].scrollIntoView({ block: "nearest" }); }
    }
    function show(results) {
      list.innerHTML = ""; items = results || [];
      if (!items.length) { close(); return; }
      items.forEach(function (item, i) {
        var li = document.createElement("li");
        li.setAttribute("role", "option"); li.id = idBase + i; li.tabIndex = -1;
        var r = opts.render(item);
        var strong = document.createElement("span"); strong.className = "opt-main"; strong.textContent = r.main; li.appendChild(strong);
        if (r.sub) { var small = document.createElement("small"); small.className = "help"; small.textContent = r.sub; li.appendChild(small); }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); pick(i); });
        list.appendChild(li);
      });
      list.hidden = false; input.setAttribute("aria-expanded", "true"); active = -1;
    }
    function pick(i) { var item = items[i]; close(); if (item) opts.choose(item); }
    var load = debounce(function () {
      var url = opts.url(input.value.trim());
      if (!url) { close(); return; }
      fetchJSON(url).then(function (data) { if (document.activeElement === input) show(data.results); }).catch(close);
    }, 250);
    input.addEventListener("input", load);
    if (opts.onFocus) input.addEventListener("focus", function () { if (opts.onFocus()) load(); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) { if (e.key === "ArrowDown" && opts.onFocus) load(); return; }
      if (e.key === "ArrowDown") { e.preventDefault(); highlight(Math.min(active + 1, items.length - 1)); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight(Math.max(active - 1, 0)); }
      else if (e.key === "Enter" && active >= 0) { e.preventDefault(); pick(active); }
      else if (e.key === "Escape") { close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
    return { close: close, load: load };
  }
  window.KPSuggest = { attach: attach, fetchJSON: fetchJSON, debounce: debounce };
})();
