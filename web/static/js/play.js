// The participant's side of a session, live or self-study: one connection, the world and
// the participant's own answers as the server sends them, and answers that are never lost
// or doubled. An answer is kept in localStorage with its client UUID until the server
// acknowledges it; after a reconnect or a reload it is re-sent with the same id, and the
// server, which dedupes by id, acknowledges it again without storing it twice.

import {h, render, announce, uuid, store, fmtTime, fmtNum} from './dom.js';
import {t, tx, lang, errText, addWords} from './i18n.js';

addWords({
  'play.endedShort': 'Sessie afgelopen',
  'play.feedbackIn': 'Feedback op je antwoord staat klaar',
  'play.firstInject': 'De oefening begint: {0}',
  'play.noNetwork': 'Geen netwerk — wacht op verbinding',
  'play.noNetworkOne': 'Geen netwerk — je antwoord wacht hier',
  'play.noNetworkMany': 'Geen netwerk — {0} antwoorden wachten hier',
}, {
  'play.endedShort': 'Session ended',
  'play.feedbackIn': 'Feedback on your answer is ready',
  'play.firstInject': 'The exercise begins: {0}',
  'play.noNetwork': 'No network — waiting for a connection',
  'play.noNetworkOne': 'No network — your answer waits here',
  'play.noNetworkMany': 'No network — {0} answers wait here',
});
import {Live} from './live.js';
import {answerForm, answerText, feedbackBlock, tieText, timerEl} from './questions.js';
import {clockOf, injectText} from './injecttext.js';

// Refusals after which re-sending the same answer can never succeed.
const FINAL_ERRORS = new Set(['closed', 'invalid', 'forbidden', 'not_found', 'duplicate', 'bad_json', 'too_large']);

/**
 * Player runs one participation. opts: token (to resume) or join (a join message), session,
 * study (self-study: a next button, self-scored rubrics), onWelcome(welcome), onLost(code)
 * when the token no longer works, onEnded(), renderExtra(player) for what study adds.
 */
export class Player {
  constructor(root, opts) {
    this.root = root;
    this.opts = opts;
    this.token = opts.token || '';
    this.session = opts.session || '';
    this.lastSeq = opts.lastSeq || 0;
    this.welcome = null;
    this.sess = null;
    this.world = null;
    this.me = null;
    this.status = 'connecting';
    this.drafts = {};
    this.errors = {};
    this.timers = {};
    this.final = ''; // ended | removed | lost
    this.pending = this.session ? store.get('paraat.pending.' + this.session) || {} : {};
    // What was selected but not sent survives a reload too.
    this.drafts = this.session ? store.get('paraat.drafts.' + this.session) || {} : {};
    this.draftsSaved = JSON.stringify(this.drafts);
    this.fedback = null; // questions whose feedback has been announced
    this.live = new Live({
      hello: () => this.token
        ? {type: 'resume', token: this.token, last_seq: this.lastSeq}
        : (this.welcome ? null : this.opts.join),
      onMessage: m => this.onMessage(m),
      onStatus: s => {
        if (s === 'offline' && this.status === 'open' && !this.final) announce(t('play.offline'), true);
        this.status = s;
        this.render();
      },
      onClose: code => this.onClose(code),
    });
    this.tick = setInterval(() => { this.updateTimers(); this.saveDrafts(); }, 250);
  }

  saveDrafts() {
    if (!this.session) return;
    const j = JSON.stringify(this.drafts);
    if (j === this.draftsSaved) return;
    this.draftsSaved = j;
    store.set('paraat.drafts.' + this.session, j === '{}' ? null : this.drafts);
  }

  start() {
    this.render();
    this.live.start();
  }

  stop() {
    clearInterval(this.tick);
    this.live.stop();
  }

  savePending() {
    if (this.session) store.set('paraat.pending.' + this.session, Object.keys(this.pending).length ? this.pending : null);
  }

