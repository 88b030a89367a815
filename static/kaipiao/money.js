/* Money in integer cents (BigInt): the same figures as invoicing.rules.amounts, never floats.
   Decimal text → scaled BigInt; every rounding is half-up (away from zero), like ROUND_HALF_UP. */
(function () {
  "use strict";
  var TEN = BigInt(10);
  function pow10(n) { var r = BigInt(1); for (var i = 0; i < n; i++) r *= TEN; return r; }
  function parse(text) {
    text = (text || "").trim();
    if (!/^\d+(\.\d+)?$/.test(text)) return null;
    var parts = text.split("."), frac = parts[1] || "";
    return { v: BigInt(parts[0] + frac), s: frac.length };
  }
  function divRound(n, d) { // n / d, d > 0, half away from zero
    var q = n / d, r = n % d, ar = r < 0 ? -r : r;
    if (ar * BigInt(2) >= d) return n < 0 ? q - BigInt(1) : q + BigInt(1);
    return q;
  }
  function toCents(p) { return p.s <= 2 ? p.v * pow10(2 - p.s) : divRound(p.v, pow10(p.s - 2)); }
  function thousandths(rateText) { var p = parse(rateText); return p ? (p.s <= 3 ? p.v * pow10(3 - p.s) : divRound(p.v, pow10(p.s - 3))) : null; }
  function fmt(c) {
    if (c === null || c === undefined) return "—";
    var neg = c < 0, a = neg ? -c : c, s = a.toString();
    while (s.length < 3) s = "0" + s;
    return (neg ? "-" : "") + s.slice(0, -2) + "." + s.slice(-2);
  }
  /* One form row → {amount, tax, discAmount, discTax} in cents, or null when incomplete. */
  function line(row) {
    var rk = thousandths(row.rate);
    if (rk === null) return null;
    var gross;
    var q = parse(row.quantity), p = parse(row.price);
    if (q && p) gross = toCents({ v: q.v * p.v, s: q.s + p.s });
    else if (!row.quantity && !row.price) { var a = parse(row.amount); if (!a) return null; gross = toCents(a); }
    else return null;
    var K = BigInt(1000), out = {};
    if (row.includesTax) { out.amount = divRound(gross * K, K + rk); out.tax = gross - out.amount; }
    else { out.amount = gross; out.tax = divRound(gross * rk, K); }
    var d = parse(row.discount);
    out.discAmount = BigInt(0); out.discTax = BigInt(0);
    if (d && d.v > 0) {
      var dc = toCents(d);
      if (row.includesTax) { out.discAmount = -divRound(dc * K, K + rk); out.discTax = -dc - out.discAmount; }
      else { out.discAmount = -dc; out.discTax = -divRound(dc * rk, K); }
    }
    return out;
  }
  /* A unit price converted between with/without tax (8 decimals, half up), as text. */
  function convertPrice(priceText, rateText, toIncludesTax) {
    var p = parse(priceText), rk = thousandths(rateText);
    if (!p || rk === null) return priceText;
    var K = BigInt(1000);
    var scaled = p.s <= 8 ? p.v * pow10(8 - p.s) : divRound(p.v, pow10(p.s - 8));
    var v = toIncludesTax ? divRound(scaled * (K + rk), K) : divRound(scaled * K, K + rk);
    var s = v.toString(); while (s.length < 9) s = "0" + s;
    var text = s.slice(0, -8) + "." + s.slice(-8);
    return text.replace(/\.?0+$/, "");
  }
  window.KPMoney = { parse: parse, line: line, fmt: fmt, convertPrice: convertPrice, thousandths: thousandths };
})();
