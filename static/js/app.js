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

// The Add to cart button is updated in place, never replaced. Pressing it moves focus out of
// the quantity field, which asks for the updated configurator; if that answer arrived between
// press and release and replaced the button, the browser would fire no click and the shopper's
// add would be lost. So the answer's button only lends its state and label to the one on the
// page. (Without JavaScript there is no swap, and the plain form posts.)
document.addEventListener("htmx:oobBeforeSwap", (event) => {
  const current = event.detail.target;
  if (!current || current.id !== "add-to-cart") {
    return;
  }
  const fresh = event.detail.fragment.querySelector("#add-to-cart");
  if (!fresh) {
    return;
  }
  current.disabled = fresh.disabled;
  if (fresh.hasAttribute("aria-disabled")) {
    current.setAttribute("aria-disabled", fresh.getAttribute("aria-disabled"));
  } else {
    current.removeAttribute("aria-disabled");
  }
  if (current.textContent !== fresh.textContent) {
    current.textContent = fresh.textContent;
  }
  event.detail.shouldSwap = false;
});

// The stock import's progress bar: how much of the file has been sent (the check follows).
document.addEventListener("htmx:xhr:progress", (event) => {
  const bar = document.querySelector("#import-progress progress");
  if (bar && event.detail.lengthComputable && event.detail.total > 0) {
    const percent = Math.round((event.detail.loaded / event.detail.total) * 100);
    bar.value = percent;
    bar.textContent = `${percent}%`;
  }
});
