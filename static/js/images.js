// What a page does with an image that does not load, shared by the public pages and the
// curator's article page; without this script the pages work the same.
//
// Images are the sources' own, hot-linked from their servers. One that no longer answers (moved,
// deleted, a host gone) left readers an empty grey box beside a story, or a broken-image icon
// above it, and editors a broken icon with nothing to act on. The element framing an image says
// what to do instead:
//   data-if-broken="drop"  take the frame out of the page, and the text takes its place (readers);
//   data-if-broken="note"  say so in its place, with the image's address (editors: a source to
//                          fix or an image to leave out).
(function () {
  "use strict";

  function note(frame, image) {
    var address = image.currentSrc || image.src;
    var said = document.createElement("p");
    said.className = "image-failed";
    said.append("Image could not be loaded: ");
    var link = document.createElement("a");
    link.href = address;
    link.rel = "noopener noreferrer";
    link.target = "_blank";
    link.textContent = address;
    said.append(link);
    // In place of the image and its link: the caption below it stays.
    var shown = image.closest("a") || image;
    (frame.contains(shown) ? shown : image).replaceWith(said);
  }

  function failed(image) {
    var frame = image.closest("[data-if-broken]");
    if (frame.dataset.ifBroken === "note") {
      note(frame, image);
    } else {
      frame.remove();
    }
  }

  document.querySelectorAll("[data-if-broken] img").forEach(function (image) {
    // An image that failed before this script ran (it is deferred) fires no more events.
    if (image.complete && image.naturalWidth === 0 && image.currentSrc) {
      failed(image);
      return;
    }
    image.addEventListener("error", function () { failed(image); }, { once: true });
  });
})();
