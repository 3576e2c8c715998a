/* The till's small helpers: "use max" fills in the points the preview allows, Enter in the
   coupon field validates it instead of recording the purchase, a member's coupon can be
   picked with one tap, the receipt's Print button prints, and a checkout submits once. */
(function () {
  "use strict";

  function setValue(input, value) {
    input.value = value;
    input.dispatchEvent(new Event("input", { bubbles: true }));
    input.dispatchEvent(new Event("change", { bubbles: true }));
  }

  function init() {
    var form = document.getElementById("checkout-form");
    var points = document.getElementById("id_redeem_points");
    var coupon = document.getElementById("id_coupon");
    var validate = document.querySelector("[data-testid='validate-coupon']");

    var max = document.querySelector("[data-pos-max]");
    if (max && points) {
      max.addEventListener("click", function () {
        var preview = document.querySelector("#pos-preview [data-max-redeem]");
        var most = preview ? preview.getAttribute("data-max-redeem") : max.getAttribute("data-available");
        setValue(points, most || "0");
        points.focus();
      });
    }

    if (coupon && validate) {
      coupon.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          coupon.dispatchEvent(new Event("change", { bubbles: true }));
          validate.click();
        }
      });
    }

    document.querySelectorAll("[data-pos-coupon]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () {
        if (!coupon) { return; }
        setValue(coupon, button.getAttribute("data-pos-coupon"));
        if (validate) { validate.click(); }
        coupon.focus();
      });
    });

    document.querySelectorAll("[data-pos-print]").forEach(function (button) {
      button.hidden = false;
      button.addEventListener("click", function () { window.print(); });
      button.focus();
    });

    if (form) {
      form.addEventListener("submit", function () {
        var submit = form.querySelector("[type='submit']");
        if (submit) {
          // After this tick, so the click that submitted still counts; a second click does not.
          window.setTimeout(function () { submit.disabled = true; submit.setAttribute("aria-busy", "true"); }, 0);
        }
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", init);
  } else {
    init();
  }
})();
