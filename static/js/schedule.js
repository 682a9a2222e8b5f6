/* The schedule's forms: the editor's time zone and a UTC preview.
 *
 * Progressive enhancement only; the server parses and checks every time itself. With this file:
 * - a time zone select the editor has not chosen yet starts at the browser's own zone;
 * - under each form, the time typed is shown in UTC as it is typed (or why it names no single
 *   moment: a daylight-saving gap or overlap);
 * - choosing "Schedule" in the queue's bulk bar opens its options.
 */
(function () {
  "use strict";

  var browserZone = "";
  try { browserZone = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { browserZone = ""; }

  document.querySelectorAll('[data-zone-chosen="0"] select[name="time_zone"]').forEach(function (select) {
    if (browserZone && select.querySelector('option[value="' + browserZone.replace(/"/g, "") + '"]')) {
      select.value = browserZone;
    }
  });

  // --- wall-clock time in a zone -> UTC ------------------------------------------------------
  var formatters = {};
  function wallClock(ms, zone) {
    // The zone's wall-clock time at instant `ms`, as milliseconds of a UTC date with those fields.
    if (!formatters[zone]) {
      formatters[zone] = new Intl.DateTimeFormat("en-US", {
        timeZone: zone, hourCycle: "h23", year: "numeric", month: "2-digit", day: "2-digit",
        hour: "2-digit", minute: "2-digit", second: "2-digit"
      });
    }
    var fields = {};
    formatters[zone].formatToParts(new Date(ms)).forEach(function (part) { fields[part.type] = part.value; });
    return Date.UTC(+fields.year, +fields.month - 1, +fields.day, +fields.hour, +fields.minute, +fields.second);
  }

  function instants(wall, zone) {
    // Every instant whose wall-clock time in `zone` is `wall`: none (a gap), one, or two (an overlap).
    var day = 86400000, found = [];
    [wall - day, wall + day].forEach(function (probe) {
      var offset = wallClock(probe, zone) - probe;
      var candidate = wall - offset;
      if (wallClock(candidate, zone) === wall && found.indexOf(candidate) === -1) { found.push(candidate); }
    });
    return found.sort(function (a, b) { return a - b; });
  }

  function parseWall(text) {
    var match = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?/.exec(text || "");
    if (!match) { return null; }
    return Date.UTC(+match[1], +match[2] - 1, +match[3], +match[4], +match[5], +(match[6] || 0));
  }

  function utcText(ms) { return new Date(ms).toISOString().replace("T", " ").slice(0, 19) + " UTC"; }

  function preview(container) {
    var output = container.querySelector(".utc-preview");
    var zoneSelect = container.querySelector('select[name="time_zone"]');
    if (!output || !zoneSelect) { return; }
    var zone = zoneSelect.value || "UTC";
    var lines = [];
    container.querySelectorAll('input[type="datetime-local"]').forEach(function (input) {
      var wall = parseWall(input.value);
      if (wall === null) { return; }
      var label = container.querySelector('label[for="' + input.id + '"]');
      var name = label ? label.textContent : input.name;
      var found;
      try { found = instants(wall, zone); } catch (e) { return; }
      if (found.length === 1) { lines.push(name + ": " + utcText(found[0])); }
      else if (found.length === 0) { lines.push(name + ": this time does not exist in " + zone + " (the clocks jump over it)."); }
      else { lines.push(name + ": this time happens twice in " + zone + " (" + utcText(found[0]) + " or " + utcText(found[1]) + "); choose UTC and enter the one you mean."); }
    });
    output.textContent = lines.join(" · "); // never innerHTML
  }

  document.querySelectorAll(".schedule-form, .embargo-form, .bulk-schedule").forEach(function (container) {
    container.addEventListener("input", function () { preview(container); });
    container.addEventListener("change", function () { preview(container); });
    preview(container);
  });

  var bulkAction = document.getElementById("bulk-action");
  var bulkOptions = document.querySelector(".bulk-schedule");
  if (bulkAction && bulkOptions) {
    bulkAction.addEventListener("change", function () {
      if (bulkAction.value === "schedule") { bulkOptions.open = true; }
    });
  }
})();
