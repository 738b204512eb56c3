// Progressive enhancement only: with JavaScript the "Update preview" buttons are not needed,
// because htmx updates the preview on every change.
document.documentElement.classList.add("js");
