// Progressive enhancement only: every form works without this file.
// With JavaScript the "Update preview" buttons are not needed, because htmx updates the
// preview on every change.
document.documentElement.classList.add("js");

// A button marked data-submit-once is disabled once its form is sent, so a double click sends
// one request (the server also places one order per checkout form, whatever arrives).
document.addEventListener("submit", (event) => {
  const button = event.submitter;
  if (button && button.hasAttribute("data-submit-once")) {
    window.setTimeout(() => { button.disabled = true; }, 0);
  }
});
