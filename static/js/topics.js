/* Topic type-ahead for a comma-separated topics field (input[data-topic-lookup]).
 *
 * The field stays a plain text input that works without this file. With it, the input's
 * <datalist> is filled from the JSON lookup (/curate/lookup/topics/?q=) with the names that
 * match the part after the last comma, each written as the whole new value ("Science, Spa"
 * offers "Science, Space"), so the browser's own suggestion list, keyboard and mouse
 * included, picks a topic. Names are set as option values (never HTML).
 */
(function () {
  "use strict";

  function attach(input) {
    var list = document.getElementById(input.getAttribute("list"));
    if (!list || !list.dataset.lookupUrl) { return; }
    var timer = null;
    var asked = "";

    function refresh() {
      var value = input.value;
      var cut = value.lastIndexOf(",");
      var head = cut === -1 ? "" : value.slice(0, cut + 1).replace(/\s*$/, " ");
      var word = value.slice(cut + 1).trim();
      if (word === asked) { return; }
      asked = word;
      if (!word) { list.replaceChildren(); return; }
      var url = list.dataset.lookupUrl + "?q=" + encodeURIComponent(word);
      fetch(url, { headers: { "Accept": "application/json" }, credentials: "same-origin" })
        .then(function (response) { return response.ok ? response.json() : { results: [] }; })
        .then(function (data) {
          if (word !== asked) { return; } // a newer answer is on its way
          var chosen = value.slice(0, cut + 1).split(",").map(function (s) { return s.trim(); });
          list.replaceChildren.apply(list, data.results.filter(function (item) {
            return chosen.indexOf(item.name) === -1;
          }).map(function (item) {
            var option = document.createElement("option");
            option.value = head + item.name;
            return option;
          }));
        })
        .catch(function () { /* suggestions are a convenience: typing still works */ });
    }

    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(refresh, 120);
    });
  }

  document.querySelectorAll("input[data-topic-lookup]").forEach(attach);
})();
