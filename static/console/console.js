// Castellan console: the copy button of a secret shown once. Every page works without this
// script; it only adds the button (hidden until the script runs) and copies the secret.
(function () {
  "use strict";

  function copyField(field) {
    if (navigator.clipboard && window.isSecureContext) {
      return navigator.clipboard.writeText(field.value);
    }
    field.focus();
    field.select();
    return new Promise(function (resolve, reject) {
      if (document.execCommand("copy")) {
        resolve();
      } else {
        reject(new Error("copy refused"));
      }
    });
  }

  function setUp() {
    var button = document.getElementById("copy-secret");
    var field = document.getElementById("new-secret");
    var status = document.getElementById("copy-status");
    if (!button || !field) {
      return;
    }
    button.hidden = false;
    field.addEventListener("focus", function () {
      field.select();
    });
    button.addEventListener("click", function () {
      copyField(field).then(
        function () {
          if (status) {
            status.textContent = "Copied to the clipboard.";
          }
          button.textContent = "Copied";
        },
        function () {
          field.focus();
          field.select();
          if (status) {
            status.textContent = "Copying failed: the secret is selected, press Ctrl+C (or Cmd+C).";
          }
        }
      );
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
