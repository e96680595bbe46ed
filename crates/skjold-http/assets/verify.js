// The e-mail's link carries its code after '#token=', which browsers never send to a
// server: put it into the form, and take it out of the address bar and history.
// Without JavaScript the visitor pastes it instead.
"use strict";
(function () {
  var found = /(?:^|&)token=([^&]+)/.exec(window.location.hash.slice(1));
  var field = document.getElementById("token");
  if (found && field) {
    field.value = decodeURIComponent(found[1]);
    window.history.replaceState(null, "", window.location.pathname + window.location.search);
  }
})();
