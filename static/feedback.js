// "Was this helpful?": send the vote and comment forms in place.
// Without this script the same forms post and come back with a message.
(function () {
  "use strict";
  var section = document.getElementById("feedback");
  if (!section || !window.fetch) { return; }
  var status = section.querySelector(".feedback-status");
  var details = section.querySelector(".feedback-details");
  var comment = details.querySelector("textarea");
  var left = details.querySelector("[data-max]");
  // Words in the page's language, from the template; English when a page has none.
  var FAILED = section.dataset.failed || "We couldn’t send your feedback. Please check your connection and try again.";

  function showCharactersLeft() {
    var remaining = Number(left.dataset.max) - comment.value.length;
    var number = remaining.toLocaleString(document.documentElement.lang === "en" ? "en-GB" : document.documentElement.lang);
    var words = remaining === 1 ? left.dataset.one : left.dataset.many;
    left.textContent = words ? words.replace("{n}", number)
      : number + (remaining === 1 ? " character left" : " characters left");
  }

  function showVote(vote, fromDetails) {
    section.querySelectorAll(".vote-form button").forEach(function (button) {
      button.setAttribute("aria-pressed", String(button.value === vote));
    });
    details.hidden = vote !== "no" || fromDetails;
    var contact = document.getElementById("contact");
    if (contact) { contact.classList.toggle("contact-prominent", vote === "no"); }
    if (vote === "no" && !fromDetails) { details.querySelector("input[type=checkbox]").focus(); }
  }

  // Reading sets no cookie, so a new visitor's forms come without a token:
  // ask for one (it starts the session) the first time they send something.
  function withToken() {
    var fields = section.querySelectorAll("input[name=csrf_token]");
    if (fields[0].value) { return Promise.resolve(); }
    return fetch(section.dataset.tokenUrl, {credentials: "same-origin", headers: {"Accept": "application/json"}})
      .then(function (response) {
        if (!response.ok) { throw new Error("no token"); }
        return response.json();
      })
      .then(function (answer) {
        fields.forEach(function (field) { field.value = answer.csrf_token; });
      });
  }

  function send(form, submitter) {
    var buttons = form.querySelectorAll("button");
    buttons.forEach(function (button) { button.disabled = true; });
    withToken()
      .then(function () {
        var body = new URLSearchParams(new FormData(form));
        if (submitter && submitter.name) { body.append(submitter.name, submitter.value); }
        return fetch(form.action, {method: "POST", body: body, credentials: "same-origin",
                                   headers: {"Accept": "application/json"}});
      })
      .then(function (response) {
        return response.json().then(function (answer) {
          status.textContent = answer.message;
          if (response.ok) {
            showVote(answer.vote, form === details);
          }
        });
      })
      .catch(function () { status.textContent = FAILED; })
      .then(function () { buttons.forEach(function (button) { button.disabled = false; }); });
  }

  section.addEventListener("submit", function (event) {
    event.preventDefault();
    send(event.target, event.submitter);
  });
  comment.addEventListener("input", showCharactersLeft);
}());
