// The facilitator's console: login, the library, creating a session, the lobby, the live
// view with every control the server offers, the projector window and the debrief.

import {h, s, render, announce, fmtTime, fmtNum, store} from './dom.js';
import {t, tx, lang, errText} from './i18n.js';
import {api, whoami, login, logout, scenarios, scenario} from './api.js';
import {Live} from './live.js';
import {answerText, optionText, scoreLine, statementsBlock, tieText} from './questions.js';
import {branchGraph} from './graph.js';
import {qrSVG} from './qr.js';
import {go} from './app.js';
import {projectorURL, topKey} from './projector.js';
import {lensName, byText, injectName} from './words.js';
import {debriefPage} from './debrief.js';
import {worldOf, applySnapshot, applyEvent, timeLeft} from './watch.js';
import {addWords} from './i18n.js';
import {clockOf} from './injecttext.js';
import {clusterPanel} from './cluster.js';

addWords({
  'con.missing': 'Nog niet geantwoord',
  'con.missingNone': 'iedereen heeft geantwoord',
}, {
  'con.missing': 'Not answered yet',
  'con.missingNone': 'everyone has answered',
});

/** withLogin shows the login form until a facilitator is logged in, then runs page. */
function withLogin(root, page) {
  let inner = null;
  let stopped = false;
  const form = {name: '', password: '', error: ''};
  const showLogin = () => render(root,
    h('h1', t('login.title')),
    h('form', {class: 'card form', onsubmit: async e => {
      e.preventDefault();
      try {
        await login(form.name, form.password);
        form.password = '';
        if (!stopped) inner = page();
      } catch (err) {
        form.error = errText(err.code);
        showLogin();
        root.querySelector('#login-password').focus();
      }
    }},
    h('label', {class: 'field', for: 'login-name'}, h('span', t('login.name'))),
    h('input', {id: 'login-name', 'data-k': 'name', autocomplete: 'username', required: true, value: form.name,
      oninput: e => { form.name = e.target.value; }}),
    h('label', {class: 'field', for: 'login-password'}, h('span', t('login.password'))),
    h('input', {id: 'login-password', 'data-k': 'password', type: 'password', autocomplete: 'current-password', required: true,
      oninput: e => { form.password = e.target.value; }}),
    form.error ? h('p', {class: 'banner error', role: 'alert'}, form.error) : null,
    h('button', {type: 'submit', class: 'primary', 'data-k': 'login'}, t('login.submit')),
    h('p', {class: 'hint'}, t('login.hint'))));
  render(root, h('p', {class: 'muted'}, t('common.loading')));
  whoami().then(me => {
    if (stopped) return;
    if (me) inner = page(); else showLogin();
  }, e => render(root, h('p', {class: 'banner error', role: 'alert'}, errText(e.code))));
  return {
    stop: () => { stopped = true; if (inner && inner.stop) inner.stop(); },
    rerender: () => { if (inner && inner.rerender) inner.rerender(); else if (!inner) showLogin(); },
  };
}

function libMeta(sc) {
  return [sc.kind === 'quiz' ? t('lib.quiz') : t('lib.scenario'),
    sc.duration_ms ? t('lib.minutes', Math.round(sc.duration_ms / 60000)) : '',
    t('lib.questions', sc.questions)].filter(Boolean).join(' · ');
}

function fmtDate(s) {
  try { return new Date(s).toLocaleString(lang() === 'en' ? 'en-GB' : 'nl-NL', {dateStyle: 'medium', timeStyle: 'short'}); } catch { return s; }
}

/** facHome lists the facilitator's sessions and the library. */
export function facHome(root) {
  return withLogin(root, () => {
    let sessions = null, lib = null, error = '', cluster = null, timer = 0;
    const draw = () => whoami().then(me => render(root,
      h('div', {class: 'row between'}, h('h1', t('nav.fac')),
        h('p', {class: 'who'}, t('login.as', me ? me.user : ''), ' ',
          h('button', {type: 'button', class: 'link', onclick: async () => { await logout(); go('/fac'); }}, t('login.logout')))),
      error ? h('p', {class: 'banner error', role: 'alert'}, error) : null,
      h('h2', t('fac.sessions')),
      !sessions ? h('p', {class: 'muted'}, t('common.loading')) : sessions.length === 0 ? h('p', {class: 'muted'}, t('fac.noSessions')) :
        h('ul', {class: 'sessions'}, sessions.map(si => h('li', {class: 'card session-item'},
          h('a', {href: '#/fac/s/' + si.id}, tx(si.title) || si.scenario), ' ',
          h('span', {class: 'code'}, si.code), ' ',
          h('span', {class: 'muted'}, t('fac.created', fmtDate(si.created)), si.ended ? ' · ' + t('fac.ended') : ''),
          ' ', h('a', {href: '#/fac/s/' + si.id + '/debrief'}, t('con.debrief'))))),
      h('div', {class: 'row between'}, h('h2', t('fac.library')), h('a', {href: '#/check'}, t('nav.check'))),
      !lib ? h('p', {class: 'muted'}, t('common.loading')) : h('ul', {class: 'library'}, lib.scenarios.map(sc =>
        h('li', {class: 'card scenario', dataset: {scenario: sc.id}},
          h('h3', tx(sc.title)), h('p', {class: 'meta'}, libMeta(sc)), h('p', tx(sc.summary)),
          h('p', {class: 'actions'},
            h('a', {class: 'button primary', href: '#/fac/new/' + sc.id}, t('fac.prepare')), ' ',
            h('a', {class: 'button', href: '#/view/' + sc.id}, t('fac.viewSource')))))),
      me && me.admin && cluster ? clusterPanel(cluster, sessions) : null));
    api('GET', '/api/sessions').then(r => { sessions = r.sessions; draw(); }, e => { error = errText(e.code); draw(); });
    scenarios().then(l => { lib = l; draw(); }, e => { error = errText(e.code); draw(); });
    // The admin sees the servers, refreshed every 5 s while the page is open.
    const poll = async () => {
      const me = await whoami().catch(() => null);
      if (!me || !me.admin || timer < 0) return;
      try { cluster = await api('GET', '/api/cluster'); draw(); } catch { /* the next poll tries again */ }
      if (timer >= 0) timer = setTimeout(poll, 5000);
    };
    poll();
    draw();
    return {rerender: draw, stop: () => { clearTimeout(timer); timer = -1; }};
  });
}

