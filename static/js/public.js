// The public pages' one script, an enhancement: without it the pages work the same.
//
// Images are the sources' own, hot-linked from their servers. One that no longer answers (moved,
// deleted, a host gone) left readers an empty grey box beside a story, or a broken-image icon
// above it: take it out of the page with its frame, and the text takes its place.
(function () {
  "use strict";

  function drop(image) {
    (image.closest(".story-image, .lead-image") || image).remove();
  }

  document.querySelectorAll(".story-image img, .lead-image img").forEach(function (image) {
    // An image that failed before this script ran (it is deferred) fires no more events.
    if (image.complete && image.naturalWidth === 0 && image.currentSrc) {
      drop(image);
      return;
    }
    image.addEventListener("error", function () { drop(image); }, { once: true });
  });
})();
