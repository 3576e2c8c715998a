// Member portal behaviour (no inline scripts): progress bars, the resend countdown, share /
// copy of the referral link, and a form that is submitted once.
(function () {
  "use strict";

  function persianDigits(text) {
    if (document.documentElement.lang !== "fa") return String(text);
    return String(text).replace(/[0-9]/g, function (d) { return "۰۱۲۳۴۵۶۷۸۹"[d]; });
  }

  // "You can ask for a new code in N seconds": count down, then show the resend button.
  function resendCountdown() {
    var note = document.getElementById("resend-wait");
    var button = document.querySelector("[data-resend]");
    if (!note || !button) return;
    var left = parseInt(note.getAttribute("data-wait"), 10) || 0;
    if (left <= 0) return;
    var template = note.textContent;
    var shown = persianDigits(left);
    button.hidden = true;
    var timer = window.setInterval(function () {
      left -= 1;
      if (left <= 0) {
        window.clearInterval(timer);
        note.hidden = true;
        button.hidden = false;
        return;
      }
      var next = persianDigits(left);
      note.textContent = template.replace(shown, next);
    }, 1000);
  }

  function say(status, text) {
    if (status) status.textContent = text;
  }

  function copyText(text, status) {
    var done = document.querySelector("[data-copied-text]");
    var message = done ? done.textContent : "";
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(text).then(function () { say(status, message); }, function () {
        fallbackCopy(text, status, message);
      });
    } else {
      fallbackCopy(text, status, message);
    }
  }

  function fallbackCopy(text, status, message) {
    var input = document.getElementById("referral-link");
    if (!input) return;
    input.focus();
    input.select();
    try {
      if (document.execCommand("copy")) say(status, message);
    } catch (e) { /* the link stays selected for the person to copy */ }
  }

  function shareButtons() {
    var status = document.querySelector("[data-share-status]");
    document.querySelectorAll("[data-share]").forEach(function (button) {
      button.addEventListener("click", function () {
        var url = button.getAttribute("data-share-url");
        var data = { title: button.getAttribute("data-share-title"), text: button.getAttribute("data-share-text"), url: url };
        if (navigator.share) {
          navigator.share(data).catch(function () { /* cancelled by the person */ });
        } else {
          copyText(url, status);
        }
      });
    });
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var input = document.querySelector(button.getAttribute("data-copy"));
        if (input) copyText(input.value, status);
      });
    });
  }

  // A confirmation form sends once: a second click while the first is on its way does nothing
  // (the server refuses a second redemption of the same token anyway).
  function submitOnce() {
    document.querySelectorAll("form[data-once]").forEach(function (form) {
      form.addEventListener("submit", function (event) {
        if (form.getAttribute("data-sent")) {
          event.preventDefault();
          return;
        }
        form.setAttribute("data-sent", "1");
      });
    });
  }

  // Progress bars: their width comes from data-percent (an inline style would need the
  // Content-Security-Policy to allow inline styles).
  function progressBars() {
    document.querySelectorAll(".progress [data-percent]").forEach(function (bar) {
      var percent = Math.max(0, Math.min(100, parseFloat(bar.getAttribute("data-percent")) || 0));
      bar.style.inlineSize = percent + "%";
    });
  }

  function start() {
    progressBars();
    resendCountdown();
    shareButtons();
    submitOnce();
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
