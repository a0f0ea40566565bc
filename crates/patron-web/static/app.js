// Small progressive enhancements; every form also works without this script.
(function () {
  'use strict';
  // Date and time inputs are in the browser's time zone: tell the server the offset.
  var offset = String(-new Date().getTimezoneOffset());
  document.querySelectorAll('[data-tz-offset]').forEach(function (input) {
    if (!input.value || input.value === '0') input.value = offset;
  });
})();
