// Instant search: results appear under the search box as the shopper types.
//
// Progressive enhancement: every search form still submits to /search, this
// only adds an ARIA combobox (listbox + status for screen readers) on top.
// Requests are debounced; a response that arrives after a newer one was asked
// for is dropped, so stale results never replace fresh ones. Text goes in with
// textContent only: nothing from the server is parsed as HTML.
(function () {
  "use strict";

  var MIN_CHARS = 2;
  var DELAY_MS = 150;

  function enhance(form) {
    var input = form.querySelector('input[role="combobox"]');
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var status = document.getElementById(input.id + "-status");
    var endpoint = form.getAttribute("data-instant");
    var timer = null;
    var latest = 0;
    var active = -1;

    function options() {
      return list.querySelectorAll('[role="option"]');
    }

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }

    function highlight(index) {
      var all = options();
      if (!all.length) return;
      active = (index + all.length) % all.length;
      all.forEach(function (option, i) {
        option.setAttribute("aria-selected", i === active ? "true" : "false");
      });
      input.setAttribute("aria-activedescendant", all[active].id);
      all[active].scrollIntoView({ block: "nearest" });
    }

    function option(id, url, title, detail) {
      var item = document.createElement("li");
      item.id = id;
      item.setAttribute("role", "option");
      item.setAttribute("aria-selected", "false");
      item.dataset.url = url;
      var name = document.createElement("span");
      name.className = "instant-title";
      name.textContent = title;
      item.appendChild(name);
      if (detail) {
        var small = document.createElement("span");
        small.className = "instant-detail";
        small.textContent = detail;
        item.appendChild(small);
      }
      item.addEventListener("mousedown", function (event) {
        event.preventDefault(); // keep focus in the box until we navigate
        window.location.assign(url);
      });
      return item;
    }

    function show(data) {
      list.textContent = "";
      active = -1;
      input.removeAttribute("aria-activedescendant");
      data.results.forEach(function (result, i) {
        var detail = [result.section, result.category].filter(Boolean).join(" · ");
        list.appendChild(option(input.id + "-option-" + i, result.url, result.title, detail));
      });
      if (data.total > data.results.length) {
        list.appendChild(option(input.id + "-option-all", data.more, data.all || "See all " + data.total + " results", ""));
      }
      var said = data.said ? data.said  // in the page's language, from the server
        : data.unavailable ? "Search isn’t working right now. Browse the topics or contact us."
        : data.total === 0 ? "No articles found. Press Enter to search anyway."
        : data.total + (data.total === 1 ? " article" : " articles") + " found, use the arrow keys to choose.";
      if (data.showing && !data.said) said = "Showing results for " + data.showing + ". " + said;
      status.textContent = said;
      list.hidden = data.results.length === 0;
      input.setAttribute("aria-expanded", list.hidden ? "false" : "true");
    }

    function ask() {
      var query = input.value.trim();
      var asked = ++latest;
      if (query.length < MIN_CHARS) {
        close();
        status.textContent = "";
        return;
      }
      fetch(endpoint + "?q=" + encodeURIComponent(input.value), { headers: { Accept: "application/json" } })
        .then(function (response) { return response.ok ? response.json() : null; })
        .then(function (data) {
          if (data && asked === latest && document.activeElement === input) show(data);
        })
        .catch(function () { /* offline or server busy: the form still submits */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, DELAY_MS);
    });

    input.addEventListener("keydown", function (event) {
      var open = !list.hidden;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        if (!open) return;
        event.preventDefault();
        highlight(active + (event.key === "ArrowDown" ? 1 : -1));
      } else if (event.key === "Enter" && open && active >= 0) {
        event.preventDefault();
        window.location.assign(options()[active].dataset.url);
      } else if (event.key === "Escape" && open) {
        event.preventDefault();
        latest++; // a response still on its way must not reopen the list
        close();
      }
    });

    input.addEventListener("blur", function () {
      latest++;
      close();
    });
  }

  document.querySelectorAll("form[data-instant]").forEach(enhance);
})();
