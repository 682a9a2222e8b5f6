/* Curator workspace: decisions sent in place (after curator-core.js).
 *
 * An action form (form.inplace: a queue row's buttons, the article page's decisions) is sent
 * with fetch() and the server answers JSON; the buttons, state badges, versions and the
 * article page's history are replaced with what it sends back, and a refusal or conflict is
 * a message. If fetch itself fails, the form is submitted the ordinary way.
 */
(function () {
  "use strict";

  var C = window.Curator;

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
    var scope = C.isArticle ? document : document.querySelector('tr[data-article-id="' + data.id + '"]');
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
          C.flash(data.message, "success");
          return data;
        }
        throw { shown: true, text: data.error || "That did not work.", status: response.status };
      });
    }).catch(function (error) {
      buttons.forEach(function (b) { b.disabled = false; });
      if (hadFocus && submitter) { submitter.focus({ preventScroll: true }); } // back where it was
      if (error && error.shown) {
        C.flash(error.text, "error"); // the server's message already says what to do (e.g. reload)
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
      if (row && row === C.currentRow()) { C.move(1); }
    }, function () {});
  });

  // An item decided in place leaves a queue filtered by state: the count says so at once
  // (the server recounts a few seconds later). A filtered queue's count arrives after the
  // page (curator-filters.js): while it is on its way there is nothing to lower, and the
  // decision that came first threw here, so triage did not move on to the next row.
  function countLeft() {
    var counter = document.getElementById("match-count");
    var state = new URLSearchParams(window.location.search).get("state") || "new";
    var shown = parseInt(counter ? counter.dataset.count : "", 10);
    if (!counter || counter.dataset.more || state === "all" || isNaN(shown) || !counter.querySelector(".count")) { return; }
    var left = Math.max(0, shown - 1);
    counter.dataset.count = String(left);
    counter.querySelector(".count").textContent = left.toLocaleString("en-US");
    counter.querySelector(".noun").textContent = left === 1 ? "item matches" : "items match";
  }
})();
