// paw fleet console (docs/console.md). Read-only: it reads the verifier's
// admin JSON API with the HttpOnly session cookie that a WebAuthn sign-in
// sets, and renders with DOM calls only (textContent, never innerHTML), so
// nothing a device or an event detail says can become markup or script.
// One page needs no session: #/invite/TOKEN, where an invited admin
// registers a security key (navigator.credentials.create).
'use strict';

(function () {
  const $ = (id) => document.getElementById(id);
  let generation = 0;  // bumped on every view change: stops the event poller of an old view

  // el builds an element; string children become text nodes.
  function el(tag, attrs, ...children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children.flat(3)) {
      if (c === null || c === undefined) continue;
      e.appendChild(typeof c === 'string' || typeof c === 'number' ? document.createTextNode(String(c)) : c);
    }
    return e;
  }
  const badge = (s) => el('span', { class: 'badge ' + s }, s);
  const fromB64 = (s) => Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
  const fromB64url = (s) => fromB64(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
  const toB64url = (buf) => btoa(String.fromCharCode(...new Uint8Array(buf)))
    .replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  const now = () => Math.floor(Date.now() / 1000);
  // when: RFC 3339 UTC and how long ago, or "never".
  function when(t) {
    if (!t) return 'never';
    const ago = now() - t;
    const rel = ago < 0 ? 'in the future' : ago < 120 ? ago + ' s ago' : ago < 7200 ? Math.round(ago / 60) + ' min ago'
      : ago < 172800 ? Math.round(ago / 3600) + ' h ago' : Math.round(ago / 86400) + ' d ago';
    return new Date(t * 1000).toISOString().replace(/\.\d+Z$/, 'Z') + ' (' + rel + ')';
  }

  class Unauthorized extends Error {}

  async function api(path, options) {
    const r = await fetch(path, Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } },
      options || {}));
    if (r.status === 401) throw new Unauthorized('sign in');
    let body = {};
    try { body = await r.json(); } catch (e) { body = {}; }
    if (!r.ok) {
      const e = new Error((body.error || r.status) + ': ' + (body.message || 'request refused'));
      e.code = body.error || '';
      throw e;
    }
    return body;
  }

  function showSignin(message) {
    generation++;
    $('invite').hidden = true;
    $('nav').hidden = true;
    $('view').hidden = true;
    $('view').replaceChildren();
    $('signin').hidden = false;
    $('signin-error').textContent = message || '';
  }

  function showView(name, ...content) {
    $('signin').hidden = true;
    $('invite').hidden = true;
    $('nav').hidden = false;
    $('who').textContent = sessionStorage.getItem('paw-admin') ? 'signed in as ' + sessionStorage.getItem('paw-admin') : '';
    for (const a of document.querySelectorAll('nav a')) a.classList.toggle('active', a.dataset.view === name);
    $('view').replaceChildren(...content.flat(3));
    $('view').hidden = false;
    $('view').dataset.view = name;
  }

  // Sign-in: the verifier's one-time challenge for this admin's credential,
  // an assertion from the security key (navigator.credentials.get), then
  // POST /console/login, which checks it and sets the session cookie.
  async function signIn(ev) {
    ev.preventDefault();
    const name = $('admin-name').value.trim();
    $('signin-error').textContent = '';
    try {
      const ch = await api('/v1/admin/login/challenge', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ name }) });
      const cred = await navigator.credentials.get({ publicKey: {
        challenge: fromB64(ch.challenge), rpId: ch.rp_id, timeout: 60000, userVerification: 'discouraged',
        allowCredentials: [{ type: 'public-key', id: fromB64(ch.credential_id) }] } });
      const res = await api('/console/login', { method: 'POST', headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ credential_id: toB64url(cred.rawId),
          client_data_json: toB64url(cred.response.clientDataJSON),
          authenticator_data: toB64url(cred.response.authenticatorData),
          signature: toB64url(cred.response.signature) }) });
      sessionStorage.setItem('paw-admin', res.admin);
      route();
    } catch (e) {
      $('signin-error').textContent = 'Sign-in failed: ' + e.message;
    }
  }

  // An invitation (pawctl admin invite): the verifier's challenge for it,
  // a new credential on the security key for the verifier's rp id, then
  // POST /console/invitation/register, which checks it, stores the admin and
  // burns the invitation. The token lives in the URL fragment only (never
  // sent in a request line) and is dropped from the address bar once used.
  let invitation = null;
  const csrfJson = { 'Content-Type': 'application/json', 'X-Paw-Csrf': '1' };
  // What a refused invitation means for the person holding the link (the
  // verifier's answer to a caller without a credential names only the code).
  const inviteRefusals = {
    revoked: 'an admin revoked it. Ask for a new link.',
    nonce_reused: 'it was used already (each link registers one key). Ask for a new link if that was not you.',
    nonce_expired: 'it has expired. Ask for a new link.',
    nonce_unknown: 'this verifier did not issue it, or it was altered. Ask for a new link.',
    malformed: 'the link is damaged (copy all of it).',
  };
  const inviteRefusal = (e) => (inviteRefusals[e.code] ? inviteRefusals[e.code] + ' (' + e.code + ')' : e.message);

  async function invitePage(token) {
    generation++;
    invitation = null;
    for (const id of ['nav', 'view', 'signin']) $(id).hidden = true;
    $('invite').hidden = false;
    $('invite-button').hidden = true;
    $('invite-error').textContent = '';
    $('invite-what').textContent = 'Reading the invitation…';
    try {
      const ch = await api('/console/invitation/challenge', { method: 'POST', headers: csrfJson,
        body: JSON.stringify({ invitation: token }) });
      invitation = { token, ch };
      $('invite-what').textContent = 'You are invited as admin ' + ch.name + ' (scope ' + ch.scope + ') by ' +
        ch.invited_by + '. The link works once, until ' + when(ch.expires_at) +
        '. Registering ties your FIDO2 security key to this name.';
      $('invite-button').hidden = false;
    } catch (e) {
      $('invite-what').textContent = '';
      $('invite-error').textContent = 'This invitation cannot be used: ' + inviteRefusal(e);
    }
  }

  async function registerKey() {
    if (!invitation) return;
    const { token, ch } = invitation;
    $('invite-error').textContent = '';
    $('invite-button').disabled = true;
    try {
      const cred = await navigator.credentials.create({ publicKey: {
        challenge: fromB64url(ch.challenge), rp: { id: ch.rp_id, name: 'paw' },
        user: { id: fromB64url(ch.user_id), name: ch.name, displayName: ch.name },
        pubKeyCredParams: [{ type: 'public-key', alg: -7 }], timeout: 60000, attestation: 'none',
        authenticatorSelection: { residentKey: 'discouraged', userVerification: 'discouraged' } } });
      const res = await api('/console/invitation/register', { method: 'POST', headers: csrfJson,
        body: JSON.stringify({ invitation: token, credential_id: toB64url(cred.rawId),
          client_data_json: toB64url(cred.response.clientDataJSON),
          attestation_object: toB64url(cred.response.attestationObject) }) });
      invitation = null;
      history.replaceState(null, '', '#/');
      showSignin('Your security key is registered as admin ' + res.name + '. Sign in with it now.');
      $('admin-name').value = res.name;
    } catch (e) {
      $('invite-error').textContent = 'Registration failed: ' + inviteRefusal(e);
    }
    $('invite-button').disabled = false;
  }

  async function signOut() {
    try {
      await api('/console/logout', { method: 'POST', headers: { 'X-Paw-Csrf': '1', 'Content-Type': 'application/json' },
        body: '{}' });
    } catch (e) { /* an ended session is signed out as well */ }
    sessionStorage.removeItem('paw-admin');
    showSignin('Signed out.');
  }

  function graceUntil(d) {
    if (d.last_verdict !== 'warning' || !Array.isArray(d.last_reasons)) return 0;
    const g = d.last_reasons.map((r) => r.grace_until || 0);
    return g.length && g.every((x) => x > 0) ? Math.min(...g) : 0;
  }
  function countBy(list, key) {
    const m = {};
    for (const d of list) m[d[key]] = (m[d[key]] || 0) + 1;
    return m;
  }
  const cards = (title, counts) => [el('h2', {}, title), el('div', { class: 'cards' },
    Object.keys(counts).sort().map((k) => el('div', { class: 'card', id: 'count-' + title.split(' ')[0].toLowerCase() + '-' + k },
      el('div', { class: 'n' }, counts[k]), el('div', { class: 'k' }, k))))];

  function deviceTable(list) {
    return el('table', { id: 'device-table' },
      el('thead', {}, el('tr', {}, ['Device', 'Label', 'Owner', 'State', 'Verdict', 'Reasons', 'Last attested']
        .map((h) => el('th', {}, h)))),
      el('tbody', {}, list.map((d) => el('tr', { 'data-device': d.device_id },
        el('td', { class: 'mono' }, el('a', { href: '#/devices/' + encodeURIComponent(d.device_id) }, d.device_id)),
        el('td', {}, d.label), el('td', {}, d.owner), el('td', {}, badge(d.status)),
        el('td', { class: 'verdict' }, badge(d.last_verdict)),
        el('td', {}, (d.last_reasons || []).map((r) => r.code).join(', ')),
        el('td', {}, when(d.last_attested_at))))));
  }

  async function overview() {
    const { devices } = await api('/v1/admin/devices');
    const stale = devices.filter((d) => d.status === 'stale');
    const graced = devices.filter((d) => graceUntil(d) > now());
    showView('overview', el('h1', {}, 'Fleet overview'),
      el('p', { class: 'muted' }, devices.length + (devices.length === 1 ? ' device' : ' devices')),
      cards('State', countBy(devices, 'status')), cards('Verdict', countBy(devices, 'last_verdict')),
      el('h2', {}, 'Stale devices (no attestation within their policy\'s age)'),
      stale.length ? deviceTable(stale) : el('p', { class: 'muted' }, 'none'),
      el('h2', {}, 'Inside a grace period'),
      graced.length ? el('ul', {}, graced.map((d) => el('li', {},
        el('a', { href: '#/devices/' + encodeURIComponent(d.device_id) }, d.device_id),
        ' until ' + when(graceUntil(d))))) : el('p', { class: 'muted' }, 'none'));
  }

  async function deviceList() {
    const { devices } = await api('/v1/admin/devices');
    const q = el('input', { id: 'search', type: 'search', placeholder: 'search id, label, owner' });
    const opts = (id, label, values) => el('select', { id }, el('option', { value: '' }, label),
      [...new Set(values)].sort().map((v) => el('option', { value: v }, v)));
    const st = opts('filter-state', 'any state', devices.map((d) => d.status));
    const vd = opts('filter-verdict', 'any verdict', devices.map((d) => d.last_verdict));
    const holder = el('div', {});
    const render = () => {
      const needle = q.value.trim().toLowerCase();
      holder.replaceChildren(deviceTable(devices.filter((d) =>
        (!needle || [d.device_id, d.label, d.owner].some((s) => (s || '').toLowerCase().includes(needle))) &&
        (!st.value || d.status === st.value) && (!vd.value || d.last_verdict === vd.value))));
    };
    for (const c of [q, st, vd]) c.addEventListener('input', render);
    render();
    showView('devices', el('h1', {}, 'Devices'), el('div', { class: 'filters' }, q, st, vd), holder);
  }

  // newestEvents reads |device|'s events newest first (order=desc, filtered
  // by the verifier; wait=0: not audited per page) until |want| of them pass
  // |keep| or there are none older.
  async function newestEvents(device, keep, want) {
    let all = [];
    let before = '';
    for (let i = 0; i < 50; i++) {
      const r = await api('/v1/admin/events?order=desc&limit=1000&wait=0&device=' + encodeURIComponent(device) +
        (before ? '&before=' + before : ''));
      all = all.concat(r.events.filter(keep));
      before = r.before;
      if (!before || all.length >= want) break;
    }
    return all.slice(0, want);
  }

  const facts = (pairs) => el('dl', { class: 'facts' },
    pairs.map(([k, v]) => [el('dt', {}, k), el('dd', {}, v === '' || v === undefined || v === null ? 'none' : v)]));

  async function devicePage(id) {
    const d = await api('/v1/admin/devices/' + encodeURIComponent(id));
    // This device's events only (?device=): the fleet's would be thousands of
    // pages on a real fleet, and a device's attestations could lie past them.
    const history = await newestEvents(id, (e) => e.type === 'attestation', 100);
    const rec = d.record || {};
    const fido = rec.fido || null;
    const la = d.last_appraisal || {};
    const g = graceUntil(d);
    showView('device', el('h1', {}, 'Device ', el('span', { class: 'mono', id: 'device-id' }, d.device_id)),
      facts([['state', badge(d.status)], ['verdict', el('span', { id: 'device-verdict' }, badge(d.last_verdict))],
        ['grace', g ? 'until ' + when(g) : 'none'], ['owner', d.owner], ['label', d.label],
        ['enrolled', when(d.created_at)], ['last attested', when(d.last_attested_at)],
        ['last healthy', when(d.last_healthy_at)], ['last presence', when(d.last_presence_at)],
        ['policy assigned', d.policy], ['judged by', la.policy || ''],
        ['FIDO2 key', fido ? (fido.attestation_type || '') + ' attestation, AAGUID ' + (fido.aaguid || 'none') : 'none enrolled'],
        ['EK', rec.ek_tofu === true ? 'trusted on first use' : rec.ek_tofu === false ? 'certificate chains to a TPM vendor root' : ''],
        ['login key', rec.login_key ? 'jkt ' + rec.login_key.jkt : 'none']]),
      el('h2', {}, 'Reasons'),
      (d.last_reasons || []).length ? el('ul', { id: 'reasons' }, d.last_reasons.map((r) =>
        el('li', {}, el('b', {}, r.code), ': ' + r.message + (r.grace_until ? ' (grace until ' + when(r.grace_until) + ')' : ''))))
        : el('p', { class: 'muted', id: 'reasons' }, 'none'),
      el('h2', {}, 'Attestation history'),
      history.length ? el('ol', { class: 'timeline', id: 'timeline' }, history.map((e) => {
        const v = (e.detail && e.detail.verdict) || 'unknown';
        const codes = ((e.detail && e.detail.reasons) || []).map((r) => r.code).join(', ');
        return el('li', { class: v }, el('b', {}, v), ' ' + when(e.time) + (codes ? ' — ' + codes : ''),
          e.detail && e.detail.policy ? el('span', { class: 'muted' }, ' (' + e.detail.policy + ')') : null);
      })) : el('p', { class: 'muted' }, 'no attestation yet'),
      el('h2', {}, 'Stored record'), el('details', {}, el('summary', {}, 'JSON'),
        el('pre', {}, JSON.stringify({ record: d.record, state: d.state, last_appraisal: d.last_appraisal }, null, 2))));
  }

  function eventRow(e) {
    return el('tr', { 'data-event': e.id }, el('td', {}, e.id), el('td', {}, when(e.time)), el('td', {}, e.type),
      el('td', { class: 'mono' }, e.device_id ? el('a', { href: '#/devices/' + encodeURIComponent(e.device_id) }, e.device_id) : ''),
      el('td', { class: 'mono' }, JSON.stringify(e.detail)));
  }

  // eventStream: the newest page first (order=desc, wait=0: not audited per
  // page), an "older" button that pages back with before=, and new events
  // on top as they happen (long poll from the newest id shown).
  async function eventStream() {
    const mine = ++generation;
    const first = await api('/v1/admin/events?order=desc&limit=200&wait=0');
    let next = first.next;
    let before = first.before;
    const body = el('tbody', {}, first.events.map(eventRow));
    const older = el('button', { id: 'events-older', type: 'button' }, 'Older events');
    older.hidden = !before;
    older.addEventListener('click', async () => {
      older.disabled = true;
      try {
        const r = await api('/v1/admin/events?order=desc&limit=200&wait=0&before=' + before);
        if (mine !== generation) return;
        for (const e of r.events) body.appendChild(eventRow(e));
        before = r.before;
        older.hidden = !before;
      } catch (e) {
        if (e instanceof Unauthorized) { showSignin('Your session ended; sign in again.'); return; }
        $('events-error').textContent = e.message;
      }
      older.disabled = false;
    });
    showView('events', el('h1', {}, 'Events'), el('p', { class: 'muted' }, 'Newest first; new events appear as they happen.'),
      el('table', { id: 'event-table' }, el('thead', {}, el('tr', {}, ['#', 'Time', 'Type', 'Device', 'Detail']
        .map((h) => el('th', {}, h)))), body), el('p', {}, older), el('p', { class: 'error', id: 'events-error' }));
    // Long poll (wait=25): the verifier answers as soon as an event exists.
    while (mine === generation) {
      try {
        const r = await api('/v1/admin/events?limit=1000&wait=25&after=' + next);
        if (mine !== generation) break;
        for (const e of r.events) body.insertBefore(eventRow(e), body.firstChild);
        next = r.next;
      } catch (e) {
        if (e instanceof Unauthorized) { showSignin('Your session ended; sign in again.'); return; }
        await new Promise((res) => setTimeout(res, 5000));
      }
    }
  }

  async function policies(name) {
    if (name) {
      const p = await api('/v1/admin/policies/' + encodeURIComponent(name));
      showView('policies', el('h1', {}, 'Policy ' + name), el('p', {}, el('a', { href: '#/policies' }, '← all policies')),
        el('pre', { id: 'policy-json' }, JSON.stringify(p, null, 2)));
      return;
    }
    const list = (await api('/v1/admin/policies')).policies;
    showView('policies', el('h1', {}, 'Policies'), el('table', { id: 'policy-table' },
      el('thead', {}, el('tr', {}, ['Name', 'Version', 'Updated', 'Report mode on'].map((h) => el('th', {}, h)))),
      el('tbody', {}, list.map((p) => el('tr', {},
        el('td', {}, el('a', { href: '#/policies/' + encodeURIComponent(p.name) }, p.name)), el('td', {}, p.version),
        el('td', {}, when(p.updated_at)), el('td', {}, p.report_on || ''))))));
  }

  async function route() {
    generation++;
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'invite') return invitePage(parts[1] || '');
    try {
      if (parts[0] === 'devices' && parts[1]) await devicePage(parts[1]);
      else if (parts[0] === 'devices') await deviceList();
      else if (parts[0] === 'events') await eventStream();
      else if (parts[0] === 'policies') await policies(parts[1]);
      else await overview();
    } catch (e) {
      if (e instanceof Unauthorized) showSignin();
      else showView('error', el('p', { class: 'error', id: 'view-error' }, e.message));
    }
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('signin-form').addEventListener('submit', signIn);
    $('logout').addEventListener('click', signOut);
    $('invite-button').addEventListener('click', registerKey);
    window.addEventListener('hashchange', route);
    route();
  });
})();
