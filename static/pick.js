// The pick screen. The page carries the task (its locations and GTINs), so
// every scan is checked here first and answered at once; then it joins a
// queue that is sent in order, one POST per scan with its own
// Idempotency-Key. When the network is gone the queue waits (in
// localStorage, so a reload loses nothing) and is replayed when it returns;
// the server applies each scan once. What the screen shows is the server's
// last answer with the queued scans applied on top.
(function () {
  'use strict';
  var root = document.getElementById('pick');
  if (!root) return;
  var msgs = JSON.parse(root.getAttribute('data-msgs'));
  var taskId = root.getAttribute('data-task-id');
  var server = JSON.parse(root.getAttribute('data-task'));
  // The warehouse's own code patterns (as the server reads them), so a scan
  // can be told apart here: a location, a tote, an item or something else.
  var patterns = JSON.parse(root.getAttribute('data-patterns') || '{}');
  function pattern(src) { try { return src ? new RegExp(src) : null; } catch (e) { return null; } }
  var locationRe = pattern(patterns.location), toteRe = pattern(patterns.tote);
  var QKEY = 'tally.queue.' + taskId;
  var queue = [];
  try { queue = JSON.parse(localStorage.getItem(QKEY) || '[]'); } catch (e) { queue = []; }
  var step = 'location';   // location, item, tote
  var units = [];          // item codes scanned for the put in progress
  var extra = 0;           // a typed count on top of the scanned units
  // The last unit scanned and sent at once (single-order picking) as
  // {line, code}: Count books more of the same item (and lot) with its code.
  var lastScan = null;
  var sending = false, offline = false;
  var diskFull = false; // the server's disk is full: the queue waits for room, not for the network
  var $ = function (id) { return document.getElementById(id); };
  var sound = window.Tally.sound;

  // Messages become DOM through tally.js (Tally.words): each argument that is
  // a code (Tally.isCode, the one rule the server's views.IsCode shares) is a
  // span that never wraps, the rest text; lists are joined by the language's
  // separator.
  var isCode = window.Tally.isCode;
  function piece(v) { return window.Tally.piece(v, msgs['pick.list_sep']); }
  function t(key, args) { return window.Tally.words(msgs, key, args, msgs['pick.list_sep']); }
  // marked is a message the server worded, its code arguments made codes.
  function marked(text, args) {
    var codes = [];
    for (var a in (args || {})) if (isCode(String(args[a])) && text.indexOf(String(args[a])) >= 0) codes.push(String(args[a]));
    if (!codes.length) return document.createTextNode(text);
    codes.sort(function (x, y) { return y.length - x.length; });
    var re = new RegExp('(' + codes.map(function (c) { return c.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'); }).join('|') + ')');
    var f = document.createDocumentFragment();
    text.split(re).forEach(function (part, i) { if (part) f.appendChild(i % 2 ? piece(part) : document.createTextNode(part)); });
    return f;
  }
  // show puts a message (DOM or text) into an element, in place of what it held.
  function show(el, m) {
    el.textContent = '';
    if (m) el.appendChild(typeof m === 'string' ? document.createTextNode(m) : m);
  }
  // nameOf is a line's item as the picker reads it: its SKU (a code) and name.
  function nameOf(l) {
    var f = document.createDocumentFragment();
    f.appendChild(piece(l.sku));
    f.appendChild(document.createTextNode(' ' + l.name));
    return f;
  }
  function save() { try { localStorage.setItem(QKEY, JSON.stringify(queue)); } catch (e) { } }
  function open(l) { return l.cancelled ? 0 : l.qty - l.done - l.short; }
  function lineOf(v, n) { for (var i = 0; i < v.lines.length; i++) if (v.lines[i].n === n) return v.lines[i]; return null; }
  // A task's order is its owner's and its number: two owners may use one
  // order number, and a cluster may hold both (each in its own tote).
  function sameOrder(o, l) { return o.order === l.order && (o.owner || '') === (l.owner || ''); }
  function toteOf(v, l) { for (var i = 0; i < (v.orders || []).length; i++) if (sameOrder(v.orders[i], l)) return v.orders[i].tote || ''; return ''; }

  // The task as the server last told it, with the queued scans applied.
  function view() {
    var v = JSON.parse(JSON.stringify(server));
    queue.forEach(function (op) {
      var b = op.body, l = lineOf(v, b.line);
      if (b.type === 'pick' && l) {
        l.done += b.qty || b.codes.length;
        v.picks = (v.picks || []).concat([{ event: op.key, line: b.line, qty: b.qty || b.codes.length, serials: b.codes.map(serialOf).filter(Boolean) }]);
        if (b.tote) v.orders.forEach(function (o) { if (sameOrder(o, l) && !o.tote) o.tote = b.tote; });
      } else if (b.type === 'short' && l) {
        l.short += open(l);
      } else if (b.type === 'putback' && l) {
        l.done += b.qty;
      } else if (b.type === 'undo') {
        var picks = v.picks || [];
        for (var i = picks.length - 1; i >= 0; i--) {
          if (picks[i].undone || (b.pick && picks[i].event !== b.pick)) continue; // the pick it names (an undo queued before undos named one: the last)
          picks[i].undone = true; var pl = lineOf(v, picks[i].line); if (pl) pl.done -= picks[i].qty; break;
        }
      }
    });
    return v;
  }
  function current(v) { for (var i = 0; i < v.lines.length; i++) if (open(v.lines[i]) > 0) return v.lines[i]; return null; }

  // say shows the answer to a scan: ok, error, or 'note' for a scan that
  // changes nothing and is no mistake (a double read); notes make no sound.
  function say(text, ok) {
    var kind = ok === 'note' ? 'note' : ok ? 'ok' : 'error';
    var m = $('pick-msg');
    m.hidden = !text;
    show(m, text);
    m.className = 'feedback ' + kind;
    m.setAttribute('data-feedback', kind);
    if (text && kind !== 'note') sound(kind);
  }

  // Where the picked goods go once the task is done: the totes (cluster) or
  // the orders (single) that hold something, to packing.
  function whereTo(v) {
    if (v.kind === 'putback') return t('pick.done_putback');
    var totes = [], orders = [];
    (v.orders || []).forEach(function (o) {
      var picked = v.lines.some(function (x) { return sameOrder(o, x) && x.done > 0; });
      if (!picked) return;
      if (o.tote) totes.push(o.tote); else orders.push(o.order);
    });
    if (!totes.length && !orders.length) return t('pick.done_nothing');
    var f = document.createDocumentFragment();
    totes.sort(); orders.sort();
    if (totes.length) f.appendChild(t('pick.done_totes', { n: totes.length, list: totes }));
    if (totes.length && orders.length) f.appendChild(document.createTextNode(' '));
    if (orders.length) f.appendChild(t('pick.done_orders', { n: orders.length, list: orders }));
    return f;
  }

  function render() {
    var v = view(), l = current(v);
    var banner = $('queue');
    banner.hidden = !(offline && queue.length);
    show(banner, t('app.offline', { n: queue.length }));
    if (diskFull) show(banner, t('app.disk_full', { n: queue.length }));
    banner.setAttribute('data-disk-full', String(diskFull));
    banner.setAttribute('data-waiting', String(queue.length));
    root.setAttribute('data-queue', String(queue.length));
    $('pick-done').hidden = !!l;
    // the next task waits until this one's scans are all sent
    var next = $('pick-done').querySelector('form');
    next.hidden = queue.length > 0;
    $('pick-line').hidden = !l;
    $('pick-actions').hidden = !l;
    $('pick-scanbox').hidden = !l; // nothing left to scan
    if (!l) {
      show($('pick-step'), queue.length ? t('pick.done_waiting', { n: queue.length }) : '');
      show($('pick-progress'), '');
      show($('pick-where'), whereTo(v));
      $('pick-count').hidden = true;
      $('pick-short').hidden = true;
      if (!queue.length) {
        try { localStorage.removeItem(QKEY); } catch (e) { }
        // Enter (or a tap) takes the next task. The focus moves only once the
        // last scan's own Enter is over (its keypress or keyup must not press
        // the button the moment the last answer arrives).
        focusNextSoon(next.querySelector('button'));
      }
      return;
    }
    // back from the done screen (a refused put): the scan box takes the next scan
    if (!document.activeElement || document.activeElement === document.body) $('pick-scan').focus();
    var putback = server.kind === 'putback';
    var need = open(l) - units.length - extra;
    $('pick-loc').textContent = l.location;
    show($('pick-name'), nameOf(l));
    var meta = document.createDocumentFragment();
    if (l.lot) meta.appendChild(t('pick.meta', { lot: l.lot, expiry: l.expiry || '—' }));
    if (l.lot && l.order) meta.appendChild(document.createTextNode(' · '));
    if (l.order) meta.appendChild(t('pick.order_tote', { order: l.order, tote: toteOf(v, l) || '—' }));
    show($('pick-meta'), meta);
    show($('pick-qty'), t('pick.qty_line', { done: l.done + units.length + extra, qty: l.qty - l.short }));
    var n = 0; v.lines.forEach(function (x, i) { if (x === l) n = i + 1; });
    show($('pick-progress'), t('pick.progress', { n: n, total: v.lines.length }));
    var prompt = step === 'location' ? (putback ? 'pick.step_putback' : 'pick.step_location') : step === 'item' ? 'pick.step_item' : 'pick.step_tote';
    show($('pick-step'), t(prompt, { qty: units.length + extra, order: l.order }));
    root.setAttribute('data-step', step);
    root.setAttribute('data-line', String(l.n));
    if (need < 0) extra = 0;
  }

  function enqueue(body) {
    queue.push({ key: window.Tally.uuid(), body: body, at: Date.now() });
    save();
    pump();
  }

  // postScan sends one queued scan with its key; the answer is {status, body}.
  function postScan(id, op) {
    var m = document.querySelector('meta[name=csrf-token]');
    return fetch('/api/v1/tasks/' + encodeURIComponent(id) + '/scans', {
      method: 'POST', credentials: 'same-origin',
      headers: { 'Content-Type': 'application/json', 'Idempotency-Key': op.key, 'X-CSRF-Token': m ? m.content : '' },
      body: JSON.stringify(op.body)
    }).then(function (r) {
      return r.json().then(function (j) { return { status: r.status, body: j }; }, function () { return { status: r.status, body: {} }; });
    });
  }

  // Answers after which a scan stays queued: the server could not take it
  // now (busy, failing) or the login ran out. Anything else settles it.
  function retryLater(status) { return status >= 500 || status === 408 || status === 429 || status === 401; }

  function pump() {
    render();
    if (sending || !queue.length) return;
    if (tokenStale) { staleToken(); return; } // waits for the page to renew its token
    sending = true;
    var op = queue[0];
    // once sent, the server may have taken it even if no answer comes back:
    // Undo then asks the server to take it back rather than dropping it here
    if (!op.tried) { op.tried = true; save(); }
    postScan(taskId, op).then(function (res) {
      sending = false;
      if (res.status === 401) { location.href = '/login'; return; }
      if (res.body.key === 'csrf.invalid') { staleToken(); return; }
      diskFull = res.body.key === 'disk.full';
      if (retryLater(res.status)) { offline = true; later(); return; }
      offline = false;
      queue.shift(); save();
      if (res.status < 300) {
        if (res.body.task && res.body.task.id) server = res.body.task;
      } else {
        if (res.body.key === 'pick.serial_double_read') {
          // the same can read twice: nothing was booked, nothing is wrong
          say(marked(res.body.error, res.body.args), 'note');
        } else {
          // The server knows better (another lot, a recall, a cancelled order): show why and take its view.
          say(res.body.error ? marked(res.body.error, res.body.args) : t('pick.refused'), false);
          lastScan = null;
          giveBack(op.body, res.body.key);
        }
        refresh(op.body.line);
      }
      pump();
    }, function () {
      sending = false; offline = true; diskFull = false; render(); later();
    });
  }
  // staleToken: the page's form token no longer matches the login (a login
  // again in another tab). The scan stays queued and the page reloads for
  // a fresh token (the queue is kept on the handheld and sent after); a
  // second time within a minute it says so and waits for the picker.
  function staleToken() {
    tokenStale = true; // nothing more is sent with this page's token
    if (units.length || extra) { sayOnce('pick.token_stale_units'); return; } // renewed once they are in the tote (pump)
    var at = 0;
    try { at = parseInt(sessionStorage.getItem('tally.tokenReload') || '0', 10); } catch (e) { }
    if (Date.now() - at > 60000) {
      try { sessionStorage.setItem('tally.tokenReload', String(Date.now())); } catch (e) { }
      location.reload();
      return;
    }
    sayOnce('csrf.invalid');
  }
  var tokenStale = false, tokenSaid = '';
  function sayOnce(key) { if (tokenSaid !== key) { tokenSaid = key; say(t(key), false); } }
  var timer = null;
  function later() { if (!timer) timer = setTimeout(function () { timer = null; pump(); }, 1500); }
  // refresh takes the server's view of the task. After a refused scan of
  // line n, a picker still at that line's shelf (nothing in hand) stays at the
  // item step: the shelf was scanned, only the item is asked for again.
  function refresh(n) {
    fetch('/api/v1/tasks/' + encodeURIComponent(taskId), { credentials: 'same-origin' })
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (task) {
        if (!task || !task.id) return;
        server = task;
        var l = current(view());
        if (n && l && l.n === n && !units.length && !extra && step === 'location' && lastLocation === l.location) step = 'item';
        render();
      }, function () { });
  }

  // What a scanned item code may be for a GTIN-14: itself, EAN-13, UPC-A,
  // EAN-8, or inside a GS1 string after AI 01.
  function itemMatches(l, code) {
    var c = code.replace(/[\s()]/g, '');
    return (l.gtins || []).some(function (g) {
      if (c === g || c.indexOf('01' + g) >= 0) return true;
      if (g.charAt(0) === '0' && c === g.slice(1)) return true;
      if (g.slice(0, 2) === '00' && c === g.slice(2)) return true;
      if (g.slice(0, 6) === '000000' && c === g.slice(6)) return true;
      return false;
    });
  }
  // kindOf says what a scan is, from the line in hand's point of view: its
  // location ('here'), its item ('this-item'), another location, a tote,
  // another item, or something else.
  function kindOf(v, l, code) {
    var up = code.toUpperCase();
    if (up === l.location.toUpperCase()) return 'here';
    if (itemMatches(l, code)) return 'this-item';
    if (v.lines.some(function (x) { return x.location.toUpperCase() === up; }) || (locationRe && locationRe.test(up))) return 'location';
    if ((v.orders || []).some(function (o) { return o.tote === up; }) || (toteRe && toteRe.test(up))) return 'tote';
    if (looksLikeItem(code)) return 'item';
    return 'other';
  }
  // bareOf is a scanned code without the symbology identifier a scanner may
  // send first (]C0, ]E0, ]d2, …: the server reads past it too) and
  // without a GS1 string's leading group separator (the FNC1 some scanners
  // send as GS), as the screen compares it with shelves, totes and items.
  function bareOf(code) {
    return code.replace(/^\][A-Za-z][0-9A-Za-z]/, '').replace(/^\u001d/, '');
  }
  // An item's barcode: a GTIN (8, 12, 13 or 14 digits) or a GS1 string.
  function looksLikeItem(code) {
    var c = code.replace(/[\s()]/g, '');
    if (/^\][A-Za-z][0-9A-Za-z]/.test(c)) c = c.slice(3); // a symbology identifier
    return /^(\d{8}|\d{12,14})$/.test(c) || c.indexOf('\u001d') >= 0 || /^0[012]\d{14}/.test(c);
  }
  // serialOf is the serial number (GS1 AI 21) an item code carries, or ''.
  // The bracketed form is read as it is; a raw GS1 string (after any
  // symbology identifier) is walked element by element: the AIs of
  // predefined length by their length, any other up to the group separator.
  var fixedAI = { '00': 18, '01': 14, '02': 14, '03': 14, '04': 16, '11': 6, '12': 6, '13': 6, '14': 6, '15': 6, '16': 6, '17': 6, '18': 6, '19': 6, '20': 2, '31': 8, '32': 8, '33': 8, '34': 8, '35': 8, '36': 8, '41': 14 };
  function serialOf(code) {
    if (code.indexOf('(') >= 0) {
      var m = /\(21\)([^(\u001d]+)/.exec(code);
      return m ? m[1].trim() : '';
    }
    var c = bareOf(code);
    if (/^(\d{8}|\d{12,14})$/.test(c)) return ''; // a bare GTIN
    for (var i = 0; i + 2 <= c.length;) {
      var ai = c.substr(i, 2);
      if (!/^\d\d$/.test(ai)) return '';
      if (fixedAI[ai]) {
        i += 2 + fixedAI[ai];
        if (c.charAt(i) === '\u001d') i++;
        continue;
      }
      var end = c.indexOf('\u001d', i);
      if (end < 0) end = c.length;
      if (ai === '21') return c.slice(i + 2, end);
      i = end + 1;
    }
    return '';
  }
  // readTwice says whether a serial is in hand already or picked in this task
  // (and not undone): the same can read twice, not another unit.
  function readTwice(v, serial) {
    if (!serial) return false;
    if (units.some(function (u) { return serialOf(u) === serial; })) return true;
    return (v.picks || []).some(function (p) { return !p.undone && (p.serials || []).indexOf(serial) >= 0; });
  }
  function normal(s) {
    return s.replace(/[\uFF01-\uFF5E]/g, function (ch) { return String.fromCharCode(ch.charCodeAt(0) - 0xFEE0); }).trim();
  }

  function reject(l, stepName, code, reason, args) {
    say(t(reason, args), false);
    enqueue({ type: 'reject', line: l.n, step: stepName, code: code, reason: reason });
  }

  function advance() {
    units = []; extra = 0;
    var v = view(), next = current(v);
    step = 'location';
    if (next && lastLocation === next.location) step = 'item';
  }
  var lastLocation = '';

  // picked says what was just picked, naming the item, so it cannot be taken
  // for the progress of the line that follows.
  function picked(l, qty, tote) {
    say(t(tote ? 'pick.picked_tote' : 'pick.picked', { qty: qty, sku: l.sku, tote: tote }), true);
  }

  function put(l, tote) {
    var codes = units.slice();
    // counted on top of scanned units: one code of the same item stands for them all
    if (extra && codes.every(function (c) { return c === codes[0]; })) codes = codes.slice(0, 1);
    var body = { type: 'pick', line: l.n, location: l.location, codes: codes, qty: units.length + extra };
    if (tote) body.tote = tote;
    enqueue(body);
    picked(l, body.qty, tote);
    advance();
  }

  // A put the server refused for its tote gives its units back: they are
  // still in the picker's hand, waiting for the right tote.
  var toteRefusals = { 'pick.wrong_tote': 1, 'pick.tote_in_use': 1, 'pick.not_a_tote': 1, 'pick.tote_needed': 1 };
  function giveBack(b, key) {
    if (b.type !== 'pick' || !toteRefusals[key] || units.length || extra) return;
    var l = current(view());
    if (!l || l.n !== b.line) return;
    units = (b.codes || []).slice();
    extra = (b.qty || units.length) - units.length;
    lastLocation = l.location;
    step = 'tote';
  }

  function onScan(raw) {
    var code = normal(raw);
    if (!code) return;
    // a scan while the count box is open (the scanner typed into it: the
    // page hands the scan here) is a scan, and the count is not wanted
    if (!$('pick-count').hidden) { $('pick-count').hidden = true; $('pick-count-n').value = ''; }
    var v = view(), l = current(v);
    if (!l) { say('', true); return; }
    var cluster = server.mode === 'cluster';
    var bare = bareOf(code); // compared; the code as scanned is what the server reads
    var kind = kindOf(v, l, bare), name = nameOf(l);
    if (step === 'location') {
      if (kind !== 'here') {
        var why = kind === 'this-item' || kind === 'item' ? 'pick.item_not_location' : kind === 'location' ? 'pick.wrong_location' : kind === 'tote' ? 'pick.tote_not_location' : 'pick.not_location';
        reject(l, 'location', code, why, { location: code, tote: code, code: code, want: l.location });
        return;
      }
      lastLocation = l.location;
      step = 'item';
      say('', true);
      sound('ok');
      render();
      return;
    }
    // A shelf that holds fewer than the line asks for (cluster): the units
    // in hand go into the tote when it is scanned, and Short reports the rest.
    if (step === 'item' && cluster && (kind === 'tote' || (kind === 'other' && !toteRe)) && units.length + extra > 0) step = 'tote';
    if (step === 'item') {
      if (kind === 'here') { say(t('pick.location_again', { location: l.location, name: name }), 'note'); return; }
      if (kind !== 'this-item') {
        var wrong = kind === 'location' ? 'pick.location_not_item' : kind === 'tote' ? 'pick.tote_not_item' : kind === 'item' ? 'pick.wrong_item' : 'pick.not_item';
        reject(l, 'item', code, wrong, { location: code, tote: code, code: code, name: name, want: l.location });
        return;
      }
      var serial = serialOf(code);
      if (readTwice(v, serial)) { say(t('pick.serial_double_read', { serial: serial }), 'note'); return; }
      say('', true);
      if (server.kind === 'putback') {
        enqueue({ type: 'putback', line: l.n, location: l.location, qty: open(l) });
        sound('ok'); advance(); render(); return;
      }
      units.push(code);
      if (!cluster) { lastScan = { line: l.n, code: code }; put(l, ''); return; }
      sound('ok');
      if (units.length + extra >= open(l)) step = 'tote';
      render();
      return;
    }
    // tote: the units in hand stay there whatever is scanned
    var have = units.length + extra;
    if (kind === 'this-item') {
      if (have < open(l)) {
        if (readTwice(v, serialOf(code))) { say(t('pick.serial_double_read', { serial: serialOf(code) }), 'note'); return; }
        units.push(code); say('', true); sound('ok'); render(); return;
      }
      // a double read of the item, or one unit too many: nothing is lost
      say(t('pick.tote_now', { n: have, qty: have, order: l.order }), 'note');
      return;
    }
    if (kind === 'tote' || (kind === 'other' && !toteRe)) {
      var want = toteOf(v, l);
      if (want && bare.toUpperCase() !== want) { reject(l, 'tote', code, 'pick.wrong_tote', { tote: bare, want: want }); return; }
      var other = (v.orders || []).some(function (o) { return !sameOrder(o, l) && o.tote === bare.toUpperCase(); });
      if (!want && other) { reject(l, 'tote', code, 'pick.tote_in_use', { tote: bare }); return; }
      put(l, bare);
      return;
    }
    var notTote = kind === 'here' || kind === 'location' ? 'pick.location_not_tote' : kind === 'item' ? 'pick.item_not_tote' : 'pick.not_tote';
    reject(l, 'tote', code, notTote, { location: code, code: code, order: l.order });
  }

  // Count: a case in hand, one unit of it scanned. In cluster picking the
  // units stay in hand with the count on top until the tote is scanned; in
  // single-order picking the scanned unit is already sent, so the count is
  // sent as a pick of its own with that unit's code (the same item and lot).
  function onCount() {
    var v = view(), l = current(v);
    if (!l) return;
    var inHand = units.length > 0 && (step === 'item' || step === 'tote');
    var sent = !inHand && step === 'item' && lastScan && lastScan.line === l.n && server.mode !== 'cluster';
    if (!inHand && !sent) { say(t('pick.scan_item_first'), false); return; }
    var input = $('pick-count-n');
    var n = parseInt(input.value, 10);
    var max = open(l) - units.length;
    if (!(n >= 1 && n <= max)) {
      // the wrong count stays selected: the next digits typed replace it
      say(t('pick.count_invalid', { n: max }), false);
      input.focus(); input.select();
      return;
    }
    $('pick-count').hidden = true;
    input.value = '';
    if (inHand) { extra = n; step = 'tote'; say('', true); render(); $('pick-scan').focus(); return; }
    enqueue({ type: 'pick', line: l.n, location: l.location, codes: [lastScan.code], qty: n });
    picked(l, n, '');
    advance(); render();
    $('pick-scan').focus();
  }

  // Undo takes back the last thing done: a count on top of the units in
  // hand, else the last unit in hand, else the last pick (dropped from the
  // queue while it was never sent, else undone by the server).
  function onUndo() {
    if (extra) { extra = 0; step = 'item'; say(t('pick.undone'), true); render(); return; }
    if (units.length) { units.pop(); step = 'item'; say(t('pick.undone'), true); render(); return; }
    var last = queue.length ? queue[queue.length - 1] : null;
    if (last && !last.tried && last.body.type === 'pick') {
      queue.pop(); save();
    } else {
      // The undo names the pick it takes back: the last one not undone as
      // the screen sees it (the booked ones, then those still queued, less
      // the undos queued). A pick the server then refuses is never booked,
      // and the undo meant for it is refused too, instead of taking back
      // another line's pick.
      var picks = (view().picks || []).filter(function (p) { return !p.undone; });
      if (!picks.length) { say(t('pick.nothing_to_undo'), false); return; }
      enqueue({ type: 'undo', pick: picks[picks.length - 1].event });
    }
    say(t('pick.undone'), true);
    step = 'item';
    // Count goes on from the last scanned unit while its line still has units picked
    var l = current(view());
    if (lastScan && (!l || l.n !== lastScan.line || l.done <= 0)) lastScan = null;
    render();
  }

  function onShort(reason) {
    var l = current(view());
    $('pick-short').hidden = true;
    if (!l) return;
    if (server.mode === 'cluster' && units.length + extra > 0) {
      // the units in hand are picked: into the tote first, then the rest is short
      say(t('pick.tote_before_short', { n: units.length + extra, qty: units.length + extra, order: l.order }), false);
      return;
    }
    units = []; extra = 0;
    enqueue({ type: 'short', line: l.n, reason: reason });
    sound('ok');
    advance(); render();
    $('pick-scan').focus();
  }

  var lastEnter = 0;
  function focusNextSoon(b) {
    var wait = lastEnter + 400 - Date.now();
    if (wait > 0) { setTimeout(function () { if (!$('pick-done').hidden && !b.closest('form').hidden) focusNextSoon(b); }, wait); return; }
    if (document.activeElement !== b) b.focus();
  }
  $('pick-scan').addEventListener('keydown', function (ev) {
    if (ev.key !== 'Enter') return;
    lastEnter = Date.now();
    ev.preventDefault();
    var raw = this.value;
    this.value = '';
    onScan(raw);
  });
  root.addEventListener('click', function (ev) {
    var b = ev.target.closest('[data-action]');
    if (!b) return;
    var a = b.getAttribute('data-action');
    if (a === 'count') { $('pick-count').hidden = false; $('pick-count-n').focus(); }
    if (a === 'count-ok') onCount();
    if (a === 'short') { $('pick-short').hidden = !$('pick-short').hidden; }
    if (a === 'short-reason') onShort(b.getAttribute('data-reason'));
    if (a === 'undo') onUndo();
  });
  $('pick-count-n').addEventListener('keydown', function (ev) { if (ev.key === 'Enter') { ev.preventDefault(); onCount(); } });
  window.addEventListener('online', function () { pump(); });

  // Scans of an earlier task left on this handheld (the page was closed
  // before they could be sent) are sent too, in order, each with its key.
  function flushLeftovers() {
    var keys = [];
    for (var i = 0; i < localStorage.length; i++) {
      var k = localStorage.key(i);
      if (k && k.indexOf('tally.queue.') === 0 && k !== QKEY) keys.push(k);
    }
    keys.forEach(function (k) {
      var id = k.slice('tally.queue.'.length), q;
      try { q = JSON.parse(localStorage.getItem(k) || '[]'); } catch (e) { q = []; }
      (function next() {
        if (!q.length) { localStorage.removeItem(k); return; }
        postScan(id, q[0]).then(function (res) {
          // kept, sent on a later page load: the server could not take it
          // now, or it is another picker's (their login ran out with scans
          // queued: sent when they log in here again, never dropped)
          if (retryLater(res.status) || res.body.key === 'task.not_yours' || res.body.key === 'csrf.invalid') return;
          q.shift(); localStorage.setItem(k, JSON.stringify(q)); next();
        }, function () { /* still offline: try on the next page load */ });
      })();
    });
  }
  flushLeftovers();
  setInterval(function () { if (queue.length && !sending) pump(); }, 3000);
  render();
  pump();
})();
