/* Back-office member, audit and staff pages: ask before a destructive form is sent.
   Forms with data-confirm always ask; the points form asks only when points are deducted.
   Without JavaScript the forms still work (block and reject sit behind a disclosure). */
(function () {
  "use strict";
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement)) { return; }
    var message = form.getAttribute("data-confirm");
    var deduct = form.getAttribute("data-confirm-deduct");
    if (!message && deduct) {
      var chosen = form.querySelector('input[name="direction"]:checked');
      if (chosen && chosen.value === "deduct") { message = deduct; }
    }
    if (message && !window.confirm(message)) {
      event.preventDefault();
      event.stopImmediatePropagation();
    }
  }, true);
})();