  onMessage(m) {
    if (typeof m.seq === 'number' && m.type === 'event' && m.seq > this.lastSeq) {
      this.lastSeq = m.seq;
      if (this.opts.onSeq) this.opts.onSeq(m.seq);
    }
    switch (m.type) {
      case 'welcome':
        this.welcome = m;
        this.session = m.session;
        if (m.token) this.token = m.token;
        this.pending = {...(store.get('paraat.pending.' + this.session) || {}), ...this.pending};
        this.drafts = {...(store.get('paraat.drafts.' + this.session) || {}), ...this.drafts};
        if (this.opts.onWelcome) this.opts.onWelcome(m);
        break;
      case 'snapshot':
        this.sess = m.session;
        this.lastSeq = Math.max(this.lastSeq, m.seq);
        if (this.opts.onSeq) this.opts.onSeq(this.lastSeq);
        this.setWorld(m.world || null, true);
        this.me = m.me || null;
        this.settle();
        this.noteFeedback(true);
        this.resend();
        break;
      case 'world':
        this.setWorld(m.world);
        break;
      case 'me':
        this.me = m.me;
        this.settle();
        this.noteFeedback(false);
        break;
      case 'event':
        this.onEvent(m);
        break;
      case 'ack':
        if (m.id && this.pending[m.question] && this.pending[m.question].id === m.id) {
          delete this.pending[m.question];
          delete this.errors[m.question];
          this.savePending();
          announce(t('q.received'));
        }
        if (m.mine && this.me) {
          // The answer as it now stands in this participant's view, instead of the whole view.
          this.me.answers = this.me.answers.filter(a => a.question !== m.mine.question).concat([m.mine]);
          this.settle();
        }
        if (this.opts.onAck) this.opts.onAck(m);
        break;
      case 'error':
        this.onError(m);
        break;
    }
    this.render();
  }

  onEvent(m) {
    // Replayed events (no `sent`) are already part of the snapshot that came before them.
    if (!this.sess || !m.sent) return;
    switch (m.kind) {
      case 'started': this.sess.phase = 'running'; break;
      case 'paused': this.sess.paused = true; announce(t('play.paused')); break;
      case 'resumed': this.sess.paused = false; break;
      case 'ended': this.sess.phase = 'ended'; this.final = 'ended'; announce(t('play.ended')); break;
      case 'removed': this.final = 'removed'; break;
    }
  }

  onError(m) {
    if (!this.welcome || !this.live.ready) {
      // The hello was refused: the token no longer works, or the code is wrong or expired.
      this.live.stop();
      this.final = m.code === 'expired' ? 'ended' : 'lost';
      this.helloError = m.code;
      if (this.opts.onLost) this.opts.onLost(m.code);
      return;
    }
    const q = Object.keys(this.pending).find(k => this.pending[k].id === m.ref);
    if (q) {
      this.errors[q] = m.code;
      if (FINAL_ERRORS.has(m.code)) {
        delete this.pending[q];
        this.savePending();
      } else {
        setTimeout(() => this.resend(), 1000 + Math.random() * 2000);
      }
      announce(errText(m.code), true);
      return;
    }
    this.notice = errText(m.code);
  }

  onClose(code) {
    if (code === 4000) { this.final = 'ended'; if (this.sess) this.sess.phase = 'ended'; }
    if (code === 4001) { this.final = 'removed'; if (this.opts.onLost) this.opts.onLost('removed'); }
    this.render();
    if (code === 4000 && this.opts.onEnded) this.opts.onEnded();
    return !this.final;
  }

  // noteFeedback announces feedback that has just come in (not what a snapshot brings back).
  noteFeedback(quiet) {
    if (!this.me) return;
    const now = this.me.answers.filter(a => a.score).map(a => a.question);
    const fresh = this.fedback ? now.filter(q => !this.fedback.has(q)) : [];
    this.fedback = new Set(now);
    if (!quiet && fresh.length) announce(t('play.feedbackIn'));
  }

  setWorld(w, fromSnapshot) {
    const prev = this.world;
    this.world = w;
    this.timers = {};
    const now = Date.now();
    if (w) {
      for (const q of w.questions) {
        if (q.state === 'open' && typeof q.remaining_ms === 'number') this.timers[q.id] = {at: now, rem: q.remaining_ms};
      }
      const newInject = w.inject && (!prev || !prev.inject || prev.inject.id !== w.inject.id);
      const name = w.inject ? [clockOf(w.inject), tx(w.inject.title)].filter(Boolean).join(' — ') : '';
      if (newInject && prev && prev.inject) {
        announce(t('play.newInject', name), true);
        window.scrollTo({top: 0});
      } else if (newInject && !fromSnapshot) {
        announce(t('play.firstInject', name), true);
      }
      if (prev && !newInject) {
        for (const q of w.questions) {
          const before = prev.questions.find(p => p.id === q.id);
          if (q.state === 'open' && before && before.state !== 'open' && this.asked(q)) announce(t('play.questionOpen', tx(q.prompt)), true);
        }
      }
      if (w.ended && prev && !prev.ended && w.ending) announce(t('play.ending') + ': ' + tx(w.ending.title), true);
    }
  }

  mine(qid) {
    return this.me && this.me.answers.find(a => a.question === qid);
  }

  // settle drops the pending answers the server has already stored.
  settle() {
    if (!this.me) return;
    let changed = false;
    for (const q of Object.keys(this.pending)) {
      if (this.me.answers.some(a => a.question === q)) {
        delete this.pending[q];
        delete this.errors[q];
        changed = true;
      }
    }
    if (changed) this.savePending();
  }

