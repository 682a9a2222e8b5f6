/* The queue's filters (after curator-core.js): provider and topic suggestions as the editor
 * types, the count of a filtered queue asked for after the page, and filters that apply as
 * they change. Without this file the form has its Apply button and "How many match?".
 */
(function () {
  "use strict";

  // --- type-ahead: provider and topic names from a small JSON endpoint ------------------
  document.querySelectorAll("input[data-lookup]").forEach(function (input) {
    var list = document.getElementById(input.getAttribute("list"));
    var timer = null;
    var asked = "";
    if (!list || !window.fetch) { return; }
    input.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(function () {
        var text = input.value.trim();
        if (!text || text === asked) { return; }
        asked = text;
        fetch(input.dataset.lookup + "?q=" + encodeURIComponent(text), {
          headers: { "Accept": "application/json" }, credentials: "same-origin"
        }).then(function (response) { return response.ok ? response.json() : { results: [] }; })
          .then(function (data) {
            if (asked !== text) { return; } // a later keystroke asked again
            list.replaceChildren.apply(list, data.results.map(function (result) {
              var option = document.createElement("option");
              option.value = result.label; // a property, never HTML: names are untrusted
              return option;
            }));
          }, function () {});
      }, 120);
    });
  });

  // --- the count of a filtered queue arrives after the page --------------------------------
  var pendingCount = document.querySelector("#match-count[data-count-url]");
  if (pendingCount && window.fetch) {
    pendingCount.textContent = "Counting…";
    fetch(pendingCount.dataset.countUrl, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
      .then(function (response) { return response.json(); })
      .then(function (data) {
        if (!data.ok) { throw new Error(data.error); }
        var strong = document.createElement("strong");
        strong.className = "count";
        strong.textContent = data.text;
        var noun = document.createElement("span");
        noun.className = "noun";
        noun.textContent = data.count === 1 && !data.more ? "item matches" : "items match";
        pendingCount.replaceChildren(strong, document.createTextNode(" "), noun);
        pendingCount.dataset.count = String(data.count);
        if (data.more) { pendingCount.dataset.more = "1"; }
        var scope = document.querySelector(".bulk-scope");
        if (scope && data.more) { scope.hidden = true; } // beyond what one run may change
        var all = document.querySelector(".bulk-scope .all-count");
        if (all) { all.textContent = data.text + " "; }
      })
      .catch(function () { pendingCount.textContent = ""; });
  }

  // --- filters apply as they change ----------------------------------------------------
  var filterForm = document.getElementById("filter-form");
  // Short, shareable URLs: fields left empty are not sent.
  if (filterForm) {
    filterForm.addEventListener("formdata", function (event) {
      var empty = [];
      event.formData.forEach(function (value, name) { if (value === "") { empty.push(name); } });
      empty.forEach(function (name) { event.formData.delete(name); });
    });
  }

  function applyFilters() {
    if (filterForm.requestSubmit) { filterForm.requestSubmit(); } else { filterForm.submit(); }
  }
  // A suggestion picked from a type-ahead's list (the value is exactly one of them).
  function pickedSuggestion(field) {
    var list = field.list;
    return !!(list && Array.prototype.some.call(list.options, function (option) { return option.value === field.value; }));
  }
  // Choices (selects, dates, radios) apply when they change. Typed text applies with Enter,
  // or when a type-ahead suggestion is picked: not when the focus merely leaves the field,
  // which would reload the page under an editor moving on to the next filter.
  document.addEventListener("change", function (event) {
    var field = event.target;
    if (!filterForm || field.form !== filterForm) { return; }
    if (/^(text|search|number)$/.test(field.type) && !(field.dataset.lookup && pickedSuggestion(field))) { return; }
    applyFilters();
  });
  document.addEventListener("input", function (event) {
    var field = event.target;
    if (filterForm && field.form === filterForm && field.dataset.lookup && event.inputType === "insertReplacementText" && pickedSuggestion(field)) {
      applyFilters();
    }
  });
})();
