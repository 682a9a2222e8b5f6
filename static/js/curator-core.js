/* Curator workspace, the part every curator page's scripts share (loaded first): the page's
 * kind and the messages. The others, each loaded after it with `defer` in this order:
 *   curator-actions.js  decisions sent in place (fetch, JSON) from a queue row or the article page;
 *   curator-keys.js     keyboard shortcuts and the queue's current row (j/k, p/r/u, ?);
 *   curator-bulk.js     the queue's bulk bar: a run over every match, "select all";
 *   curator-filters.js  the queue's filters: type-ahead, the count, filters applied as they change.
 * They talk through window.Curator (this file's flash, isQueue, isArticle; the keys' move and
 * currentRow), never through globals of their own.
 *
 * Progressive enhancement only: every action is a normal POST form that works without these
 * files. With them, action forms (form.inplace) are sent with fetch() and the server answers
 * JSON (Accept: application/json); the returned HTML replaces the buttons, and a conflict
 * (HTTP 409) or refusal is shown as a message. If fetch itself fails, the form is submitted
 * the ordinary way.
 */
(function () {
  "use strict";

  var body = document.body;
  var isQueue = body.classList.contains("queue-page");
  var isArticle = body.classList.contains("article-page");

  document.documentElement.classList.add("js");

  // --- messages -----------------------------------------------------------------------
  // One live region (#flash, in base.html). Confirmations clear themselves after a few
  // seconds; errors stay until dismissed; never more than MAX_MESSAGES at once.
  var MESSAGE_SECONDS = 6;
  var MAX_MESSAGES = 3;

  function dismissable(item) {
    if (item.dataset.managed) { return; }
    item.dataset.managed = "1";
    // Errors, warnings and a bulk result offering Undo stay until dismissed.
    if (/\b(error|warning)\b/.test(item.className) || item.querySelector("form.undo-form")) {
      var close = document.createElement("button");
      close.type = "button";
      close.className = "dismiss";
      close.setAttribute("aria-label", "Dismiss this message");
      close.textContent = "×";
      close.addEventListener("click", function () { removeMessage(item); });
      item.appendChild(close);
    } else {
      window.setTimeout(function () { removeMessage(item); }, MESSAGE_SECONDS * 1000);
    }
  }

  function removeMessage(item) {
    var list = item.parentNode;
    if (!list) { return; }
    list.removeChild(item);
    if (!list.children.length && list.parentNode) { list.parentNode.removeChild(list); }
  }

  // `field`: the control the message is about; the message is then a link to it, as the
  // page's own refusal message is (base.html).
  function flash(text, kind, field) {
    var region = document.getElementById("flash");
    if (!region) { return; }
    var list = region.querySelector("ul.messages");
    if (!list) {
      list = document.createElement("ul");
      list.className = "messages";
      region.appendChild(list);
    }
    var item = document.createElement("li");
    item.className = "message " + (kind || "success");
    var holder = item;
    if (field && field.id) {
      holder = document.createElement("a");
      holder.href = "#" + field.id;
      item.appendChild(holder);
    }
    holder.textContent = text; // never innerHTML: titles are untrusted
    list.appendChild(item);
    dismissable(item);
    while (list.children.length > MAX_MESSAGES) { list.removeChild(list.firstElementChild); }
  }
  document.querySelectorAll("#flash li.message").forEach(dismissable);

  window.Curator = {
    isQueue: isQueue,
    isArticle: isArticle,
    flash: flash,
    // Set by curator-keys.js: the queue's current row, and moving it (triage goes on after a decision).
    currentRow: function () { return null; },
    move: function () {}
  };
})();