/** facNew previews a scenario and creates a session of it. */
export function facNew(root, id) {
  return withLogin(root, () => {
    let sc = null, lib = null, error = '';
    const form = {lens: '', scope: 'shared', teams: null, extra: 0, roles: null};
    const create = async () => {
      const teams = sc.teams.filter(tm => form.teams.includes(tm.id));
      for (let k = 1; k <= form.extra; k++) {
        teams.push({id: 'team-' + (teams.length + 1), name: {nl: 'Team ' + (teams.length + 1), en: 'Team ' + (teams.length + 1)}});
      }
      if (form.scope === 'team' && !teams.length) { error = t('new.needTeams'); draw(); return; }
      const body = {scenario: id, lens: form.lens, scope: form.scope, roles: form.roles};
      if (form.scope === 'team') body.teams = teams;
      try {
        const info = await api('POST', '/api/sessions', body);
        go('/fac/s/' + info.id);
      } catch (e) {
        error = errText(e.code) + (e.message ? ` (${e.message})` : '');
        draw();
      }
    };
    const draw = () => {
      if (!sc) { render(root, error ? h('p', {class: 'banner error', role: 'alert'}, error) : h('p', {class: 'muted'}, t('common.loading'))); return; }
      form.lens = form.lens || sc.lens;
      if (!form.teams) form.teams = sc.teams.map(tm => tm.id);
      if (!form.roles) form.roles = sc.roles.map(r => r.id);
      render(root,
        h('p', h('a', {href: '#/fac'}, '← ' + t('common.back'))),
        h('h1', tx(sc.title)), h('p', {class: 'meta'}, libMeta(sc)), h('p', tx(sc.summary)),
        sc.roles.length ? h('p', h('strong', t('lib.roles') + ': '), sc.roles.map(r => tx(r.name)).join(', ')) : null,
        sc.teams.length ? h('p', h('strong', t('lib.teams') + ': '), sc.teams.map(r => tx(r.name)).join(', ')) : null,
        h('h2', t('lib.graph')), branchGraph(sc, null, {names: true}),
        h('details', {class: 'card'}, h('summary', t('lib.injects') + ` (${sc.injects.length})`),
          h('ol', {class: 'inject-list'}, sc.injects.map(i => h('li', h('strong', [i.clock, tx(i.title)].filter(Boolean).join(' · ')),
            tx(i.text) ? h('p', tx(i.text)) : null,
            i.questions.length ? h('ul', i.questions.map(q => h('li', tx(q.prompt), h('span', {class: 'muted'}, ` (${t('type.' + q.type)})`)))) : null)))),
        h('h2', t('new.title')),
        h('form', {class: 'card form', onsubmit: e => { e.preventDefault(); create(); }},
          h('label', {class: 'field', for: 'new-lens'}, h('span', t('new.lens'))),
          h('select', {id: 'new-lens', 'data-k': 'lens', onchange: e => { form.lens = e.target.value; }},
            lib.lenses.map(l => h('option', {value: l.id, selected: l.id === form.lens}, tx(l.title)))),
          h('fieldset', {class: 'options'}, h('legend', t('new.scope')),
            ['shared', 'team', 'participant'].map(sv => h('label', {class: 'option'},
              h('input', {type: 'radio', name: 'scope', value: sv, checked: form.scope === sv, 'data-k': 'scope-' + sv,
                onchange: () => { form.scope = sv; draw(); }}), h('span', t('scope.' + sv))))),
          form.scope === 'team' ? h('fieldset', {class: 'options'}, h('legend', t('new.teams')),
            sc.teams.map(tm => h('label', {class: 'option'}, h('input', {type: 'checkbox', checked: form.teams.includes(tm.id), 'data-k': 'team-' + tm.id,
              onchange: e => { form.teams = form.teams.filter(x => x !== tm.id); if (e.target.checked) form.teams.push(tm.id); }}), h('span', tx(tm.name)))),
            h('label', {class: 'field inline'}, h('span', t('new.extraTeams')),
              h('input', {type: 'number', min: 0, max: 20, value: form.extra, 'data-k': 'extra', onchange: e => { form.extra = Math.max(0, Math.min(20, +e.target.value || 0)); }}))) : null,
          sc.roles.length ? h('fieldset', {class: 'options'}, h('legend', t('new.roles')),
            sc.roles.map(r => h('label', {class: 'option'}, h('input', {type: 'checkbox', checked: form.roles.includes(r.id), 'data-k': 'role-' + r.id,
              onchange: e => { form.roles = form.roles.filter(x => x !== r.id); if (e.target.checked) form.roles.push(r.id); }}), h('span', tx(r.name))))) : null,
          error ? h('p', {class: 'banner error', role: 'alert'}, error) : null,
          h('button', {type: 'submit', class: 'primary', 'data-k': 'create'}, t('new.create'))));
    };
    Promise.all([scenario(id), scenarios()]).then(([d, l]) => { sc = d; lib = l; draw(); }, e => { error = errText(e.code); draw(); });
    draw();
    return {rerender: draw};
  });
}

