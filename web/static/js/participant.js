// Joining a live session and taking part in it.

import {h, render, store, uuid} from './dom.js';
import {t, tx, errText, lang} from './i18n.js';
import {api} from './api.js';
import {Player} from './play.js';
import {go} from './app.js';

const PART = 'paraat.part';
let joining = null; // the join message, from the join form to the play page

function normCode(c) {
  return String(c || '').toUpperCase().replace(/[\s-]/g, '');
}

/** joinPage asks for the code, then the name, role and team. */
export function joinPage(root, code) {
  const saved = store.get(PART);
  if (code && saved && normCode(saved.code) === normCode(code)) {
    go('/play');
    return null;
  }
  let info = null;
  let error = '';
  let busy = false;
  const form = {code: code ? normCode(code) : '', name: '', role: '', team: ''};
  const lookup = async () => {
    busy = true; error = ''; draw();
    try {
      info = await api('GET', '/api/join/' + encodeURIComponent(normCode(form.code)));
    } catch (e) {
      error = errText(e.code);
      info = null;
    }
    busy = false;
    draw();
    const el = root.querySelector(info ? '#join-name' : '#join-code');
    if (el) el.focus();
  };
  const draw = () => {
    const parts = [h('h1', t('join.title'))];
    if (saved && !info) {
      parts.push(h('section', {class: 'card'}, h('p', t('join.resume')),
        h('button', {type: 'button', class: 'primary', onclick: () => go('/play')}, t('join.continue'))));
    }
    if (!info) {
      parts.push(h('form', {class: 'card form', onsubmit: e => { e.preventDefault(); lookup(); }},
        h('label', {class: 'field', for: 'join-code'}, h('span', t('join.code'))),
        h('input', {id: 'join-code', class: 'code-input', 'data-k': 'code', autocomplete: 'off', autocapitalize: 'characters',
          spellcheck: 'false', required: true, maxlength: 12, value: form.code, 'aria-describedby': 'code-hint',
          oninput: e => { form.code = e.target.value; }}),
        h('p', {class: 'hint', id: 'code-hint'}, t('join.codeHint')),
        error ? h('p', {class: 'banner error', role: 'alert'}, error) : null,
        h('button', {type: 'submit', class: 'primary', disabled: busy}, t('join.find'))));
    } else {
      const choice = (label, name, list, key) => list.length ? h('fieldset', {class: 'options'}, h('legend', label),
        h('label', {class: 'option'}, h('input', {type: 'radio', name, value: '', checked: form[key] === '',
          onchange: () => { form[key] = ''; }}), h('span', t('join.any'))),
        list.map(r => h('label', {class: 'option'}, h('input', {type: 'radio', name, value: r.id, checked: form[key] === r.id,
          'data-k': name + '-' + r.id, onchange: () => { form[key] = r.id; }}), h('span', tx(r.name))))) : null;
      parts.push(h('form', {class: 'card form', onsubmit: e => {
        e.preventDefault();
        // The id makes the join idempotent: sent again after a lost connection, it gives the
        // same participant, not a second one.
        joining = {type: 'join', code: normCode(form.code), name: form.name.trim(), lang: lang(), id: uuid()};
        if (form.role) joining.role = form.role;
        if (form.team) joining.team = form.team;
        joining.display = form.code;
        go('/play');
      }},
      h('p', {class: 'session-title'}, tx(info.title)),
      h('label', {class: 'field', for: 'join-name'}, h('span', t('join.name'))),
      h('input', {id: 'join-name', 'data-k': 'name', required: true, maxlength: 40, autocomplete: 'nickname', value: form.name,
        oninput: e => { form.name = e.target.value; }}),
      choice(t('join.role'), 'role', info.roles || [], 'role'),
      info.scope === 'team' ? choice(t('join.team'), 'team', info.teams || [], 'team') : null,
      h('button', {type: 'submit', class: 'primary', 'data-k': 'join'}, t('join.submit'))));
    }
    render(root, parts);
  };
  draw();
  if (form.code) lookup();
  return {rerender: draw};
}

/** playPage is the participant's live view. */
export function playPage(root) {
  const saved = store.get(PART);
  let opts;
  if (joining) {
    const j = joining;
    joining = null;
    const msg = {...j};
    delete msg.display;
    opts = {join: msg, onWelcome: w => {
      if (w.token) store.set(PART, {token: w.token, session: w.session, code: j.code, lastSeq: 0});
    }};
  } else if (saved && saved.token) {
    opts = {token: saved.token, session: saved.session, lastSeq: saved.lastSeq || 0};
  } else {
    go('/join');
    return null;
  }
  const leave = () => {
    store.set(PART, null);
    if (player.session) store.set('paraat.pending.' + player.session, null);
    player.stop();
    go('/join');
  };
  opts.backHref = '#/join';
  opts.onLost = code => {
    if (code === 'unauthorized' || code === 'removed' || code === 'expired') store.set(PART, null);
  };
  opts.onEnded = () => { store.set(PART, null); };
  let seqSaved = 0;
  opts.onSeq = seq => {
    // The sequence number is only an optimisation for resume: write it now and then.
    if (seq - seqSaved < 5) return;
    seqSaved = seq;
    const p = store.get(PART);
    if (p) store.set(PART, {...p, lastSeq: seq});
  };
  opts.extra = () => h('p', {class: 'leave'}, h('button', {type: 'button', class: 'link', onclick: () => {
    if (confirm(t('play.leave') + '?')) leave();
  }}, t('play.leave')));
  const player = new Player(root, opts);
  player.start();
  return {stop: () => player.stop(), rerender: () => player.render()};
}
