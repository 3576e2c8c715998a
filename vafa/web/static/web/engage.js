/* Back-office engagement forms, progressively enhanced (each works without this script):
   - a part of an automation's trigger shows only for the triggers it belongs to (data-triggers);
   - the e-mail subject shows only when the channel is e-mail (data-channel-only);
   - a placeholder's button writes it into the text at the cursor, and the live counter follows. */
(function () {
  "use strict";

  function chosenChannel(form) {
    var checked = form.querySelector('input[name="channel"]:checked');
    return checked ? checked.value : null;
  }

  function refresh(form) {
    var trigger = form.querySelector('select[name="trigger_type"]');
    if (trigger) {
      form.querySelectorAll("[data-triggers]").forEach(function (part) {
        part.hidden = part.getAttribute("data-triggers").split(" ").indexOf(trigger.value) === -1;
      });
    }
    var channel = chosenChannel(form);
    if (channel) {
      form.querySelectorAll("[data-channel-only]").forEach(function (part) {
        part.hidden = part.getAttribute("data-channel-only") !== channel;
      });
    }
  }

  function insert(button) {
    var form = button.closest("form");
    var text = form && form.querySelector('textarea[name="text"]');
    if (!text) { return; }
    var word = button.getAttribute("data-insert");
    var start = text.selectionStart == null ? text.value.length : text.selectionStart;
    var end = text.selectionEnd == null ? start : text.selectionEnd;
    text.value = text.value.slice(0, start) + word + text.value.slice(end);
    text.focus();
    text.setSelectionRange(start + word.length, start + word.length);
    text.dispatchEvent(new Event("input", { bubbles: true }));
  }

  function start() {
    document.querySelectorAll("form").forEach(function (form) {
      if (form.querySelector("[data-triggers], [data-channel-only]")) {
        refresh(form);
        form.addEventListener("change", function () { refresh(form); });
      }
    });
    document.addEventListener("click", function (event) {
      var button = event.target instanceof Element ? event.target.closest("[data-insert]") : null;
      if (button) {
        event.preventDefault();
        insert(button);
      }
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
