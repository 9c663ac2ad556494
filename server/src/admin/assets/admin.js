// The hall office's only script: print buttons, and a confirmation before a
// change that cannot be taken back. Every page works without it. Written for
// the older Chromium of government offices (no modules, no optional chaining).
(function () {
  'use strict';
  document.addEventListener('click', function (e) {
    var el = e.target;
    if (el && el.hasAttribute && el.hasAttribute('data-print')) {
      window.print();
    }
  });
  document.addEventListener('submit', function (e) {
    var form = e.target;
    var question = form && form.getAttribute && form.getAttribute('data-confirm');
    if (question && !window.confirm(question)) {
      e.preventDefault();
    }
  });
})();
