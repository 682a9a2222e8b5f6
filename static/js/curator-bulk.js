/* The queue's bulk bar (after curator-core.js): a decision over every match runs chunk after
 * chunk with a progress bar (fetch, JSON) and a refusal takes the editor to the bar's field it
 * is about, in place; "Select all" ticks every row. Without this file the bar is a plain form
 * (a Continue button per chunk) and the select-all box stays hidden.
 */
(function () {
  "use strict";

  var C = window.Curator;

  // --- bulk over every match: chunk after chunk, with progress ----------------------------
  var bulkForm = document.getElementById("bulk-form");

  // A refusal about one of the bar's fields ({name: [message]}): as the page shows one after
  // a page load (article_filter.html), that field is focused, marked invalid and described
  // by the message above the bar.
  function showRefusal(errors) {
    var note = document.getElementById("bulk-refusal");
    var name = Object.keys(errors)[0];
    var field = name && bulkForm.querySelector('[name="' + name.replace(/[^\w-]/g, "") + '"]:not([type="hidden"])');
    if (!note || !field) { return null; }
    note.textContent = [].concat(errors[name]).join(" "); // text, never HTML
    note.hidden = false;
    field.setAttribute("aria-invalid", "true");
    field.setAttribute("aria-describedby", "bulk-refusal");
    var options = field.closest("details");
    if (options) { options.open = true; }
    field.focus();
    return field;
  }

  function clearRefusal() {
    var note = document.getElementById("bulk-refusal");
    if (note) { note.hidden = true; note.textContent = ""; }
    bulkForm.querySelectorAll('[aria-invalid="true"]').forEach(function (field) {
      field.removeAttribute("aria-invalid");
      field.removeAttribute("aria-describedby");
    });
  }
  if (bulkForm && window.fetch) {
    bulkForm.addEventListener("submit", function (event) {
      var scope = bulkForm.querySelector('input[name="scope"]:checked');
      var action = bulkForm.querySelector('select[name="action"]');
      if (!scope || scope.value !== "matching" || /schedule/.test(action.value)) { return; }
      event.preventDefault();
      var progress = bulkForm.querySelector("progress.bulk-progress");
      var button = bulkForm.querySelector('button[type="submit"]');
      var token = bulkForm.querySelector('input[name="csrfmiddlewaretoken"]').value;
      button.disabled = true;
      progress.hidden = false;

      function step(url, body) {
        return fetch(url, {
          method: "POST", body: body, credentials: "same-origin", headers: { "Accept": "application/json" }
        }).then(function (response) {
          return response.json().then(function (data) {
            if (!response.ok || !data.ok) { throw { shown: true, text: data.error || "That did not work.", errors: data.errors }; }
            progress.max = data.total;
            progress.value = data.done;
            progress.textContent = data.done + " of " + data.total;
            if (data.finished) { window.location.reload(); return null; } // the queue shows the result, with Undo
            var next = new FormData();
            next.append("csrfmiddlewaretoken", token);
            return step(data.continue_url, next);
          });
        });
      }
      // getAttribute: the form has a field named "action", which bulkForm.action would return.
      clearRefusal();
      step(bulkForm.getAttribute("action"), new FormData(bulkForm)).catch(function (error) {
        button.disabled = false;
        progress.hidden = true;
        var field = error && error.errors ? showRefusal(error.errors) : null;
        C.flash(error && error.shown ? error.text : "The bulk action stopped: reload the queue to see where it got to.", "error", field);
      });
    });
  }

  // "Select all" checkbox: only useful with JavaScript, so it is hidden without it.
  var all = document.querySelector("input.select-all");
  if (all) {
    all.hidden = false;
    all.addEventListener("change", function () {
      document.querySelectorAll('input[type="checkbox"][name="ids"]').forEach(function (box) {
        box.checked = all.checked;
      });
    });
  }
})();
