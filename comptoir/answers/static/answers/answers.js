// Insert a canned response, filled in for this conversation, into the reply box.
(function () {
  "use strict";
  // The conversation page is swapped in by htmx on each visit: bind once, by delegation.
  if (window.comptoirAnswers) return;
  window.comptoirAnswers = true;

  function insert(text) {
    var box = document.getElementById("reply-text");
    if (!box) return;
    if (!box.value.trim()) {
      box.value = text;
    } else {
      // Where the agent left the cursor, keeping what they typed.
      var start = box.selectionStart, end = box.selectionEnd;
      box.setRangeText(text, start, end, "end");
    }
    box.focus();
    box.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function fail() {
    window.alert(document.body.getAttribute("data-request-failed"));
  }

  function load(url) {
    fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.json();
      })
      .then(function (data) { insert(data.text); })
      .catch(fail);
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-answer-url], [data-answer-picker]");
    if (!button) return;
    event.preventDefault();
    if (button.hasAttribute("data-answer-url")) {
      load(button.getAttribute("data-answer-url"));
    } else {
      var picker = document.getElementById(button.getAttribute("data-answer-picker"));
      if (picker && picker.value) load(picker.value);
    }
  });
})();
