// Contact requests: this tab's visit, and suggestions as the shopper writes.
//
// On every page: the searches made and articles opened in this tab are kept
// in sessionStorage (gone when the tab closes), and nowhere else. On the
// contact page they go into the request form's hidden "visit" field when it
// is sent, and only while the consent box stays ticked. While the shopper
// writes the message, articles that may answer it appear under it.
// Without this script the form still sends; the visit then holds no searches.
(function () {
  "use strict";

  var KEY = "kb-visit";
  var KEEP = 10;
  var DELAY_MS = 400;
  var MIN_CHARS = 8;

  function load() {
    try {
      var visit = JSON.parse(sessionStorage.getItem(KEY));
      if (visit && Array.isArray(visit.searches) && Array.isArray(visit.articles)) return visit;
    } catch (e) { /* storage off or damaged: start again */ }
    return { searches: [], articles: [] };
  }

  function save(visit) {
    try { sessionStorage.setItem(KEY, JSON.stringify(visit)); } catch (e) { /* storage off: nothing kept */ }
  }

  function remember(list, value) {
    var at = list.indexOf(value);
    if (at >= 0) list.splice(at, 1);
    list.push(value);
    while (list.length > KEEP) list.shift();
  }

  function recordThisPage() {
    var visit = load();
    var path = location.pathname.replace(/^\/[a-z]{2}(-[a-z]+)?(?=\/)/i, "");
    var article = path.match(/^\/articles\/([^\/]+)$/);
    if (article) remember(visit.articles, decodeURIComponent(article[1]));
    var query = new URLSearchParams(location.search).get("q");
    if (query && query.trim() && (path === "/search" || path === "/contact")) {
      remember(visit.searches, query.trim().slice(0, 200));
    }
    save(visit);
  }

  function suggest(form) {
    var message = form.elements.message;
    var box = document.getElementById("request-suggestions");
    var list = box.querySelector("ul");
    var endpoint = form.getAttribute("data-suggest");
    var timer = null;
    var latest = 0;

    function show(results) {
      list.textContent = "";
      results.slice(0, 5).forEach(function (result) {
        var item = document.createElement("li");
        var link = document.createElement("a");
        link.href = result.url;
        link.target = "_blank";
        link.rel = "noopener";
        link.textContent = result.title;
        item.appendChild(link);
        list.appendChild(item);
      });
      box.hidden = !results.length;
    }

    message.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(function () {
        var text = message.value.trim().slice(-200);
        if (text.length < MIN_CHARS) { show([]); return; }
        var asked = ++latest;
        fetch(endpoint + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/json" } })
          .then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) { if (asked === latest) show(data.results || []); })
          .catch(function () { /* suggestions are a help, not a need */ });
      }, DELAY_MS);
    });
  }

  recordThisPage();
  var form = document.getElementById("request-form");
  if (!form) return;
  form.addEventListener("submit", function () {
    form.elements.visit.value = form.elements.share_visit.checked ? JSON.stringify(load()) : "";
  });
  suggest(form);
})();
