/* Curator workspace: keyboard shortcuts and the queue's current row (after curator-core.js).
 *
 * j/k move through the queue's rows (and on to the next or previous page), o opens, x ticks,
 * e edits, p/u decide, r opens the reason menu (a digit picks); on the article page j/k go to
 * the next or previous item. ? lists them all. A click on a row makes it the current one.
 */
(function () {
  "use strict";

  var C = window.Curator;

  // --- keyboard -------------------------------------------------------------------------
  var dialog = document.getElementById("shortcuts");

  function toggleHelp() {
    if (!dialog) { return; }
    if (dialog.open) { dialog.close(); }
    else if (dialog.showModal) { dialog.showModal(); }
    else { dialog.setAttribute("open", ""); }
  }

  function rows() { return Array.prototype.slice.call(document.querySelectorAll("tr.queue-row")); }
  function currentRow() { return document.querySelector("tr.queue-row.current"); }

  function select(row) {
    rows().forEach(function (r) { r.classList.remove("current"); r.removeAttribute("aria-current"); });
    if (!row) { return; }
    row.classList.add("current");
    row.setAttribute("aria-current", "true");
    var link = row.querySelector("a.row-link");
    if (link) { link.focus({ preventScroll: true }); }
    row.scrollIntoView({ block: "nearest" });
  }

  function move(step) {
    var all = rows();
    if (!all.length) { return; }
    var index = all.indexOf(currentRow());
    var next = index === -1 ? (step > 0 ? 0 : all.length - 1) : index + step;
    if (next >= all.length) {
      var more = document.querySelector(".pagination a.next");
      if (more) { carryOn("first"); window.location.href = more.href; }
      return;
    }
    if (next < 0) {
      var back = document.querySelector(".pagination a.previous");
      if (back) { carryOn("last"); window.location.href = back.href; }
      return;
    }
    select(all[next]);
  }

  // Moving past the page's last row (or before its first) opens the next page with its first
  // (or last) row selected, so that triage goes on with the same keys.
  var CARRY_KEY = "curation:queue:select";
  function carryOn(which) {
    try { window.sessionStorage.setItem(CARRY_KEY, which); } catch (e) { /* storage off: start unselected */ }
  }
  // A story's row publishes with a page load (it changes several items, so the queue is
  // drawn again): the row now at its place is selected afterwards, and the editor goes on
  // from there instead of from the top of the page.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("story-publish")) { return; }
    var index = rows().indexOf(form.closest("tr.queue-row"));
    if (index !== -1) { carryOn("row:" + index); }
  });
  // A page reached at a control's fragment (a toggle's page load, views.common.back_at_control)
  // gives that control the focus: the browser only scrolls to it and moves Tab's start.
  var target = window.location.hash.length > 1 && document.getElementById(window.location.hash.slice(1));
  if (target && target.matches("button, input, select, textarea")) { target.focus(); }
  if (C.isQueue) {
    var carried = null;
    try { carried = window.sessionStorage.getItem(CARRY_KEY); window.sessionStorage.removeItem(CARRY_KEY); } catch (e) { carried = null; }
    var pageRows = rows();
    var place = /^row:(\d+)$/.exec(carried || "");
    // A refused bulk decision's field has the focus (autofocus): a carried row must not take it.
    if (document.querySelector("#bulk-form [autofocus]")) { carried = null; place = null; }
    if (place && pageRows.length) {
      var placed = pageRows[Math.min(parseInt(place[1], 10), pageRows.length - 1)];
      select(placed);
      // The server's redirect may carry a row's fragment too (for a plain post: views/landing.py);
      // the browser's move to it at load takes the focus off the link: give it back.
      window.addEventListener("load", function () {
        if (!placed.contains(document.activeElement)) { select(placed); }
      }, { once: true });
    }
    else if (carried && pageRows.length) { select(carried === "last" ? pageRows[pageRows.length - 1] : pageRows[0]); }
    else if (target && target.matches("tr.queue-row")) {
      // A page reached at a row (Undo: views/landing.at_put_back_row): that row is the
      // current one, and j, k and the decision keys go on from it, not from the top.
      select(target);
      window.addEventListener("load", function () {
        if (!target.contains(document.activeElement)) { select(target); }
      }, { once: true });
    }
  }

  function submitAction(scope, action) {
    if (!scope) { return false; }
    // Queue rows hold buttons of the shared row form; the article page holds whole forms.
    var control = scope.querySelector('[data-action="' + action + '"]');
    if (!control) { return false; }
    if (control.tagName === "BUTTON") { control.click(); return true; }
    if (control.requestSubmit) { control.requestSubmit(); } else { control.submit(); }
    return true;
  }

  function follow(selector) {
    var link = document.querySelector(selector);
    if (link) { window.location.href = link.href; }
  }

  var ACTIONS = { p: "publish", r: "reject", u: "unpublish" };
  var KEY_LABELS = { p: "Publish", r: "Reject", u: "Unpublish" };

  // A decision key the item does not offer (p on an item that needs its metadata, r on a
  // story's row, u on a new item) did nothing at all: the editor could not tell a key not
  // heard from a decision not offered. It says so, with the note that says why, if the item
  // has one, and what the item offers instead (its own buttons: the service's offers).
  function sayNotOffered(scope, key, title) {
    if (!scope) { return; }
    var words = function (node) {
      var copy = node.cloneNode(true);
      copy.querySelectorAll(".visually-hidden").forEach(function (hidden) { hidden.remove(); });
      return copy.textContent.replace(/\s+/g, " ").trim();
    };
    var offered = [];
    scope.querySelectorAll("button.btn, summary.btn").forEach(function (control) {
      var text = words(control);
      if (text && offered.indexOf(text) === -1) { offered.push(text); }
    });
    var notes = [];
    scope.querySelectorAll(":scope > .hint, :scope > .article-actions > .hint").forEach(function (note) { if (words(note)) { notes.push(words(note)); } });
    if (!offered.length && !notes.length) { return; }  // a reader's page: nothing is offered anywhere
    var text = KEY_LABELS[key] + " (" + key + ") is not offered for " + (title ? "“" + title + "”" : "this item") + ".";
    if (notes.length) { text += " " + notes.join(" ").replace(/([^.])$/, "$1."); }
    if (offered.length) { text += " It offers: " + offered.join("; ") + "."; }
    C.flash(text, "info");
  }

  // A queue row's Reject is a menu of reasons: r opens it, a digit picks the reason at
  // that place (0: none given), Escape closes it.
  function openRejectMenu(row) {
    var menu = row.querySelector("details.reject-menu");
    if (!menu) { return false; }
    document.querySelectorAll("details.reject-menu[open]").forEach(function (other) { other.open = false; });
    menu.open = true;
    var first = menu.querySelector(".menu-item");
    if (first) { first.focus({ preventScroll: true }); }
    return true;
  }

  function openMenu() { return document.querySelector("details.reject-menu[open]"); }

  function closeMenu(menu) {
    menu.open = false;
    var row = menu.closest("tr.queue-row");
    var link = row && row.querySelector("a.row-link");
    if (link) { link.focus({ preventScroll: true }); }
  }

  document.addEventListener("keydown", function (event) {
    if (event.ctrlKey || event.metaKey || event.altKey) { return; }
    var target = event.target;
    if (target && (target.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(target.tagName))) { return; }
    var key = event.key;
    var menu = openMenu();
    if (menu) {
      if (/^[0-9]$/.test(key)) {
        var choice = menu.querySelector('[data-digit="' + key + '"]');
        if (choice) { event.preventDefault(); choice.click(); }
        return;
      }
      if (key === "Escape") { event.preventDefault(); closeMenu(menu); return; }
    }
    if (key === "?") { event.preventDefault(); toggleHelp(); return; }
    if (dialog && dialog.open) { return; }

    if (C.isQueue) {
      var row = currentRow();
      if (key === "j") { event.preventDefault(); move(1); }
      else if (key === "k") { event.preventDefault(); move(-1); }
      else if ((key === "Enter" || key === "o") && row) {
        if (key === "o") { event.preventDefault(); window.location.href = row.dataset.url; }
      }
      else if (key === "x" && row) {
        var box = row.querySelector('input[type="checkbox"][name="ids"]');
        if (box) { event.preventDefault(); box.checked = !box.checked; }
      }
      else if (key === "e" && row && row.dataset.editUrl) { event.preventDefault(); window.location.href = row.dataset.editUrl; }
      else if (key === "r" && row && row.querySelector("details.reject-menu")) {
        if (openRejectMenu(row)) { event.preventDefault(); }
      }
      else if (ACTIONS[key] && row) {
        if (submitAction(row, ACTIONS[key])) { event.preventDefault(); }
        else {
          var link = row.querySelector("a.row-link");
          sayNotOffered(row.querySelector("td.actions-col"), key, link && link.textContent.trim());
        }
      }
    } else if (C.isArticle) {
      if (key === "j") { event.preventDefault(); follow("#next-item"); }
      else if (key === "k") { event.preventDefault(); follow("#previous-item"); }
      else if (key === "e") { event.preventDefault(); follow("#edit-link"); }
      else if (ACTIONS[key]) {
        var bar = document.querySelector(".actions-bar");
        if (submitAction(bar, ACTIONS[key])) { event.preventDefault(); }
        else { sayNotOffered(bar, key, null); }
      }
    }
  });

  document.querySelectorAll("tr.queue-row").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select, label, form")) { return; }
      select(row);
    });
  });

  C.currentRow = currentRow;
  C.move = move;
})();