// ---- the live console ----

/** facConsole runs the lobby and the live view of one session. */
export function facConsole(root, id) {
  return withLogin(root, () => new Console(root, id).start());
}

class Console {
  constructor(root, id) {
    this.root = root;
    this.id = id;
    this.info = null;
    this.sc = null;
    this.src = null;
    this.sess = null;
    this.agg = null;
    this.worlds = {}; // id → {deadlines: {q: local ms}, decisions: {q: answer}, revealed: {q: true}}
    this.texts = {}; // participant → question → {text, items, scored}
    this.history = {}; // world → [{name: value}]
    this.status = 'connecting';
    this.offset = 0; // server clock minus local clock
    this.pausedAt = 0;
    this.refs = 0;
    this.sent = {}; // ref → what it did, for the status line
    this.drafts = {};
    this.message = null;
    this.lenses = [];
    this.error = '';
  }

  start() {
    this.draw();
    api('GET', '/api/sessions/' + encodeURIComponent(this.id))
      .then(async info => {
        this.info = info;
        this.sc = await scenario(info.scenario, this.id);
        scenarios().then(l => { this.lenses = l.lenses || []; this.draw(); }, () => {});
        api('GET', '/api/scenarios/' + encodeURIComponent(info.scenario) + '/source').then(r => { this.src = r.scenario; this.draw(); }, () => {});
        this.live = new Live({
          hello: () => ({type: 'watch', session: this.id}),
          onMessage: m => this.onMessage(m),
          onStatus: st => { this.status = st; this.draw(); },
          onClose: code => { if (code === 4000 && this.sess) this.sess.phase = 'ended'; if (code === 4010) this.error = errText('unauthorized'); this.draw(); return code !== 4000 && code !== 4010; },
        });
        this.live.start();
        this.draw();
      }, e => { this.error = errText(e.code); this.draw(); });
    this.tick = setInterval(() => this.updateTimers(), 250);
    return {stop: () => this.stop(), rerender: () => this.draw()};
  }

  stop() {
    clearInterval(this.tick);
    if (this.live) this.live.stop();
  }

  world(id) {
    return worldOf(this, id);
  }

  onMessage(m) {
    switch (m.type) {
      case 'snapshot': {
        applySnapshot(this, m);
        this.trackHistory();
        this.loadReport();
        break;
      }
      case 'aggregates':
        this.agg = m.aggregates;
        this.trackHistory();
        break;
      case 'event':
        this.onEvent(m);
        break;
      case 'ack': {
        const what = this.sent[m.ref];
        delete this.sent[m.ref];
        if (what && what.rubric) {
          const r = what.rubric;
          const slot = (this.texts[r.participant] = this.texts[r.participant] || {})[r.question] || {};
          slot.items = r.items;
          slot.scored = true;
          this.texts[r.participant][r.question] = slot;
        }
        this.message = {ok: true, text: t('con.done')};
        break;
      }
      case 'error':
        delete this.sent[m.ref];
        this.message = {ok: false, text: t('con.failed', errText(m.code)) + (m.message ? ` (${m.message})` : '')};
        announce(this.message.text, true);
        break;
    }
    this.draw();
  }

  onEvent(m) {
    applyEvent(this, m);
    if (!this.sess) return;
    switch (m.kind) {
      case 'answer':
        if (m.answer && typeof m.answer.text === 'string') {
          (this.texts[m.participant] = this.texts[m.participant] || {})[m.question] = {text: m.answer.text, items: [], scored: false};
        }
        break;
    }
  }

  // loadReport fills in what the snapshot leaves out: the free-text answers given before
  // this console connected, their rubric marks, and each world's state at every inject.
  loadReport() {
    api('GET', '/api/sessions/' + encodeURIComponent(this.id) + '/report').then(rep => {
      for (const a of rep.answers) {
        if (typeof a.answer.text !== 'string') continue;
        const slot = (this.texts[a.participant] = this.texts[a.participant] || {});
        if (!slot[a.question] || !slot[a.question].scored) {
          slot[a.question] = {text: a.answer.text, items: a.answer.items || [], scored: !a.score.pending};
        }
      }
      for (const w of rep.worlds) {
        const wd = this.world(w.id);
        for (const d of w.decisions) {
          wd.decisions[d.question] = d.answer;
          if (d.tie) wd.ties[d.question] = d.tie;
        }
        const hist = w.path.map(st => Object.fromEntries((st.state || []).map(v => [v.name, v.value])));
        const cur = this.history[w.id] || [];
        if (hist.length > cur.length) this.history[w.id] = hist;
      }
      this.trackHistory();
      this.draw();
    }, () => {});
  }

