// Agent search, keyboard first: "/" focuses the search box, the arrow keys
// move between results and their matching sections, "c" copies the link of
// the one in focus and "m" its Markdown link (copy.js does the copying).
(function () {
  "use strict";

  var input = document.getElementById("agent-q");
  if (!input) return;
  var links = Array.prototype.slice.call(document.querySelectorAll(".agent-link"));

  function isTyping(target) {
    return target.closest("input, textarea, select, [contenteditable]") !== null;
  }

  function focusedRow() {
    return document.activeElement ? document.activeElement.closest(".agent-row") : null;
  }

  function move(step) {
    var row = focusedRow();
    var next = (row ? links.indexOf(row.querySelector(".agent-link")) : -1) + step;
    if (next < 0) {
      input.focus();
    } else if (links.length) {
      links[Math.min(next, links.length - 1)].focus();
    }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) return;
    if (isTyping(event.target)) {
      if (event.target === input && event.key === "ArrowDown" && links.length) {
        event.preventDefault();
        links[0].focus();
      }
      return;
    }
    var row = focusedRow();
    if (event.key === "/") {
      event.preventDefault();
      input.focus();
      input.select();
    } else if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      move(event.key === "ArrowDown" ? 1 : -1);
    } else if ((event.key === "c" || event.key === "m") && row) {
      event.preventDefault();
      row.querySelector('[data-copy-format="' + (event.key === "c" ? "link" : "markdown") + '"]').click();
    }
  });
})();
