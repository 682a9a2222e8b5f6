/* Curator workspace: in-place actions and keyboard shortcuts.
 *
 * Progressive enhancement only: every action is a normal POST form that works without this
 * file. With it, action forms (form.inplace) are sent with fetch() and the server answers
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

  // --- in-place actions -----------------------------------------------------------------
  // The navigation's "Queue 33": an item decided in place left it at 33 beside "32 items
  // match" (a page load counts again). Only an exact count is moved ("10,000+" is left).
  function countNew(delta) {
    var badge = document.querySelector(".nav-count");
    var text = badge && badge.firstChild && badge.firstChild.nodeType === 3 ? badge.firstChild.nodeValue : "";
    var digits = text.trim().replace(/,/g, "");
    if (!delta || !/^\d+$/.test(digits)) { return; }
    badge.firstChild.nodeValue = Math.max(0, parseInt(digits, 10) + delta).toLocaleString("en-US");
  }

  function updateArticle(data, container, hadFocus) {
    var holder = document.createElement("div");
    holder.innerHTML = data.actions_html; // server-rendered, escaped template output
    var fresh = holder.firstElementChild;
    if (container && fresh) {
      // The pressed button goes with the old buttons: the focus would fall to the page's body
      // (a screen reader reads from the top; Tab starts over). It stays with the decisions.
      container.replaceWith(fresh);
      if (hadFocus) {
        fresh.setAttribute("tabindex", "-1");
        fresh.focus({ preventScroll: true });
      }
    }
    var before = document.querySelector('[data-state-for="' + data.id + '"]');
    var wasNew = before ? /\bstate-new\b/.test(before.className) : null;
    document.querySelectorAll('[data-state-for="' + data.id + '"]').forEach(function (badge) {
      badge.textContent = data.state_label;
      badge.className = "state-badge state-" + data.state;
    });
    if (wasNew !== null) { countNew((data.state === "new" ? 1 : 0) - (wasNew ? 1 : 0)); }
    document.querySelectorAll('[data-version-for="' + data.id + '"]').forEach(function (el) {
      el.textContent = data.version;
    });
    // Forms elsewhere on the page (edit, complete) now refer to the new version.
    var scope = isArticle ? document : document.querySelector('tr[data-article-id="' + data.id + '"]');
    if (scope) {
      scope.querySelectorAll('input[name="expected_version"]').forEach(function (input) {
        input.value = data.version;
      });
    }
    var history = document.querySelector("section.history");
    if (history && data.history_html) {
      var historyHolder = document.createElement("div");
      historyHolder.innerHTML = data.history_html; // server-rendered, escaped template output
      if (historyHolder.firstElementChild) { history.replaceWith(historyHolder.firstElementChild); }
    }
    document.querySelectorAll('[data-state-change-for="' + data.id + '"]').forEach(function (line) {
      var lineHolder = document.createElement("div");
      lineHolder.innerHTML = data.state_change_html || ""; // server-rendered, escaped template output
      if (lineHolder.firstElementChild) { line.replaceWith(lineHolder.firstElementChild); }
    });
    document.querySelectorAll('[data-rejection-for="' + data.id + '"]').forEach(function (notice) {
      var noticeHolder = document.createElement("div");
      noticeHolder.innerHTML = data.rejection_html || ""; // server-rendered, escaped template output
      if (noticeHolder.firstElementChild) { notice.replaceWith(noticeHolder.firstElementChild); }
    });
    var story = document.querySelector("section.same-story");
    if (story && data.story_html) {
      var storyHolder = document.createElement("div");
      storyHolder.innerHTML = data.story_html; // server-rendered, escaped template output
      if (storyHolder.firstElementChild) { story.replaceWith(storyHolder.firstElementChild); }
    }
    var row = document.querySelector('tr[data-article-id="' + data.id + '"]');
    if (row) {
      row.className = row.className.replace(/\bstate-\S+/, "state-" + data.state) + " acted";
    }
  }

  // Where a submission goes: the button's own formaction when it has one (the queue rows'
  // buttons share one form), else the form's action. (A button's formAction property is
  // never empty: without the attribute it is the page's own URL, which answers 405.)
  function actionUrl(form, submitter) {
    return submitter && submitter.hasAttribute("formaction") ? submitter.formAction : form.action;
  }

  function nativeSubmit(form, submitter) {
    // The ordinary form post, as without JavaScript (used when fetch itself fails).
    if (submitter && submitter.name) {
      var field = document.createElement("input");
      field.type = "hidden";
      field.name = submitter.name;
      field.value = submitter.value;
      form.appendChild(field);
    }
    form.action = actionUrl(form, submitter);
    HTMLFormElement.prototype.submit.call(form);
  }

  function formData(form, submitter) {
    var data;
    try { data = new FormData(form, submitter); }
    catch (e) {
      data = new FormData(form);
      if (submitter && submitter.name) { data.append(submitter.name, submitter.value); }
    }
    return data;
  }

  function sendInPlace(form, submitter) {
    var source = submitter || form;
    var container = source.closest(".article-actions");
    var url = actionUrl(form, submitter);
    var buttons = container ? container.querySelectorAll("button") : form.querySelectorAll("button");
    // Read the form before disabling its buttons: a disabled submitter is left out of the
    // data, and with it the version the row showed (so a stale row was never refused).
    var body = formData(form, submitter);
    // Asked before the buttons are disabled, which takes the focus away from the pressed one.
    var hadFocus = !!container && container.contains(document.activeElement);
    buttons.forEach(function (b) { b.disabled = true; });
    return fetch(url, {
      method: "POST",
      body: body,
      headers: { "Accept": "application/json" },
      credentials: "same-origin"
    }).then(function (response) {
      var type = response.headers.get("Content-Type") || "";
      if (type.indexOf("application/json") === -1) {
        if (response.status === 403) {
          // No permission, or an expired CSRF token after a long idle: either way a reload tells.
          throw { shown: true, text: "The server refused this (HTTP 403). Reload the page; if it happens again, your account may not be allowed to do it." };
        }
        throw new Error("unexpected response");
      }
      return response.json().then(function (data) {
        if (response.ok && data.ok) {
          updateArticle(data, container, hadFocus);
          flash(data.message, "success");
          return data;
        }
        throw { shown: true, text: data.error || "That did not work.", status: response.status };
      });
    }).catch(function (error) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (hadFocus && submitter) { submitter.focus({ preventScroll: true }); } // back where it was
      if (error && error.shown) {
        flash(error.text, "error"); // the server's message already says what to do (e.g. reload)
        throw error;
      }
      nativeSubmit(form, submitter); // network or server trouble: fall back to the ordinary post
      throw error;
    });
  }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.classList || !form.classList.contains("inplace") || !window.fetch) { return; }
    var submitter = event.submitter || null;
    // The rows' shared form has no action of its own: only its buttons say where to go.
    if (form.id === "row-action-form" && !(submitter && submitter.hasAttribute("formaction"))) {
      event.preventDefault();
      return;
    }
    event.preventDefault();
    var row = (submitter || form).closest("tr.queue-row"); // before the buttons are replaced
    var stateBefore = row && (row.className.match(/\bstate-(\S+)/) || [])[1];
    sendInPlace(form, submitter).then(function (data) {
      if (row && data && data.state !== stateBefore) { countLeft(); }
      // Triage flow: after acting on the selected row, move on to the next one.
      if (row && row === currentRow()) { move(1); }
    }, function () {});
  });

  // An item decided in place leaves a queue filtered by state: the count says so at once
  // (the server recounts a few seconds later).
  function countLeft() {
    var counter = document.getElementById("match-count");
    var state = new URLSearchParams(window.location.search).get("state") || "new";
    if (!counter || counter.dataset.more || state === "all") { return; }
    var left = Math.max(0, parseInt(counter.dataset.count, 10) - 1);
    counter.dataset.count = String(left);
    counter.querySelector(".count").textContent = left.toLocaleString("en-US");
    counter.querySelector(".noun").textContent = left === 1 ? "item matches" : "items match";
  }

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
        flash(error && error.shown ? error.text : "The bulk action stopped: reload the queue to see where it got to.", "error", field);
      });
    });
  }

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
  if (isQueue) {
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

    if (isQueue) {
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
      }
    } else if (isArticle) {
      if (key === "j") { event.preventDefault(); follow("#next-item"); }
      else if (key === "k") { event.preventDefault(); follow("#previous-item"); }
      else if (key === "e") { event.preventDefault(); follow("#edit-link"); }
      else if (ACTIONS[key]) {
        if (submitAction(document.querySelector(".actions-bar"), ACTIONS[key])) { event.preventDefault(); }
      }
    }
  });

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
  document.querySelectorAll("tr.queue-row").forEach(function (row) {
    row.addEventListener("click", function (event) {
      if (event.target.closest("a, button, input, select, label, form")) { return; }
      select(row);
    });
  });
})();