  trackHistory() {
    if (!this.agg) return;
    for (const w of this.agg.worlds) {
      const vals = Object.fromEntries(w.state.map(v => [v.name, v.value]));
      const hist = this.history[w.id] = this.history[w.id] || [];
      const last = hist[hist.length - 1];
      if (!last || Object.keys(vals).some(k => last[k] !== vals[k])) hist.push(vals);
    }
  }

  send(msg, what) {
    const ref = 'c' + (++this.refs);
    this.sent[ref] = what || {};
    if (!this.live || !this.live.send({...msg, ref})) {
      this.message = {ok: false, text: t('err.network')};
      this.draw();
    }
  }

  // openProjector opens the projector in a window of its own, to drag onto the beamer.
  openProjector() {
    window.open(location.pathname + projectorURL(this.id), 'paraat-projector-' + this.id, 'popup,width=1280,height=720');
  }

  updateTimers() {
    for (const el of this.root.querySelectorAll('.countdown[data-w]')) {
      const left = timeLeft(this, el.dataset.w, el.dataset.q);
      if (left === null) { el.textContent = ''; continue; }
      const text = left > 0 ? fmtTime(left) : t('q.timeUp');
      if (el.textContent !== text) el.textContent = text;
    }
  }

  draw() {
    if (this.error) { render(this.root, h('p', {class: 'banner error', role: 'alert'}, this.error)); return; }
    if (!this.info || !this.sc) { render(this.root, h('p', {class: 'muted'}, t('common.loading'))); return; }
    render(this.root, this.consoleView());
    this.updateTimers();
  }

  roleName(id) {
    const r = this.sc.roles.find(r => r.id === id);
    return r ? tx(r.name) : id || '';
  }

  worldName(id) {
    if (id === 'main') return '';
    const tm = (this.info.teams || []).find(tm => tm.id === id);
    if (tm) return tx(tm.name);
    const p = this.agg && this.agg.participants.find(p => p.world === id);
    return p ? p.name : id;
  }

  inject(id) {
    return this.sc.injects.find(i => i.id === id);
  }

  questionAgg(world, q) {
    return this.agg && this.agg.questions.find(x => x.world === world && x.question === q);
  }

  joinBlock(big) {
    const url = this.info.join_url || (location.origin + '/join/' + this.info.code);
    let qr = null;
    try { qr = qrSVG(url, t('con.joinAt') + ' ' + url); } catch { qr = null; /* a link too long for a small code */ }
    return h('section', {class: ['join-block', big && 'big'], 'aria-label': t('con.lobby')},
      h('div', {}, h('p', {class: 'join-at'}, t('con.joinAt')),
        h('p', {class: 'join-url'}, h('a', {href: url}, url)),
        h('p', {class: 'join-code', 'aria-label': t('con.code') + ' ' + this.info.code.split('').join(' ')}, this.info.code),
        big ? null : h('button', {type: 'button', onclick: async () => {
          try { await navigator.clipboard.writeText(url); announce(t('con.copied')); this.message = {ok: true, text: t('con.copied')}; this.draw(); } catch { /* no clipboard on http */ }
        }}, t('con.copy'))),
      qr ? h('div', {class: 'qr'}, qr) : null);
  }

  // stepActions are the bar's buttons for the question at hand: open, close or reveal it in
  // every world where it is in that state (a team session acts on all teams at once).
  stepActions() {
    if (!this.agg || !this.sess || this.sess.phase !== 'running') return [];
    const running = !this.sess.paused;
    const groups = new Map(); // "open:q" → {q, worlds}
    for (const w of this.agg.worlds) {
      const inj = w.inject ? this.inject(w.inject) : null;
      if (!inj) continue;
      const wd = this.world(w.id);
      for (const q of inj.questions) {
        const ag = this.questionAgg(w.id, q.id);
        const st = ag ? ag.state : 'closed';
        const act = st === 'pending' ? 'open' : st === 'open' ? 'close' : !wd.revealed[q.id] ? 'reveal' : '';
        if (!act) continue;
        const k = act + ':' + q.id;
        if (!groups.has(k)) groups.set(k, {act, q, worlds: []});
        groups.get(k).worlds.push(w);
        break; // one step at a time per world: the first question not done yet
      }
    }
    return [...groups.values()].map(({act, q, worlds}) => {
      const label = t(act === 'open' ? 'con.openQ' : act === 'close' ? 'con.closeQ' : 'con.reveal');
      const send = () => {
        for (const w of worlds) {
          const msg = {type: act, question: q.id, world: w.id};
          if (act === 'open') {
            const d = this.drafts[w.id + '-' + q.id];
            const lim = Math.round(+(d ? d.limit : (q.time_limit_ms || 0) / 1000) * 1000);
            if (lim > 0) msg.time_limit_ms = lim;
          }
          this.send(msg);
        }
      };
      const ag = this.questionAgg(worlds[0].id, q.id);
      return h('span', {class: 'step'},
        h('button', {type: 'button', class: act === 'close' ? '' : 'primary', 'data-k': 'bar-' + act + '-' + q.id,
          disabled: act !== 'reveal' && !running, 'aria-describedby': 'bar-q-' + q.id, onclick: send}, label),
        h('span', {class: 'step-q', id: 'bar-q-' + q.id}, tx(q.prompt)),
        act === 'close' ? [h('span', {class: 'countdown bar-timer', role: 'timer', 'aria-label': t('q.timer'), dataset: {w: worlds[0].id, q: q.id}}),
          ag ? h('span', {class: 'step-count'}, t('con.answered', ag.answered, ag.asked)) : null] : null);
    });
  }

