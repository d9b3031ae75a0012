// The help widget: one script tag on a shop's page adds a help button that opens a panel with search,
// articles suggested for the page, an article read in place, and the contact channels.
//
//   <script src="https://help.example/widget.js" defer></script>   (data- settings: README)
//
// It lives in the shop's page, so it keeps to itself both ways:
// - Its elements are in a shadow root on a custom element (never a div), styled by a constructed
//   stylesheet whose :host rules are !important: the shop's CSS cannot reach in, and ours cannot leak out.
//   A constructed stylesheet needs no 'unsafe-inline' in the shop's Content-Security-Policy.
// - The shop's scripts may have replaced fetch or Array.prototype.map (wrappers, old polyfills), and
//   they ran first: it talks through XMLHttpRequest and walks lists with plain for loops.
// - It sets no cookie, stores nothing, and asks only the help center it was loaded from.
// Text from the server goes in with textContent; only an article's body, which the help center
// sanitized, is parsed as HTML (through a Trusted Types policy where the shop enforces them).
(function () {
  "use strict";

  var script = document.currentScript;
  if (!script || document.querySelector("kb-help")) return;

  var MIN_CHARS = 2;
  var DELAY_MS = 200;
  var STALE_MS = 60000; // "open now" is worked out per minute on the server
  var base = script.src.replace(/widget\.js([?#].*)?$/, "");
  var settings = {
    lang: script.getAttribute("data-lang") || document.documentElement.lang || "",
    path: script.getAttribute("data-path"),
    position: script.getAttribute("data-position") === "left" ? "left" : "right",
    color: script.getAttribute("data-color") || ""
  };
  var policy = htmlPolicy();
  var host, root, ui = {}, data = null, loadedAt = 0, timer = null, pending = null;

  // ---------------------------------------------------------------- talking to the help center

  function get(url, type, done) {
    var request = new XMLHttpRequest();
    request.open("GET", url);
    request.responseType = type;
    request.onload = function () { done(request.status, request.response); };
    request.onerror = function () { done(0, null); };
    request.send();
    return request;
  }

  // The page's language, then its main language, then the help center's default: "de-AT", "de", "".
  function languages(tag) {
    tag = tag.toLowerCase();
    var main = tag.split("-")[0];
    if (!tag) return [""];
    return main === tag ? [tag, ""] : [tag, main, ""];
  }

  // What to show on this page, in the first of ``tried`` the help center speaks (it answers 400 to the others).
  function load(tried, done) {
    var path = settings.path || location.pathname;
    var url = base + "api/v1/widget?path=" + encodeURIComponent(path);
    if (tried[0]) url += "&lang=" + encodeURIComponent(tried[0]);
    get(url, "json", function (status, answer) {
      if (status === 400 && tried.length > 1) return load(tried.slice(1), done);
      if (status !== 200 || !answer) return done(null);
      data = answer;
      loadedAt = Date.now();
      done(answer);
    });
  }

  function htmlPolicy() {
    if (!window.trustedTypes || !window.trustedTypes.createPolicy) return null;
    try {
      return window.trustedTypes.createPolicy("kb-help", { createHTML: function (html) { return html; } });
    } catch (refused) {
      return null; // the shop's trusted-types directive does not list kb-help: bodies may be refused (README)
    }
  }

  // ---------------------------------------------------------------- building elements

  function el(tag, attributes, children) {
    var node = document.createElement(tag);
    for (var name in attributes) {
      if (Object.prototype.hasOwnProperty.call(attributes, name)) node.setAttribute(name, attributes[name]);
    }
    for (var i = 0; children && i < children.length; i++) {
      node.appendChild(typeof children[i] === "string" ? document.createTextNode(children[i]) : children[i]);
    }
    return node;
  }

  function text(key, values) {
    var words = data.texts[key];
    for (var name in values) {
      if (Object.prototype.hasOwnProperty.call(values, name)) words = words.split("{" + name + "}").join(values[name]);
    }
    return words;
  }

  function empty(node) {
    while (node.firstChild) node.removeChild(node.firstChild);
  }

  // A link to an article that opens it in the panel; with a modifier key, on the help center as usual.
  function articleLink(slug, url, label, anchor) {
    var link = el("a", { href: url }, [label]);
    link.addEventListener("click", function (event) {
      if (event.ctrlKey || event.metaKey || event.shiftKey || event.button) return;
      event.preventDefault();
      openArticle(slug, anchor);
    });
    return link;
  }

  function build(css) {
    host = document.createElement("kb-help");
    root = host.attachShadow({ mode: "open" });
    var sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    root.adoptedStyleSheets = [sheet];
    if (settings.color && window.CSS && CSS.supports("color", settings.color)) {
      host.style.setProperty("--kb-accent", settings.color);
    }
    ui.launcher = el("button", { type: "button", "class": "launcher", "aria-expanded": "false",
                                 "aria-controls": "kb-panel" },
                     [el("span", { "class": "mark", "aria-hidden": "true" }, ["?"]), text("open")]);
    ui.close = el("button", { type: "button", "class": "close", "aria-label": text("close") }, ["×"]);
    ui.input = el("input", { id: "kb-q", type: "search", autocomplete: "off", spellcheck: "false" });
    ui.status = el("p", { "class": "status", role: "status", "aria-live": "polite" });
    ui.results = el("ul", { "class": "results" });
    ui.suggested = el("ul", { "class": "articles" });
    ui.suggestedSection = el("section", { "aria-labelledby": "kb-suggested" },
                             [el("h3", { id: "kb-suggested" }, [text("suggested")]), ui.suggested]);
    ui.channels = el("ul", { "class": "channels" });
    ui.contactPage = el("a", { "class": "contact-page", href: data.links.contact, target: "_blank", rel: "noopener" },
                        [text("contact_page")]);
    var form = el("form", { role: "search" }, [el("label", { "for": "kb-q" }, [text("search")]), ui.input]);
    ui.home = el("div", { "class": "home" }, [form, ui.status, ui.results, ui.suggestedSection,
      el("section", { "class": "contact", "aria-labelledby": "kb-contact" },
         [el("h3", { id: "kb-contact" }, [text("contact")]), ui.channels, ui.contactPage])]);
    ui.reader = el("article", { "class": "reader", hidden: "" });
    ui.panel = el("section", { id: "kb-panel", "class": "panel", role: "dialog", "aria-modal": "true",
                               "aria-labelledby": "kb-title", hidden: "" },
                  [el("header", {}, [el("h2", { id: "kb-title" }, [text("open")]), ui.close]),
                   el("div", { "class": "views" }, [ui.home, ui.reader])]);
    root.appendChild(el("div", { "class": "kb " + settings.position }, [ui.launcher, ui.panel]));
    ui.launcher.addEventListener("click", function () { if (ui.panel.hidden) open(); else close(); });
    ui.close.addEventListener("click", close);
    ui.panel.addEventListener("keydown", keys);
    ui.input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(search, DELAY_MS); });
    form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
    showPage();
    document.body.appendChild(host);
  }

  // ---------------------------------------------------------------- the panel

  function open() {
    ui.panel.hidden = false;
    ui.launcher.setAttribute("aria-expanded", "true");
    ui.input.focus();
    if (Date.now() - loadedAt > STALE_MS) load(languages(data.language), showPage);
  }

  function close() {
    ui.panel.hidden = true;
    ui.launcher.setAttribute("aria-expanded", "false");
    ui.launcher.focus();
  }

  // Escape closes; Tab and Shift+Tab go round the panel's controls and never out into the shop's page.
  function keys(event) {
    if (event.key === "Escape") {
      event.preventDefault();
      close();
      return;
    }
    if (event.key !== "Tab") return;
    var all = ui.panel.querySelectorAll("a[href], button, input, [tabindex='0']");
    var shown = [];
    for (var i = 0; i < all.length; i++) {
      if (all[i].getClientRects().length) shown.push(all[i]);
    }
    var first = shown[0], last = shown[shown.length - 1], current = root.activeElement;
    if (event.shiftKey && (current === first || !ui.panel.contains(current))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && current === last) {
      event.preventDefault();
      first.focus();
    }
  }

  function showPage() {
    if (!data) return;
    empty(ui.suggested);
    for (var i = 0; i < data.suggested.length; i++) {
      var article = data.suggested[i];
      ui.suggested.appendChild(el("li", {}, [articleLink(article.slug, article.url, article.title),
                                             el("p", {}, [article.summary])]));
    }
    ui.suggestedSection.hidden = !data.suggested.length;
    empty(ui.channels);
    for (var j = 0; j < data.contact.length; j++) ui.channels.appendChild(channel(data.contact[j]));
  }

  function channel(item) {
    var value = item.link ? el("a", { href: item.link, target: "_blank", rel: "noopener" }, [item.value]) : item.value;
    var node = el("li", {}, [el("h4", {}, [item.label]), el("p", {}, [value])]);
    for (var i = 0; i < item.links.length; i++) {
      node.appendChild(el("a", { href: item.links[i].url, target: "_blank", rel: "noopener", "class": "social" },
                          [item.links[i].label]));
    }
    if (item.status) node.appendChild(el("p", { "class": item.open ? "open" : "closed" }, [item.status]));
    if (item.hours.length) node.appendChild(el("p", { "class": "quiet" }, [item.hours.join(" · ")]));
    if (item.response) node.appendChild(el("p", { "class": "quiet" }, [item.response]));
    return node;
  }

  // ---------------------------------------------------------------- search as you type

  function search() {
    var query = ui.input.value.replace(/\s+/g, " ").trim();
    if (pending) pending.abort();
    showHome();
    if (query.length < MIN_CHARS) {
      empty(ui.results);
      ui.status.textContent = "";
      ui.suggestedSection.hidden = !data.suggested.length;
      return;
    }
    pending = get(data.links.api + "/search?q=" + encodeURIComponent(query), "json", function (status, found) {
      pending = null;
      if (status !== 200 || !found) {
        ui.status.textContent = status === 0 || status >= 500 ? text("unavailable") : "";
        return;
      }
      showResults(found, query);
    });
  }

  function showResults(found, query) {
    empty(ui.results);
    for (var i = 0; i < found.results.length; i++) {
      var hit = found.results[i];
      var label = hit.section && hit.section.title ? hit.title + " › " + hit.section.title : hit.title;
      ui.results.appendChild(el("li", {}, [
        articleLink(hit.slug, hit.section ? hit.section.url : hit.url, label, hit.section && hit.section.anchor),
        el("p", {}, [hit.snippet])]));
    }
    ui.suggestedSection.hidden = true;
    var count = found.total === 0 ? text("no_results", { query: query })
      : text(found.total === 1 ? "results_one" : "results_other", { count: found.total });
    ui.status.textContent = found.showing ? text("showing", { query: found.showing }) + " " + count : count;
  }

  // ---------------------------------------------------------------- reading an article

  function openArticle(slug, anchor) {
    get(data.links.api + "/articles/" + encodeURIComponent(slug), "json", function (status, article) {
      if (status !== 200 || !article) {
        ui.status.textContent = text("unavailable");
        return;
      }
      showArticle(article, anchor);
    });
  }

  function showArticle(article, anchor) {
    empty(ui.reader);
    var back = el("button", { type: "button", "class": "back" }, ["‹ " + text("back")]);
    back.addEventListener("click", function () { showHome(); ui.input.focus(); });
    var title = el("h3", { tabindex: "-1" }, [article.title]);
    var body = el("div", { "class": "body" });
    body.innerHTML = policy ? policy.createHTML(article.body_html) : article.body_html;
    body.addEventListener("click", function (event) { followLink(event, body); });
    ui.reader.appendChild(back);
    ui.reader.appendChild(title);
    ui.reader.appendChild(sectionsNav(article, body));
    ui.reader.appendChild(body);
    ui.reader.appendChild(el("a", { "class": "out", href: article.url, target: "_blank", rel: "noopener" },
                             [text("read_on_site") + " ↗"]));
    ui.home.hidden = true;
    ui.reader.hidden = false;
    var heading = anchor && body.querySelector("[id='" + CSS.escape(anchor) + "']");
    goTo(heading || title);
  }

  function sectionsNav(article, body) {
    var list = el("ul", {});
    for (var i = 0; i < article.sections.length; i++) {
      var section = article.sections[i];
      if (section.level !== 2) continue;
      var link = el("a", { href: section.url }, [section.title]);
      link.addEventListener("click", jumpTo(body, section.anchor));
      list.appendChild(el("li", {}, [link]));
    }
    return el("nav", { "aria-label": text("sections") }, list.firstChild ? [list] : []);
  }

  function jumpTo(body, anchor) {
    return function (event) {
      var heading = body.querySelector("[id='" + CSS.escape(anchor) + "']");
      if (!heading) return;
      event.preventDefault();
      goTo(heading);
    };
  }

  // Within the body: "#section" links move inside the panel (the shop's address must not change), links to
  // other articles open them here, and any other link opens in a new tab, so the shopper keeps the shop's page.
  function followLink(event, body) {
    var link = event.target.closest("a[href]");
    if (!link || event.ctrlKey || event.metaKey || event.shiftKey) return;
    var href = link.getAttribute("href");
    var article = href.indexOf(base) === 0 && /\/articles\/([^/?#]+)(?:#(.*))?$/.exec(href);
    if (href.charAt(0) === "#") {
      jumpTo(body, decodeURIComponent(href.slice(1)))(event);
    } else if (article) {
      event.preventDefault();
      openArticle(decodeURIComponent(article[1]), article[2] && decodeURIComponent(article[2]));
    } else {
      link.setAttribute("target", "_blank");
      link.setAttribute("rel", "noopener");
    }
  }

  function goTo(heading) {
    if (!heading.hasAttribute("tabindex")) heading.setAttribute("tabindex", "-1");
    heading.focus();
    heading.scrollIntoView({ block: "start" });
  }

  function showHome() {
    ui.reader.hidden = true;
    ui.home.hidden = false;
  }

  // ---------------------------------------------------------------- start

  // The button appears once the help center has answered: a help button that opens nothing helps nobody.
  function start() {
    var css = null, ready = false;
    get(base + "widget.css", "text", function (status, sheet) {
      css = status === 200 ? sheet : null;
      if (css && ready) build(css);
    });
    load(languages(settings.lang), function (answer) {
      ready = !!answer;
      if (css && ready) build(css);
    });
  }

  // With defer (as the README says) the page is parsed already; a tag without it may run before <body> exists.
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
