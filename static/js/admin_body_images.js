// The post body's "Insert library image" button (apps/blog/admin.py BodyTextarea).
// Django's lookup popup (RelatedObjectLookups.js) opens the image library and,
// when a row is chosen, writes its id into the hidden input and triggers a
// jQuery "change"; the reference then goes into the body at the cursor, on a
// paragraph of its own so that it renders as a <figure>.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-body-image-target]").forEach(function (choice) {
    const body = document.getElementById(choice.dataset.bodyImageTarget);
    window.django.jQuery(choice).on("change", function () {
      if (!/^\d+$/.test(choice.value)) {
        return;
      }
      const start = body.selectionStart;
      const end = body.selectionEnd;
      const before = body.value.slice(0, start);
      const after = body.value.slice(end);
      const opening = before === "" || before.endsWith("\n\n") ? "" : before.endsWith("\n") ? "\n" : "\n\n";
      const closing = after === "" || after.startsWith("\n\n") ? "" : after.startsWith("\n") ? "\n" : "\n\n";
      body.setRangeText(opening + "![](image:" + choice.value + ")" + closing, start, end, "end");
      choice.value = "";
      body.focus();
      body.dispatchEvent(new Event("input", { bubbles: true }));
    });
  });
});