  toolbar() {
    const ph = this.sess ? this.sess.phase : 'lobby';
    const paused = this.sess && this.sess.paused;
    const b = (key, onclick, opts = {}) => h('button', {type: 'button', class: opts.cls || '', 'data-k': key, disabled: opts.disabled, onclick}, t('con.' + key));
    const confirmThen = (text, f) => () => { if (confirm(text)) f(); };
    return h('div', {class: 'toolbar actionbar', role: 'toolbar', 'aria-label': t('con.live')},
      h('span', {class: 'phase', dataset: {phase: ph}}, t('con.phase.' + ph), paused ? h('span', {class: 'badge bad'}, t('con.paused')) : null),
      ph === 'lobby' ? b('start', () => this.send({type: 'start'}), {cls: 'primary'}) : null,
      this.stepActions(),
      ph === 'running' ? [
        b('next', () => this.send({type: 'next'}), {disabled: paused}),
        b('nextOpen', () => this.send({type: 'next', open: true}), {disabled: paused}),
        paused ? b('resume', () => this.send({type: 'resume_session'}), {cls: 'primary'}) : b('pause', () => this.send({type: 'pause'})),
      ] : null,
      h('span', {class: 'bar-end'},
        h('button', {type: 'button', 'data-k': 'presenter', onclick: () => this.openProjector()}, t('pj.open')),
        ph !== 'ended' ? b('end', confirmThen(t('con.endConfirm'), () => this.send({type: 'end'})), {cls: 'danger'}) : null,
        h('a', {class: 'button', href: '#/fac/s/' + this.id + '/debrief', 'data-k': 'debrief'}, t('con.debrief'))),
      h('p', {class: ['action-status', this.message && (this.message.ok ? 'ok' : 'error')], role: 'status'}, this.message ? this.message.text : ''));
  }

  topSetting() {
    const on = Number(store.get(topKey(this.id)) || 0) > 0;
    return h('label', {class: 'option top-setting'},
      h('input', {type: 'checkbox', checked: on, 'data-k': 'top-n', onchange: e => { store.set(topKey(this.id), e.target.checked ? 5 : null); this.draw(); }}),
      h('span', t('pj.topSetting'), h('br'), h('span', {class: 'hint'}, t('pj.topHint'))));
  }

  consoleView() {
    const ph = this.sess ? this.sess.phase : 'lobby';
    const parts = [
      h('p', h('a', {href: '#/fac'}, '← ' + t('common.back'))),
      h('div', {class: 'row between'},
        h('h1', tx(this.info.title)),
        h('p', {class: 'conn conn-' + (this.status === 'open' ? 'online' : this.status === 'offline' ? 'offline' : 'connecting'), role: 'status'},
          h('span', {class: 'dot', 'aria-hidden': 'true'}), t(this.status === 'open' ? 'play.online' : this.status === 'offline' ? 'play.offline' : 'play.connecting'))),
      h('p', {class: 'meta'}, h('span', {class: 'phase', dataset: {phase: ph}}, t('con.phase.' + ph)),
        this.sess && this.sess.paused ? h('span', {class: 'badge bad'}, t('con.paused')) : null,
        ' · ', lensName(this.lenses, this.info.lens), ' · ', t('scope.' + this.info.scope), ' · ', h('span', {class: 'code'}, this.info.code)),
      this.toolbar(),
    ];
    if (!this.sess || !this.agg) return h('div', parts, h('p', {class: 'muted'}, t('play.connecting')));
    if (ph === 'lobby') parts.push(this.joinBlock(false));
    if (ph !== 'running') parts.push(this.topSetting());
    parts.push(h('div', {class: 'console-grid'},
      h('div', {class: 'worlds'}, this.agg.worlds.map(w => this.worldCard(w))),
      this.participantsPanel(ph !== 'lobby')));
    if (ph === 'ended') parts.push(h('p', {class: 'card notice'}, h('a', {href: '#/fac/s/' + this.id + '/debrief'}, t('con.debrief') + ' →')));
    parts.push(this.exports());
    return h('div', {class: 'console'}, parts);
  }

  exports() {
    const base = '/api/sessions/' + encodeURIComponent(this.id);
    return h('p', {class: 'exports'}, h('strong', t('con.exports') + ': '),
      h('a', {href: base + '/report.csv', download: ''}, t('con.csv')), ' · ',
      h('a', {href: base + '/report', target: '_blank', rel: 'noopener'}, t('con.json')), ' · ',
      h('a', {href: '/sessions/' + encodeURIComponent(this.id) + '/report', target: '_blank', rel: 'noopener'}, t('con.print')));
  }

