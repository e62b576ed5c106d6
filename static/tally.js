// Tally's one script: keeps the scan box focused, submits scans without a
// full page load (so feedback sounds keep playing), plays the success and
// error sounds, and uploads files with a progress bar. Pages work without it.
(function () {
  'use strict';

  var audio = null;
  function sound(kind) {
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === 'suspended') audio.resume();
      var tones = kind === 'ok' ? [[1760, 0, 0.09]] : [[330, 0, 0.18], [220, 0.22, 0.3]];
      tones.forEach(function (t) {
        var o = audio.createOscillator(), g = audio.createGain();
        o.type = kind === 'ok' ? 'sine' : 'square';
        o.frequency.value = t[0];
        g.gain.value = 0.25;
        o.connect(g); g.connect(audio.destination);
        o.start(audio.currentTime + t[1]);
        o.stop(audio.currentTime + t[1] + t[2]);
      });
    } catch (e) { /* no audio on this device */ }
    if (navigator.vibrate) navigator.vibrate(kind === 'ok' ? 60 : [200, 80, 200]);
  }

  function scanInput() { return document.querySelector('input[data-scan]'); }

  // Keep the scan box focused whenever nothing else deliberately is. A scan
  // that has begun on the page's body moves into the box with it, so the box
  // gets the whole code, not its tail.
  function refocus() {
    var a = document.activeElement;
    if (a && a !== document.body && a.tagName !== 'HTML') return;
    var s = document.querySelector('input[autofocus]') || scanInput();
    if (!s) return;
    s.focus();
    if (wedgeBuf && s.hasAttribute('data-scan') && document.activeElement === s &&
        performance.now() - wedgeLast <= WEDGE_PAUSE) {
      s.value += wedgeBuf;
    }
    wedgeBuf = '';
  }

  // A wedge scanner types fast and ends with Enter, into whatever has focus.
  // When that is no text field (the page's body after an action, a button,
  // a link), the scan would vanish, or its Enter press the button. It is
  // caught here instead: at least WEDGE_MIN keys, none more than WEDGE_PAUSE
  // ms after the one before, then Enter, on average at most WEDGE_PACE ms
  // apart (a scanner types a key every few ms; a busy moment may hold one
  // back, but not the whole code). A person types slower, so their Enter on a
  // button still presses it; keys with Ctrl, Alt or Meta are left alone.
  // Text fields, selects and textareas keep their keys, except a field marked
  // data-typed (a quantity, a date, a weight: typed by a person, never
  // scanned): a scan that lands there goes to the screen's scan box, and the
  // field gets back what it held before the scan began.
  var WEDGE_MIN = 4, WEDGE_PAUSE = 300, WEDGE_PACE = 50;
  var wedgeBuf = '', wedgeStart = 0, wedgeLast = -Infinity;
  var wedgeField = null, wedgeBefore = '';

  // takesText is an element that keys type into (or, for a select, choose with).
  function takesText(el) {
    if (!el) return false;
    if (el.isContentEditable || el.tagName === 'TEXTAREA' || el.tagName === 'SELECT') return true;
    if (el.tagName !== 'INPUT') return false;
    return !/^(button|submit|reset|checkbox|radio|file|image|color|range|hidden)$/.test(el.type);
  }

  // typedField is a text field a person types in and a scan never belongs in.
  function typedField(el) {
    return takesText(el) && el.hasAttribute('data-typed');
  }

  function onWedgeKey(ev) {
    if (!ev.isTrusted) return; // the Enter takeScan gives the scan box
    scanEnd = 0; // a new key: the last scan's Enter is over
    var el = document.activeElement, typed = typedField(el);
    if ((takesText(el) && !typed) || ev.ctrlKey || ev.altKey || ev.metaKey || ev.isComposing) {
      wedgeBuf = '';
      return;
    }
    // Shift comes with capitals; a key the browser cannot name (a GS1 group
    // separator) types nothing into a scan box either.
    if (ev.key === 'Shift' || ev.key === 'CapsLock' || ev.key === 'Unidentified') return;
    var now = ev.timeStamp, gap = now - wedgeLast;
    wedgeLast = now;
    if (ev.key === 'Enter') {
      var code = wedgeBuf, field = wedgeField;
      wedgeBuf = '';
      wedgeField = null;
      if (gap > WEDGE_PAUSE || code.length < WEDGE_MIN || (now - wedgeStart) / code.length > WEDGE_PACE) return; // a person's Enter
      ev.preventDefault();
      ev.stopPropagation();
      if (field && field === el) field.value = wedgeBefore;
      takeScan(code);
      scanEnd = performance.now() + SCAN_END;
      return;
    }
    if (ev.key.length !== 1) { wedgeBuf = ''; wedgeField = null; return; }
    if (gap > WEDGE_PAUSE || !wedgeBuf || (typed ? el : null) !== wedgeField) {
      // a run begins: in a typed field, before its first key changes it
      wedgeBuf = '';
      wedgeStart = now;
      wedgeField = typed ? el : null;
      wedgeBefore = typed ? el.value : '';
    }
    wedgeBuf += ev.key;
  }

  // Nothing of a scan's Enter may press a button or follow a link: its
  // keydown is stopped above, and its keypress (where a button takes Enter
  // as a click, and a text field submits its form), its keyup and a click
  // the keyboard makes are swallowed until the next key begins, the Enter
  // is released, or SCAN_END ms have passed, so a person's later Enter
  // still presses what has focus. Clicks of a finger or a mouse, and those
  // the script makes, are never swallowed.
  var SCAN_END = 1000, scanEnd = 0;
  function swallowScanEnd(ev) {
    if (!scanEnd || !ev.isTrusted) return;
    if (performance.now() > scanEnd) { scanEnd = 0; return; }
    if (ev.type === 'click' ? ev.detail !== 0 : ev.key !== 'Enter') return;
    ev.preventDefault();
    ev.stopImmediatePropagation();
    if (ev.type === 'keyup') scanEnd = 0;
  }

  // visibleScanBox is the scan box the screen shows, if any.
  function visibleScanBox() {
    var all = document.querySelectorAll('input[data-scan]');
    for (var i = 0; i < all.length; i++) {
      var b = all[i];
      if (!b.disabled && !b.readOnly && b.getClientRects().length) return b;
    }
    return null;
  }

  // takeScan gives a scan caught outside a text field to the screen's scan
  // box, as if the box had had focus: the code, then Enter (the page's own
  // handler, else the form submits as Enter would submit it). A screen
  // without one says the scan was not taken and what to do.
  function takeScan(code) {
    var box = visibleScanBox();
    if (!box) { notTaken(code); return; }
    box.focus();
    box.value = code;
    var enter = new KeyboardEvent('keydown', { key: 'Enter', code: 'Enter', bubbles: true, cancelable: true });
    if (box.dispatchEvent(enter)) implicitSubmit(box);
  }

  // implicitSubmit is what Enter in a text field does to its form: click the
  // default button, or submit a form with no button and one such field.
  function implicitSubmit(input) {
    var form = input.form;
    if (!form) return;
    var fields = 0;
    for (var i = 0; i < form.elements.length; i++) {
      var e = form.elements[i];
      if ((e.tagName === 'BUTTON' && e.type === 'submit') || (e.tagName === 'INPUT' && (e.type === 'submit' || e.type === 'image'))) {
        if (!e.disabled) e.click();
        return;
      }
      if (e.tagName === 'INPUT' && takesText(e)) fields++;
    }
    if (fields <= 1) form.requestSubmit();
  }

  // notTaken says, in the screen's language, that a scan found no scan box:
  // with the error sound and vibration, at the top of the screen.
  function notTaken(code) {
    sound('error');
    var main = document.getElementById('main');
    if (!main) return;
    var msgs = {};
    try { msgs = JSON.parse(main.getAttribute('data-msgs') || '{}'); } catch (e) { msgs = {}; }
    var el = document.getElementById('scan-lost');
    if (!el) {
      el = document.createElement('div');
      el.id = 'scan-lost';
      el.className = 'feedback error';
      el.setAttribute('role', 'alert');
      el.setAttribute('data-testid', 'scan-lost');
      var h1 = main.querySelector('h1');
      main.insertBefore(el, h1 ? h1.nextSibling : main.firstChild);
    }
    el.textContent = '';
    el.appendChild(words(msgs, 'app.scan_not_taken', { code: code.replace(/[\x00-\x1f\x7f]/g, '') }));
    if (el.scrollIntoView) el.scrollIntoView({ block: 'nearest' });
  }

  // A message argument is a code (a location, lot, SKU, tote, order, date,
  // or whatever was scanned) when it is up to 24 printable ASCII characters
  // without a space, holding a digit, and not a bare count (a number of up to
  // five digits). A code is shown whole: a span of class code, which never
  // wraps. A longer scan is text, broken where the line ends rather than
  // widening the page. The server words its answers by the same rule
  // (views.IsCode in views/i18n.go); change both together.
  function isCode(v) { return /^[!-~]{1,24}$/.test(v) && /\d/.test(v) && !/^\d{1,5}$/.test(v); }

  // piece is one argument as DOM, always set as text (codes come from
  // scans): a code span, plain text, a node as it is (copied), or a list
  // (an array) as its pieces joined by sep.
  function piece(v, sep) {
    if (v && v.nodeType) return v.cloneNode(true);
    if (Array.isArray(v)) {
      var f = document.createDocumentFragment();
      v.forEach(function (x, i) {
        if (i) f.appendChild(document.createTextNode(sep || ', '));
        f.appendChild(piece(x, sep));
      });
      return f;
    }
    var s = String(v);
    if (!isCode(s)) return document.createTextNode(s);
    var e = document.createElement('span');
    e.className = 'code';
    e.textContent = s;
    return e;
  }

  // words is the message key of msgs (the catalogue's words the page was
  // given) as DOM: its own words as text, each {arg} as a piece. A message
  // that counts ({n}) may have an English form for one (key + '.one').
  function words(msgs, key, args, sep) {
    args = args || {};
    if (String(args.n) === '1' && msgs[key + '.one']) key += '.one';
    var f = document.createDocumentFragment();
    (msgs[key] || key).split(/\{(\w+)\}/).forEach(function (part, i) {
      if (i % 2 === 0) { if (part) f.appendChild(document.createTextNode(part)); return; }
      f.appendChild(Object.prototype.hasOwnProperty.call(args, part) ? piece(args[part], sep) : document.createTextNode('{' + part + '}'));
    });
    return f;
  }

  // A random v4 UUID without crypto.randomUUID, which plain-HTTP pages lack.
  function uuid() {
    var b = new Uint8Array(16);
    crypto.getRandomValues(b);
    b[6] = (b[6] & 0x0f) | 0x40; b[8] = (b[8] & 0x3f) | 0x80;
    var h = Array.prototype.map.call(b, function (x) { return (x + 256).toString(16).slice(1); }).join('');
    return h.slice(0, 8) + '-' + h.slice(8, 12) + '-' + h.slice(12, 16) + '-' + h.slice(16, 20) + '-' + h.slice(20);
  }

  function feedback() {
    var f = document.querySelector('[data-feedback]');
    if (f) sound(f.getAttribute('data-feedback'));
  }

  // Put a page the server sent in place of this one without loading it: the
  // header, <main> and the CSRF token change; the script and audio stay. A scan
  // typed into the old scan box while the request was out moves to the new one.
  function swap(html, url) {
    var doc = new DOMParser().parseFromString(html, 'text/html');
    var main = doc.getElementById('main');
    if (!main) { document.open(); document.write(html); document.close(); return; }
    // Only a scan box emptied at submit can hold a newer scan worth keeping.
    var old = scanInput(), pending = old && old.dataset.cleared ? old.value : '';
    var bar = doc.querySelector('header.bar'), oldBar = document.querySelector('header.bar');
    if (bar && oldBar) oldBar.replaceWith(bar);
    document.getElementById('main').replaceWith(main);
    var meta = doc.querySelector('meta[name=csrf-token]'), oldMeta = document.querySelector('meta[name=csrf-token]');
    if (meta && oldMeta) oldMeta.setAttribute('content', meta.getAttribute('content'));
    document.title = doc.title;
    if (url) history.replaceState(null, '', url);
    wire(document.body);
    var fresh = scanInput();
    if (fresh && pending) fresh.value = pending;
    feedback();
    refocus();
    if (fresh && pending) fresh.focus();
    inflight = false;
    // Scans whose Enter came while the last one was out go now, one by one,
    // each with the answer's form (the old form's hidden fields lack the
    // scan before). What was typed without Enter stays in the box.
    if (queued.length && fresh && fresh.form) {
      fresh.value = queued.shift();
      fresh.form.requestSubmit();
      fresh.value = pending;
    } else {
      queued = [];
    }
  }

  // One swap at a time: scans entered meanwhile wait in order for the answer.
  var inflight = false, queued = [];

  function submitSwap(form, ev) {
    ev.preventDefault();
    // A field that must be filled next (the PIN after the badge) takes focus instead.
    var first = form.querySelector('input[data-next]');
    var next = first && document.querySelector(first.getAttribute('data-next'));
    if (next && first.value && !next.value) { next.focus(); return; }
    if (inflight) {
      var waiting = form.querySelector('input[data-scan]');
      if (waiting && waiting.value) { queued.push(waiting.value); waiting.value = ''; }
      return;
    }
    inflight = true;
    var method = (form.getAttribute('method') || 'get').toUpperCase();
    var data = new URLSearchParams(new FormData(form));
    var url = form.getAttribute('action') || location.pathname;
    var opts = { method: method, credentials: 'same-origin', headers: {} };
    if (method === 'GET') {
      url += (url.indexOf('?') < 0 ? '?' : '&') + data.toString();
    } else {
      opts.body = data;
      opts.headers['Idempotency-Key'] = uuid();
      var t = document.querySelector('meta[name=csrf-token]');
      if (t) opts.headers['X-CSRF-Token'] = t.content;
    }
    // The scan box is emptied at once so the next scan can start while this
    // one is out; what is typed meanwhile moves into the answer's scan box.
    var box = form.querySelector('input[data-scan]');
    if (box) { box.value = ''; box.dataset.cleared = '1'; }
    fetch(url, opts).then(function (r) {
      return r.text().then(function (html) {
        swap(html, r.redirected ? r.url : (method === 'GET' ? url : null));
      });
    }).catch(function () { inflight = false; form.submit(); });
  }

  function upload(form, ev) {
    ev.preventDefault();
    var bar = form.querySelector('progress');
    var xhr = new XMLHttpRequest();
    xhr.open('POST', form.getAttribute('action'));
    xhr.setRequestHeader('Idempotency-Key', uuid());
    if (bar) { bar.hidden = false; bar.removeAttribute('value'); }
    xhr.upload.onprogress = function (e) {
      if (bar && e.lengthComputable) bar.value = Math.round(100 * e.loaded / e.total);
    };
    xhr.onload = function () { swap(xhr.responseText, null); };
    xhr.onerror = function () { if (bar) bar.hidden = true; sound('error'); };
    xhr.send(new FormData(form));
  }

  // The kiosk's live weight, polled from the station's scale.
  function pollWeight(el) {
    var url = el.getAttribute('data-weight-url');
    (function poll() {
      if (!document.body.contains(el)) return;
      fetch(url, { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; }).then(function (w) {
        el.textContent = w ? (Math.round(w.grams) + ' g' + (w.stable ? '' : ' …')) : '—';
        el.classList.toggle('unstable', !!w && !w.stable);
      }, function () { el.textContent = '—'; }).then(function () { setTimeout(poll, 500); });
    })();
  }

  // A label for a station whose printer is this browser: its print page opens
  // in a window of its own and prints itself. No PDF inside this page (a PDF in
  // a hidden frame crashed kiosk tabs, and Android shows none); when the browser
  // blocks the window, the link stays on the screen for a tap.
  function openLabel(a) {
    var w = window.open(a.href, a.target || 'tally-label');
    if (w) a.dataset.opened = '1';
  }

  function wire(root) {
    function once(el) { if (el.dataset.wired) return false; el.dataset.wired = '1'; return true; }
    root.querySelectorAll('form[data-swap]').forEach(function (f) {
      if (once(f)) f.addEventListener('submit', function (ev) { submitSwap(f, ev); });
    });
    root.querySelectorAll('form[data-upload]').forEach(function (f) {
      if (once(f)) f.addEventListener('submit', function (ev) { upload(f, ev); });
    });
    root.querySelectorAll('[data-keyboard]').forEach(function (b) {
      if (once(b)) b.addEventListener('click', function () {
        var s = scanInput();
        if (!s) return;
        s.setAttribute('inputmode', s.getAttribute('inputmode') === 'none' ? 'text' : 'none');
        s.blur(); s.focus();
      });
    });
    root.querySelectorAll('[data-weight-url]').forEach(function (el) { if (once(el)) pollWeight(el); });
    root.querySelectorAll('a[data-print-open]').forEach(function (el) { if (once(el)) openLabel(el); });
    // a button that prints the page (the returns receipt): no inline handler, the CSP allows none
    root.querySelectorAll('[data-print-page]').forEach(function (b) {
      if (once(b)) b.addEventListener('click', function () { window.print(); });
    });
    // A field marked data-select (a quantity or date to correct) selects what
    // it holds when it takes the focus, so typing replaces it; not when a key
    // already changed it (typing at once after a tap must not select, and so
    // lose, its first character).
    root.querySelectorAll('input[data-select]').forEach(function (i) {
      if (i.dataset.selectWired) return;
      i.dataset.selectWired = '1';
      var select = function () {
        var held = i.value;
        setTimeout(function () { if (document.activeElement === i && i.value === held) i.select(); }, 0);
      };
      i.addEventListener('focus', select);
      if (document.activeElement === i) select(); // focused as the page loaded (autofocus)
    });
    // A wedge scanner types the badge and presses Enter: move on to the PIN.
    root.querySelectorAll('input[data-next]').forEach(function (i) {
      if (once(i)) i.addEventListener('keydown', function (ev) {
        if (ev.key !== 'Enter') return;
        var next = document.querySelector(i.getAttribute('data-next'));
        if (next && !next.value) { ev.preventDefault(); next.focus(); }
      });
    });
  }

  // The pick screen's script shares the sounds, the UUIDs and the wording
  // of messages.
  window.Tally = { sound: sound, uuid: uuid, isCode: isCode, piece: piece, words: words };

  document.addEventListener('DOMContentLoaded', function () {
    wire(document);
    document.documentElement.setAttribute('data-ready', '1');
    feedback();
    refocus();
    // The first key press unlocks audio on browsers that need a gesture.
    document.addEventListener('keydown', function () {
      if (!audio) { try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) { } }
    }, { once: true });
    document.addEventListener('keydown', onWedgeKey, true);
    ['keypress', 'keyup', 'click'].forEach(function (t) { window.addEventListener(t, swallowScanEnd, true); });
    document.addEventListener('click', function () { setTimeout(refocus, 0); });
    window.addEventListener('focus', refocus);
    setInterval(refocus, 1000);
  });
})();
