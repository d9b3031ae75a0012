// Section links for support agents: "Copy link" and "Copy Markdown" buttons
// beside every h2-h4 permalink of an article (copy.js does the copying).
// Without JavaScript the "#" permalinks still work; this saves a right-click.
(function () {
  "use strict";

  var body = document.querySelector(".article-body");
  if (!body) return;

  var title = document.querySelector("h1").textContent.trim();
  // The permanent address outlives renames; articles without an id fall back to the canonical URL.
  var addressLink = document.querySelector('link[rel="shortlink"]') || document.querySelector('link[rel="canonical"]');
  var address = (addressLink ? addressLink.href : location.href).split("#")[0];

  function sectionName(heading) {
    var parts = [];
    heading.childNodes.forEach(function (node) {
      if (!(node.classList && node.classList.contains("headerlink"))) parts.push(node.textContent);
    });
    return parts.join("").replace(/\s+/g, " ").trim();
  }

  function copyButton(label, spokenLabel, copiedMessage, format, copyTitle, url) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "copy-button";
    button.textContent = label;
    button.setAttribute("aria-label", spokenLabel);
    button.setAttribute("data-copy-url", url);
    button.setAttribute("data-copy-title", copyTitle);
    button.setAttribute("data-copy-format", format);
    button.setAttribute("data-copied", copiedMessage);
    return button;
  }

  // The words come from the page (data-* on .article-body), in the page's language.
  function say(key, name) { return body.dataset[key].replace("{section}", name); }

  body.querySelectorAll("h2[id], h3[id], h4[id]").forEach(function (heading) {
    var permalink = heading.querySelector("a.headerlink");
    if (!permalink) return;
    var name = sectionName(heading);
    var url = address + "#" + heading.id;
    var copyTitle = title + " — " + name;
    var tools = document.createElement("span");
    tools.className = "section-tools";
    tools.appendChild(copyButton(body.dataset.copyLink, say("copyLinkLabel", name), say("linkCopied", name),
                                 "link", copyTitle, url));
    tools.appendChild(copyButton(body.dataset.copyMarkdown, say("copyMarkdownLabel", name),
                                 say("markdownCopied", name), "markdown", copyTitle, url));
    permalink.after(tools);
  });
})();