  participantsPanel(compact) {
    const ps = this.agg.participants;
    return h('section', {class: 'card participants', 'aria-labelledby': 'parts-title'},
      h('h2', {id: 'parts-title'}, t('con.participants', ps.filter(p => !p.removed).length)),
      ps.length === 0 ? h('p', {class: 'muted'}, t('con.noParticipants')) :
        h('table', {class: 'table'}, h('thead', h('tr', h('th', t('deb.name')), h('th', t('lib.roles')),
          this.info.scope !== 'shared' ? h('th', t('lib.teams')) : null, h('th', t('deb.points')), h('th', h('span', {class: 'sr-only'}, t('con.remove', ''))))),
        h('tbody', ps.map(p => h('tr', {class: p.removed ? 'removed' : '', dataset: {participant: p.id}},
          h('td', h('span', {class: 'dot ' + (p.removed ? 'gone' : p.connected ? 'on' : 'off'), role: 'img',
            'aria-label': p.removed ? t('con.removedP') : p.connected ? t('con.connected') : t('con.disconnected')}), ' ', h('span', {class: 'pname'}, p.name)),
          h('td', this.roleName(p.role)),
          this.info.scope !== 'shared' ? h('td', this.worldName(p.team || p.world)) : null,
          h('td', compact && p.total.max ? `${fmtNum(p.total.points, lang())} / ${fmtNum(p.total.max, lang())}` : String(p.answered.length)),
          h('td', p.removed ? t('con.removedP') : h('button', {type: 'button', class: 'icon danger', 'aria-label': t('con.remove', p.name),
            onclick: () => { if (confirm(t('con.removeConfirm', p.name))) this.send({type: 'remove', participant: p.id}); }}, '✕')))))));
  }

  worldCard(w) {
    const wd = this.world(w.id);
    const inj = w.inject ? this.inject(w.inject) : null;
    const name = this.worldName(w.id);
    const ending = w.ending ? this.sc.endings.find(e => e.id === w.ending) : null;
    return h('section', {class: 'card world-card', dataset: {world: w.id}, 'aria-label': name ? t('con.world', name) : t('con.live')},
      name ? h('h2', t('con.world', name)) : null,
      inj ? h('details', {class: 'inject'},
        h('summary', h('span', {class: 'clock'}, clockOf(inj)), ' ', h('strong', tx(inj.title) || t('words.unnamed'))),
        tx(inj.text) ? h('p', {class: 'inject-text'}, tx(inj.text)) : null) : null,
      ending ? h('p', {class: 'ending'}, h('strong', t('con.ending', tx(ending.title)))) : null,
      w.state.length ? h('details', {class: 'world-state'}, h('summary', t('play.state')),
        this.gauges(w),
        h('p', {class: 'path muted'}, t('con.path') + ': ' + w.path.map(i => injectName(this.sc, i)).join(' → '))) : null,
      inj ? inj.questions.map(q => this.questionPanel(w, wd, q)) : null);
  }

  gauges(w) {
    if (!w.state.length) return null;
    const hist = this.history[w.id] || [];
    const bounds = name => {
      const v = this.src && this.src.state.find(v => v.name === name);
      const vals = hist.map(x => x[name]).filter(x => typeof x === 'number');
      return {min: v && v.min !== undefined ? v.min : Math.min(0, ...vals), max: v && v.max !== undefined ? v.max : Math.max(1, ...vals),
        label: v ? tx(v.label) : ''};
    };
    return h('div', {class: 'gauges', 'aria-label': t('con.gauges')}, w.state.map(v => {
      const b = bounds(v.name);
      if (typeof v.value !== 'number') return h('p', {class: 'gauge'}, `${b.label || t('words.unnamed')}: ${v.value ? t('common.yes') : t('common.no')}`);
      const frac = b.max > b.min ? (v.value - b.min) / (b.max - b.min) : 0;
      return h('div', {class: 'gauge'},
        h('span', {class: 'gauge-label', id: `g-${w.id}-${v.name}`}, b.label || t('words.unnamed')),
        h('span', {class: 'meter', role: 'meter', 'aria-labelledby': `g-${w.id}-${v.name}`, 'aria-valuenow': v.value, 'aria-valuemin': b.min, 'aria-valuemax': b.max},
          h('span', {class: 'meter-fill', style: {width: Math.max(0, Math.min(1, frac)) * 100 + '%'}})),
        h('span', {class: 'gauge-value'}, fmtNum(v.value, lang())),
        sparkline(hist.map(x => x[v.name]).filter(x => typeof x === 'number'), b.min, b.max, t('con.overTime') + ' ' + (b.label || t('words.unnamed'))));
    }));
  }