  resend() {
    for (const [q, p] of Object.entries(this.pending)) {
      this.live.send({type: 'answer', id: p.id, ref: p.id, question: q, answer: p.answer});
    }
  }

  answer(qid, answer) {
    // One tap, one answer: a second tap on Send while the first is on its way (or queued
    // offline) is the same answer, not a new one.
    if (this.pending[qid]) return;
    const p = {id: uuid(), answer};
    delete this.drafts[qid];
    this.pending[qid] = p;
    delete this.errors[qid];
    // Stored before it is sent: a reload in between re-sends it with the same id.
    this.savePending();
    this.live.send({type: 'answer', id: p.id, ref: p.id, question: qid, answer});
    this.render();
  }

  // injectText is the inject's text for this participant's role.
  injectText(inject) {
    return injectText(inject, this.welcome && this.welcome.role);
  }

  asked(q) {
    const role = this.welcome && this.welcome.role;
    return !q.roles || !q.roles.length || !role || q.roles.includes(role);
  }

  roleName(id) {
    const r = this.sess && this.sess.roles.find(r => r.id === id);
    return r ? tx(r.name) : id;
  }

  teamName(id) {
    const r = this.sess && this.sess.teams.find(r => r.id === id);
    return r ? tx(r.name) : id;
  }

  updateTimers() {
    const paused = this.sess && this.sess.paused;
    for (const el of this.root.querySelectorAll('.countdown[data-q]')) {
      const tm = this.timers[el.dataset.q];
      if (!tm) { el.textContent = ''; continue; }
      const left = paused ? tm.rem : tm.rem - (Date.now() - tm.at);
      const text = left > 0 ? t('q.remaining', fmtTime(left)) : t('q.timeUp');
      if (el.textContent !== text) el.textContent = text;
      el.parentElement.classList.toggle('urgent', left > 0 && left <= 10000);
    }
  }

  render() {
    render(this.root, this.view());
    this.updateTimers();
  }

  statusBar() {
    // After the end the connection is closed on purpose: no alarm, just the state.
    if (this.final === 'ended' || (this.sess && this.sess.phase === 'ended')) {
      return h('p', {class: 'conn conn-ended', role: 'status'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), t('play.endedShort'));
    }
    const s = this.status === 'open' ? 'online' : this.status === 'offline' ? 'offline' : 'connecting';
    // Without a network (the browser knows), say that what was sent waits on the phone.
    const waiting = Object.keys(this.pending).length;
    const text = s === 'offline' && this.live.offline
      ? (waiting === 1 ? t('play.noNetworkOne') : waiting ? t('play.noNetworkMany', waiting) : t('play.noNetwork')) : t('play.' + s);
    return h('p', {class: 'conn conn-' + s, role: 'status'}, h('span', {class: 'dot', 'aria-hidden': 'true'}), text);
  }

  view() {
    const study = this.opts.study;
    if (this.final === 'removed') return h('section', {class: 'card notice'}, h('h1', t('play.removed')));
    if (this.final === 'lost') {
      return h('section', {class: 'card notice'}, h('h1', errText(this.helloError || 'unauthorized')),
        h('p', h('a', {href: this.opts.backHref || '#/'}, t('common.back'))));
    }
    const head = [];
    if (!study && this.welcome) {
      const w = this.welcome;
      const who = [w.role ? t('play.roleTeam', this.roleName(w.role)) : '', w.team ? t('play.team', this.teamName(w.team)) : ''].filter(Boolean).join(' · ');
      head.push(h('header', {class: 'play-head'},
        h('p', {class: 'who'}, h('strong', {class: 'me-name'}, w.name || ''), who ? ' · ' + who : ''),
        this.statusBar()));
    } else {
      head.push(this.statusBar());
    }
    if (!this.sess) return h('div', head, h('p', {class: 'muted'}, t('play.connecting')));
    const title = h('h1', {class: 'session-title'}, tx(this.sess.title));
    if (this.final === 'ended' || this.sess.phase === 'ended') {
      return h('div', head, title, h('section', {class: 'card notice'}, h('p', t('play.ended'))), this.worldView(), this.scoreView());
    }
    if (this.sess.phase === 'lobby') {
      return h('div', head, title, h('section', {class: 'card waiting', 'aria-live': 'polite'},
        h('h2', t('play.waiting')), h('p', t('play.waitingText')),
        this.welcome && this.welcome.name ? h('p', t('play.you', this.welcome.name)) : null));
    }
    return h('div', head, title,
      this.sess.paused ? h('p', {class: 'banner paused', role: 'status'}, t('play.paused')) : null,
      this.notice ? h('p', {class: 'banner error', role: 'alert'}, this.notice) : null,
      this.worldView(), this.opts.extra ? this.opts.extra(this) : null, this.scoreView());
  }

