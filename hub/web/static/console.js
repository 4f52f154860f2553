// Small conveniences only: every page reads and works without this script.
document.addEventListener("DOMContentLoaded", function () {
  // After an action, the page's notice takes the focus so that screen readers say it.
  var notice = document.querySelector("[data-focus]");
  if (notice) { notice.focus(); }
  document.querySelectorAll(".print-button").forEach(function (button) {
    button.hidden = false;
    button.addEventListener("click", function () { window.print(); });
  });
});
