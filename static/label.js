// The label page prints itself once it has loaded, and closes again after
// printing when the kiosk opened it; Print again and the PDF link stay for
// a browser that could not print at once (Android opens the PDF instead).
(function () {
  'use strict';
  var again = document.querySelector('[data-print]');
  if (again) again.addEventListener('click', function () { window.print(); });
  window.addEventListener('afterprint', function () {
    if (window.opener) window.close();
  });
  window.addEventListener('load', function () {
    document.documentElement.setAttribute('data-ready', '1');
    window.print();
  });
})();