  questionPanel(w, wd, q) {
    const ag = this.questionAgg(w.id, q.id);
    const state = ag ? ag.state : 'closed';
    const decision = wd.decisions[q.id];
    const revealed = wd.revealed[q.id];
    const key = w.id + '-' + q.id;
    const draft = this.drafts[key] = this.drafts[key] || {limit: q.time_limit_ms ? q.time_limit_ms / 1000 : ''};
    const controls = [];
    const running = this.sess.phase === 'running' && !this.sess.paused;
    if (state === 'pending') {
      controls.push(h('label', {class: 'field inline'}, h('span', t('con.limit')),
        h('input', {type: 'number', min: 0, max: 86400, value: draft.limit, 'data-k': key + '-limit', class: 'short',
          oninput: e => { draft.limit = e.target.value; }})),
      h('button', {type: 'button', class: 'primary', 'data-k': key + '-open', disabled: !running, onclick: () => {
        const msg = {type: 'open', question: q.id, world: w.id};
        const lim = Math.round(+draft.limit * 1000);
        if (lim > 0) msg.time_limit_ms = lim;
        this.send(msg);
      }}, t('con.openQ')));
    }
    if (state === 'open') {
      controls.push(h('button', {type: 'button', 'data-k': key + '-close', disabled: !running,
        onclick: () => this.send({type: 'close', question: q.id, world: w.id})}, t('con.closeQ')));
    }
    if (state === 'closed' && !revealed) {
      controls.push(h('button', {type: 'button', class: 'primary', 'data-k': key + '-reveal',
        onclick: () => this.send({type: 'reveal', question: q.id, world: w.id})}, t('con.reveal')));
    }
    const decidable = !decision && this.info.scope !== 'participant' && this.sess.phase === 'running' && (state !== 'closed' || q.decides === 'facilitator');
    return h('section', {class: ['q-panel', 'q-' + state], dataset: {question: q.id}},
      h('div', {class: 'row between'},
        h('h4', tx(q.prompt)),
        h('span', {class: 'badge state-' + state}, t('con.state.' + state))),
      h('p', {class: 'meta'}, t('type.' + q.type), ' · ', t('q.decidedBy', byText(q.decides, this.sc.roles)),
        q.roles.length ? ' · ' + q.roles.map(r => this.roleName(r)).join(', ') : '',
        ag ? ' · ' : '', ag ? h('span', {class: 'answered'}, t('con.answered', ag.answered, ag.asked)) : null,
        state === 'open' ? [' · ', h('span', {class: 'countdown', role: 'timer', 'aria-label': t('q.timer'), dataset: {w: w.id, q: q.id}})] : null),
      ag && ['choice', 'multi', 'rank'].includes(q.type) ? distribution(q, ag) : null,
      decision ? h('p', {class: 'decision'}, t('q.decision', answerText(q, decision))) : null,
      decision && wd.ties[q.id] ? h('p', {class: 'tie muted'}, tieText(q, wd.ties[q.id])) : null,
      revealed ? h('p', {class: 'badge good'}, t('con.revealed')) : null,
      state === 'open' ? this.missing(w, q) : null,
      h('div', {class: 'controls'}, controls),
      // Deciding is the facilitator's job for some questions: open. Otherwise it overrides
      // the room, which is the exception: folded.
      decidable ? (q.decides === 'facilitator' ? this.decideForm(w, q, key)
        : h('details', {class: 'decide-fold'}, h('summary', t('con.decideAs')), this.decideForm(w, q, key))) : null,
      q.type === 'text' ? this.textPanel(w, q) : null);
  }

  // missing names who in the world is asked the question and has not answered it yet.
  missing(w, q) {
    const asked = this.agg.participants.filter(p => p.world === w.id && !p.removed && (!q.roles.length || q.roles.includes(p.role)));
    const left = asked.filter(p => !p.answered.includes(q.id));
    if (!asked.length) return null;
    return h('p', {class: 'missing'}, h('strong', t('con.missing') + ': '),
      left.length ? left.map(p => p.name).join(', ') : t('con.missingNone'));
  }

  decideForm(w, q, key) {
    const d = this.drafts[key + '-decide'] = this.drafts[key + '-decide'] || {};
    let input;
    if (q.type === 'choice') {
      input = h('select', {'data-k': key + '-decide-sel', 'aria-label': t('con.decideAs'), onchange: e => { d.option = e.target.value; }},
        h('option', {value: ''}, '—'), q.options.map(o => h('option', {value: o.id, selected: d.option === o.id}, tx(o.text))));
    } else if (q.type === 'number') {
      input = h('input', {type: 'text', inputmode: 'decimal', class: 'short', 'aria-label': t('con.decideAs'), value: d.number ?? '', 'data-k': key + '-decide-num', oninput: e => { d.number = e.target.value; }});
    } else if (q.type === 'text') {
      input = h('input', {type: 'text', 'aria-label': t('con.decideAs'), value: d.text ?? '', 'data-k': key + '-decide-text', oninput: e => { d.text = e.target.value; }});
    } else if (q.type === 'multi') {
      d.options = d.options || [];
      input = h('fieldset', {class: 'decide-multi'}, h('legend', {class: 'muted'}, t('con.decideAs')),
        q.options.map(o => h('label', {},
          h('input', {type: 'checkbox', 'data-k': key + '-decide-' + o.id, checked: d.options.includes(o.id),
            onchange: e => { d.options = e.target.checked ? [...d.options, o.id] : d.options.filter(x => x !== o.id); }}),
          ' ', tx(o.text))));
    } else if (q.type === 'rank') {
      d.order = d.order || q.options.map(o => o.id);
      const move = (i, by) => {
        const j = i + by;
        if (j < 0 || j >= d.order.length) return;
        [d.order[i], d.order[j]] = [d.order[j], d.order[i]];
        this.draw();
      };
      input = h('ol', {class: 'decide-rank'}, d.order.map((id, i) => {
        const label = optionText(q, id);
        return h('li', {}, label, ' ',
          h('button', {type: 'button', 'data-k': key + '-decide-up-' + id, 'aria-label': t('q.up', label), disabled: i === 0, onclick: () => move(i, -1)}, '↑'),
          h('button', {type: 'button', 'data-k': key + '-decide-down-' + id, 'aria-label': t('q.down', label), disabled: i === d.order.length - 1, onclick: () => move(i, 1)}, '↓'));
      }));
    } else {
      return null;
    }
    const submit = () => {
      let answer = null;
      if (q.type === 'multi') answer = {options: d.options};
      if (q.type === 'rank') answer = {options: d.order};
      if (q.type === 'choice' && d.option) answer = {option: d.option};
      if (q.type === 'number' && String(d.number ?? '').trim() !== '' && Number.isFinite(+String(d.number).replace(',', '.'))) answer = {number: +String(d.number).replace(',', '.')};
      if (q.type === 'text' && String(d.text ?? '').trim()) answer = {text: String(d.text).trim()};
      if (answer) this.send({type: 'decide', world: w.id, question: q.id, answer});
    };
    return h('div', {class: 'decide row'}, h('span', {class: 'muted'}, t('con.decideAs') + ': '), input,
      h('button', {type: 'button', 'data-k': key + '-decide', onclick: submit}, t('con.decide')));
  }

