/*
 * Loyalty storefront widget: the loader.
 *
 *   <script src="https://LOYALTY_HOST/widget/loader.js" data-shop="SHOP_ID"
 *           data-customer-id="ID" data-customer-digest="HEX_HMAC" async></script>
 *
 * Plain JavaScript, no build step. It never throws into the host page: every
 * step is guarded, every request times out, and a failure leaves the page as it was.
 * Nothing is parsed as HTML: texts from the shop or the customer go in as text nodes.
 */
(function () {
  "use strict";

  var TIMEOUT_MS = 8000;
  var MAX_PRICES = 50;
  var script = document.currentScript;
  if (!script || window.__loyaltyWidget) {
    return; // pasted twice, or loaded in a way that hides our own address
  }
  window.__loyaltyWidget = true;

  function warn(message, error) {
    try {
      console.warn("[loyalty widget] " + message, error || "");
    } catch (ignored) { /* a console-less page */ }
  }

  function readOptions() {
    var data = script.dataset || {};
    var shop = (data.shop || "").trim();
    if (!/^\d{1,18}$/.test(shop)) {
      warn("data-shop must be the shop's numeric id");
      return null;
    }
    var customer = (data.customerId || "").trim();
    var digest = (data.customerDigest || "").trim();
    return {
      base: new URL(script.src).origin,
      shop: shop,
      customer: customer && digest ? customer : "",
      digest: customer && digest ? digest : ""
    };
  }

  function makeRequester(options) {
    var prefix = options.base + "/widget/v1/" + options.shop;
    return function request(path, init) {
      init = init || {};
      var controller = typeof AbortController === "function" ? new AbortController() : null;
      var timer = setTimeout(function () { if (controller) { controller.abort(); } },
                             init.timeout || TIMEOUT_MS);
      var headers = Object.assign({}, init.headers || {});
      if (options.customer && !init.anonymous) {
        headers["X-Loyalty-Customer"] = options.customer;
        headers["X-Loyalty-Digest"] = options.digest;
      }
      return fetch(prefix + path, {
        method: init.method || "GET",
        headers: headers,
        body: init.body,
        credentials: "omit",
        cache: init.fresh ? "no-cache" : "default",
        signal: controller ? controller.signal : undefined
      }).then(function (response) {
        return response.json().catch(function () { return {}; }).then(function (body) {
          return { ok: response.ok, status: response.status, body: body };
        });
      }).finally(function () { clearTimeout(timer); });
    };
  }

  function makeTranslator(config) {
    var locale = config.locale;
    var messages = config.messages || {};
    var plural = new Intl.PluralRules(locale);
    var numbers = new Intl.NumberFormat(locale, { maximumFractionDigits: 4 });
    var money = new Intl.NumberFormat(locale, { style: "currency", currency: config.currency });
    var dates = new Intl.DateTimeFormat(locale, { dateStyle: "medium" });
    function t(key, vars) {
      vars = vars || {};
      var message = messages[key];
      if (message && typeof message === "object") {
        message = message[plural.select(Number(vars.count))] || message.other;
      }
      if (typeof message !== "string") {
        return key;
      }
      return message.replace(/\{(\w+)\}/g, function (whole, name) {
        if (name === "n") { return numbers.format(Number(vars.count)); }
        return Object.prototype.hasOwnProperty.call(vars, name) ? String(vars[name]) : whole;
      });
    }
    t.number = function (value) { return numbers.format(Number(value)); };
    t.money = function (value) { return money.format(Number(value)); };
    t.date = function (value) { return dates.format(new Date(value)); };
    t.locale = locale;
    return t;
  }

  function pageLanguage() {
    return (document.documentElement.getAttribute("lang") || "").slice(0, 16);
  }

  function renderEstimates(request, t) {
    var known = {};
    var busy = false;
    var again = false;

    function snippets() {
      return Array.prototype.slice.call(document.querySelectorAll("[data-loyalty-earn][data-price]"));
    }

    function paint() {
      snippets().forEach(function (node) {
        var points = known[node.getAttribute("data-price").trim()];
        if (typeof points === "number") {
          node.textContent = points > 0 ? t("earn_estimate", { count: points }) : "";
        }
      });
    }

    function refresh() {
      if (busy) { again = true; return; }
      var missing = [];
      snippets().forEach(function (node) {
        var price = node.getAttribute("data-price").trim();
        if (/^\d{1,9}(\.\d{1,4})?$/.test(price) && !(price in known) && missing.indexOf(price) < 0) {
          missing.push(price);
        }
      });
      paint();
      if (!missing.length) { return; }
      busy = true;
      var query = missing.slice(0, MAX_PRICES).map(function (p) { return "price=" + encodeURIComponent(p); });
      var path = "/estimate?" + query.join("&");
      request(path).then(function (result) {
        var error = result.body && result.body.error;
        if (result.status === 404 && error && error.code === "customer_not_found") {
          return request(path, { anonymous: true }); // signed in, no points yet: no tier either
        }
        return result;
      }).then(function (result) {
        if (!result.ok) { throw new Error("estimate answered " + result.status); }
        (result.body.estimates || []).forEach(function (e) { known[e.price] = e.points; });
        missing.forEach(function (p) { if (!(p in known)) { known[p] = 0; } });
        paint();
      }).catch(function (error) {
        missing.forEach(function (p) { known[p] = 0; }); // show nothing, do not retry in a loop
        warn("points estimate unavailable", error);
      }).finally(function () {
        busy = false;
        if (again) { again = false; refresh(); }
      });
    }

    refresh();
    if (typeof MutationObserver === "function") {
      var timer = null;
      new MutationObserver(function () {
        clearTimeout(timer);
        timer = setTimeout(refresh, 150);
      }).observe(document.body, { childList: true, subtree: true, attributes: true,
                                  attributeFilter: ["data-price", "data-loyalty-earn"] });
    }
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text) { node.textContent = text; }
    return node;
  }

  function mountLauncher(options, config, request, t) {
    var assets = options.base + "/widget/assets/" + encodeURIComponent(config.assets.version) + "/";
    var host = document.createElement("loyalty-widget");
    var root = host.attachShadow({ mode: "open" });
    // Through the CSSOM, which a strict style-src allows (an inline style attribute it would not).
    host.style.setProperty("position", "fixed", "important");
    host.style.setProperty("z-index", "2147483000", "important");
    host.style.setProperty("--lw-primary", config.theme.primary);
    host.style.setProperty("--lw-on-primary", config.theme.on_primary);
    host.style.setProperty("--lw-accent", config.theme.accent);
    var sheet = el("link");
    sheet.rel = "stylesheet";
    sheet.href = assets + "panel.css";
    root.appendChild(sheet);
    var wrapper = el("div", "lw lw-" + (config.theme.position === "bottom_left" ? "left" : "right"));
    var launcher = el("button", "lw-launcher", config.theme.launcher_text || t("launcher"));
    launcher.type = "button";
    launcher.id = "lw-launcher";
    launcher.setAttribute("aria-haspopup", "dialog");
    launcher.setAttribute("aria-expanded", "false");
    wrapper.appendChild(launcher);

    var panel = null;
    var loading = null;
    function loadPanel() {
      loading = loading || import(assets + "panel.js").then(function (module) {
        panel = module.createPanel({
          root: root, wrapper: wrapper, launcher: launcher, config: config, t: t, request: request,
          signedIn: Boolean(options.customer)
        });
        return panel;
      });
      return loading;
    }
    launcher.addEventListener("click", function () {
      loadPanel().then(function (p) { p.toggle(); }).catch(function (error) {
        loading = null;
        warn("the rewards panel could not be loaded", error);
      });
    });
    // Show the launcher only once it is styled, so it never flashes unstyled.
    sheet.addEventListener("load", function () { root.appendChild(wrapper); });
    sheet.addEventListener("error", function () { warn("the widget stylesheet did not load"); });
    document.body.appendChild(host);
  }

  function start() {
    var options = readOptions();
    if (!options) { return Promise.resolve(); }
    var request = makeRequester(options);
    return request("/config?lang=" + encodeURIComponent(pageLanguage()), { anonymous: true })
      .then(function (result) {
        if (!result.ok) { throw new Error("config answered " + result.status); }
        var config = result.body;
        var t = makeTranslator(config);
        mountLauncher(options, config, request, t);
        renderEstimates(request, t);
      });
  }

  function safeStart() {
    try {
      start().catch(function (error) { warn("the widget is unavailable", error); });
    } catch (error) {
      warn("the widget could not start", error);
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", safeStart);
  } else {
    safeStart();
  }
})();
