// The live floor: swap the fragments the server sends (server-sent events
// named by the fragment's element ID) and show whether the stream is up.
// Without this script, or when the server refuses a stream, the page is
// still the floor as of its load, and reloads itself once a minute.
(function () {
  'use strict';
  var root = document.querySelector('[data-live-src]');
  if (!root) return;
  var reload = function () { setTimeout(function () { location.reload(); }, 60000); };
  if (!window.EventSource) { reload(); return; }
  var es = new EventSource(root.getAttribute('data-live-src'));
  var swaps = 0;
  var swap = function (e) {
    var old = document.getElementById(e.type);
    if (!old) return;
    var box = document.createElement('div');
    box.innerHTML = e.data;
    var fresh = box.firstElementChild;
    if (!fresh || fresh.id !== e.type) return;
    old.replaceWith(fresh);
    root.setAttribute('data-swaps', String(++swaps));
  };
  Array.prototype.forEach.call(document.querySelectorAll('.live [id^=live-]'), function (el) {
    es.addEventListener(el.id, swap);
  });
  es.addEventListener('heartbeat', function () { root.setAttribute('data-stream', 'open'); });
  es.onopen = function () { root.setAttribute('data-stream', 'open'); };
  es.onerror = function () {
    root.setAttribute('data-stream', 'lost');
    // a refused stream (too many screens, logged out) is not retried by the
    // browser: fall back to reloading the page
    if (es.readyState === EventSource.CLOSED) reload();
  };
})();
