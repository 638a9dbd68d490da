// Vedetta UI helpers. Progressive enhancement only: every page works
// without JavaScript.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  // A select marked data-autosubmit submits its form when changed, and the
  // now redundant submit button is hidden.
  for (const sel of document.querySelectorAll("select[data-autosubmit]")) {
    const btn = sel.form && sel.form.querySelector("button[type=submit]");
    if (btn) btn.hidden = true;
    sel.addEventListener("change", () => sel.form.requestSubmit());
  }
});
