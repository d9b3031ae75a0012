// Copy buttons for support agents. Any <button data-copy-url="…"> copies that
// address; with data-copy-format="markdown" it copies [data-copy-title](url)
// instead. What was copied is announced to screen readers. The buttons are
// added by article.js (section headings) or rendered by the agent search page.
(function () {
  "use strict";

  var main = document.querySelector("main") || document.body;
  // Created once, early, so screen readers have registered it before it speaks.
  var status = document.createElement("p");
  status.className = "visually-hidden";
  status.setAttribute("role", "status");
  status.setAttribute("aria-live", "polite");
  main.appendChild(status);

  function announce(message) {
    status.textContent = "";
    // Emptying first makes a repeated message ("Link copied") be read again.
    window.setTimeout(function () { status.textContent = message; }, 50);
  }

  function markdownLink(title, url) {
    var text = title.replace(/([\\\[\]])/g, "\\$1");
    var target = url.replace(/\(/g, "%28").replace(/\)/g, "%29").replace(/ /g, "%20");
    return "[" + text + "](" + target + ")";
  }

  // For browsers without the asynchronous clipboard (or pages not served over HTTPS).
  function copyWithSelection(text) {
    var field = document.createElement("textarea");
    field.value = text;
    field.setAttribute("readonly", "");
    field.className = "visually-hidden";
    document.body.appendChild(field);
    field.select();
    var copied = false;
    try {
      copied = document.execCommand("copy");
    } catch (error) {
      copied = false;
    }
    field.remove();
    return copied ? Promise.resolve() : Promise.reject(new Error("copy refused"));
  }

  function copy(text) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(text).catch(function () { return copyWithSelection(text); });
    }
    return copyWithSelection(text);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-copy-url]");
    if (!button) return;
    var url = button.getAttribute("data-copy-url");
    var markdown = button.getAttribute("data-copy-format") === "markdown";
    var text = markdown ? markdownLink(button.getAttribute("data-copy-title") || "", url) : url;
    copy(text).then(function () {
      button.classList.add("copied");
      window.setTimeout(function () { button.classList.remove("copied"); }, 2000);
      announce(button.getAttribute("data-copied") || (markdown ? "Markdown link copied" : "Link copied"));
    }, function () {
      announce("Could not copy. The address is " + url);
    });
  });
})();