  textPanel(w, q) {
    const rows = [];
    for (const p of this.agg.participants) {
      if (p.world !== w.id) continue;
      const a = this.texts[p.id] && this.texts[p.id][q.id];
      if (!a) continue;
      const key = 'rubric-' + p.id + '-' + q.id;
      const d = this.drafts[key] = this.drafts[key] || {items: [...(a.items || [])]};
      const pts = (q.rubric || []).filter(it => (a.items || []).includes(it.id)).reduce((n, it) => n + it.points, 0);
      rows.push(h('li', {class: 'text-answer', dataset: {participant: p.id}},
        h('p', h('strong', p.name + ': ')), h('blockquote', {class: 'free-text'}, a.text),
        h('fieldset', {class: 'options compact'}, h('legend', {class: 'sr-only'}, t('view.rubric') + ' ' + p.name),
          (q.rubric || []).map(it => h('label', {class: 'option'},
            h('input', {type: 'checkbox', checked: d.items.includes(it.id), 'data-k': key + '-' + it.id, onchange: e => {
              d.items = d.items.filter(x => x !== it.id);
              if (e.target.checked) d.items.push(it.id);
            }}), h('span', tx(it.text) + ` (${fmtNum(it.points, lang())})`)))),
        h('button', {type: 'button', 'data-k': key + '-score', onclick: () => this.send({type: 'rubric', participant: p.id, question: q.id, items: [...d.items]},
          {rubric: {participant: p.id, question: q.id, items: [...d.items]}})}, t('con.score')),
        a.scored ? h('span', {class: 'badge good'}, t('con.scored', fmtNum(pts, lang()), fmtNum((q.rubric || []).reduce((n, it) => n + it.points, 0), lang()))) : null));
    }
    return h('div', {class: 'text-answers'}, h('h5', t('con.textAnswers')),
      rows.length ? h('ul', rows) : h('p', {class: 'muted'}, t('con.noText')));
  }
}

/** distribution draws the answers to a choice as bars, with the numbers as text. */
function distribution(q, ag) {
  const total = Object.values(ag.distribution).reduce((a, b) => a + b, 0);
  const max = Math.max(1, ...Object.values(ag.distribution));
  return h('figure', {class: 'distribution'},
    h('figcaption', {class: 'sr-only'}, t('con.distribution')),
    h('ul', q.options.map(o => {
      const n = ag.distribution[o.id] || 0;
      const pct = total ? Math.round(n / total * 100) : 0;
      return h('li', {class: 'bar-row', dataset: {option: o.id}},
        h('span', {class: 'bar-label'}, tx(o.text)),
        h('span', {class: 'bar', 'aria-hidden': 'true'}, h('span', {class: 'bar-fill', style: {width: (n / max * 100) + '%'}})),
        h('span', {class: 'bar-value'}, t('con.votes', n, pct)));
    })));
}

function sparkline(values, min, max, label) {
  if (values.length < 2) return null;
  const w = 120, hgt = 28;
  const span = max - min || 1;
  const pts = values.map((v, i) => `${(i / (values.length - 1) * w).toFixed(1)},${(hgt - 2 - (v - min) / span * (hgt - 4)).toFixed(1)}`).join(' ');
  return s('svg', {class: 'spark', viewBox: `0 0 ${w} ${hgt}`, width: w, height: hgt, role: 'img', 'aria-label': label + ': ' + values.join(', ')},
    s('polyline', {points: pts, class: 'spark-line'}));
}

// ---- the debrief ----

/** facDebrief shows the after-action report of a session. */
export function facDebrief(root, id) {
  return withLogin(root, () => debriefPage(root, id));
}