  worldView() {
    const w = this.world;
    if (!w) return h('p', {class: 'muted'}, t('play.noInject'));
    const parts = [];
    if (w.inject) {
      parts.push(h('article', {class: 'inject card', 'aria-labelledby': 'inject-title'},
        h('p', {class: 'clock'}, clockOf(w.inject)),
        h('h2', {id: 'inject-title'}, tx(w.inject.title) || this.injectText(w.inject).slice(0, 60)),
        this.injectText(w.inject) ? h('p', {class: 'inject-text'}, this.injectText(w.inject)) : null));
      for (const q of w.questions) parts.push(this.questionView(q));
    } else if (w.ended && w.ending) {
      parts.push(h('article', {class: 'ending card'}, h('p', {class: 'clock'}, t('play.ending')),
        h('h2', tx(w.ending.title)), h('p', tx(w.ending.text))));
    } else {
      parts.push(h('p', {class: 'muted'}, t('play.noInject')));
    }
    if (w.state && w.state.length && !this.opts.hideState) {
      parts.push(h('section', {class: 'state card'}, h('h3', t('play.state')),
        h('dl', {class: 'state-list'}, w.state.map(v => [h('dt', tx(v.label) || v.name), h('dd', fmtValue(v.value))]))));
    }
    return h('div', {class: 'world'}, parts);
  }

  questionView(q) {
    const mine = this.mine(q.id);
    const pend = this.pending[q.id];
    const asked = this.asked(q);
    const err = this.errors[q.id];
    const body = [];
    if (mine) {
      body.push(h('p', {class: 'status received', role: 'status'}, h('span', {'aria-hidden': 'true'}, '✓ '), t('q.received')));
      body.push(h('p', {class: 'your-answer'}, t('q.yourAnswer', answerText(q, mine.answer))));
      if (mine.score) body.push(feedbackBlock(q, mine));
    } else if (pend) {
      body.push(h('p', {class: 'status sending', role: 'status'}, t('q.sending')));
      body.push(h('p', {class: 'your-answer'}, t('q.yourAnswer', answerText(q, pend.answer))));
    } else if (!asked) {
      body.push(h('p', {class: 'muted'}, t('q.notAsked', q.roles.map(r => this.roleName(r)).join(', '))));
    } else if (q.state === 'open') {
      if (err) body.push(h('p', {class: 'banner error', role: 'alert'}, errText(err)));
      this.drafts[q.id] = this.drafts[q.id] || {};
      body.push(answerForm(q, this.drafts[q.id], a => this.answer(q.id, a), {selfRubric: this.opts.study}));
    } else if (q.state === 'pending') {
      body.push(h('p', {class: 'muted'}, t('q.notOpen')));
    } else {
      if (err) body.push(h('p', {class: 'banner error', role: 'alert'}, errText(err)));
      body.push(h('p', {class: 'muted'}, t('q.closed')));
    }
    if (!this.opts.study && q.decision && this.sess.scope !== 'participant') {
      body.push(h('p', {class: 'decision'}, t('q.decision', answerText(q, q.decision))));
      if (q.tie) body.push(h('p', {class: 'tie muted'}, tieText(q, q.tie)));
    }
    if (q.revealed && q.feedback && !mine) body.push(h('p', {class: 'question-feedback'}, tx(q.feedback)));
    return h('section', {class: ['question card', 'q-' + q.state], dataset: {question: q.id}, 'aria-labelledby': 'qp-' + q.id},
      h('p', {class: 'q-meta'}, h('span', t('type.' + q.type)), q.points ? ' · ' + t('q.points', fmtNum(q.points, lang())) : ''),
      h('h3', {id: 'qp-' + q.id, class: 'prompt'}, tx(q.prompt)),
      q.state === 'open' && this.timers[q.id] && !mine ? timerEl(q.id) : null,
      body);
  }

  scoreView() {
    if (!this.me) return null;
    const tot = this.me.total;
    return h('section', {class: 'score card', 'aria-labelledby': 'score-title'},
      h('h3', {id: 'score-title'}, t('play.score')),
      tot ? h('p', {class: 'total'}, h('strong', fmtNum(tot.points, lang()) + ' / ' + fmtNum(tot.max, lang())),
        ` (${fmtNum(tot.percent, lang())}%)`) : h('p', {class: 'muted'}, t('play.scoreNone')));
  }
}

function fmtValue(v) {
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  return typeof v === 'number' ? fmtNum(v, lang()) : String(v);
}
