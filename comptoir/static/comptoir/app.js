// Small keyboard and error helpers for the agent interface; everything works without them.
(function () {
  "use strict";

  // Ctrl+Enter (Cmd+Enter on a Mac) sends the form being typed in, as in most mail clients.
  document.addEventListener("keydown", function (event) {
    if (event.key !== "Enter" || !(event.ctrlKey || event.metaKey)) return;
    var field = event.target;
    if (field && field.tagName === "TEXTAREA" && field.form) {
      event.preventDefault();
      field.form.requestSubmit();
    }
  });

  // A boosted request that fails (expired session, server error) must not fail silently:
  // the typed text stays in place, and the agent is told to try again.
  document.addEventListener("htmx:responseError", function () {
    var text = document.body.getAttribute("data-request-failed");
    var list = document.querySelector(".messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      list.setAttribute("role", "status");
      document.querySelector("main").before(list);
    }
    var item = document.createElement("li");
    item.className = "message error";
    item.textContent = text;
    list.appendChild(item);
  });
})();
