// The projector: a second window the facilitator drags onto the beamer. It fills one 16:9
// screen and never scrolls: the join code and QR in the lobby; during a question the prompt,
// every option with its live bar, the timer and the count; the reveal with the answer policy
// recommends and the passage behind it; and after the last inject a finale that compares
// the worlds, names the endings reached and, only when the facilitator turns it on, the
// top participants.

import {h, render, fmtTime, fmtNum, store} from './dom.js';
import {t, tx, lang, errText, addWords} from './i18n.js';
import {api, scenario, scenarios} from './api.js';
import {Live} from './live.js';
import {answerText} from './questions.js';
import {qrSVG} from './qr.js';
import {worldOf, applySnapshot, applyEvent, timeLeft} from './watch.js';

addWords({
  'pj.title': 'Projector',
  'pj.open': 'Projector openen',
  'pj.fullscreen': 'Volledig scherm',
  'pj.joinAt': 'Doe mee op',
  'pj.orCode': 'met de code',
  'pj.joined': '{0} deelnemers',
  'pj.waiting': 'We beginnen zo.',
  'pj.answered': '{0} van {1} geantwoord',
  'pj.policy': 'Het beleid',
  'pj.policyAnswer': 'Aanbevolen door het beleid',
  'pj.notAddressed': 'Het beleid zegt hier niets over: geen antwoord is goed of fout.',
  'pj.decision': 'Besluit van de zaal',
  'pj.finale': 'Afloop',
  'pj.ending': 'Einde',
  'pj.score': 'Beleidsscore',
  'pj.policyPath': 'Het beleidspad eindigt in',
  'pj.top': 'Top {0}',
  'pj.noQuestion': 'Lees het bericht; de vraag komt zo.',
  'pj.paused': 'Gepauzeerd',
  'pj.topSetting': 'Top 5 van deelnemers op de projector tonen',
  'pj.topHint': 'Standaard uit: bij serieuze oefeningen telt het gesprek, niet de ranglijst.',
  'pj.points': '{0}%',
  'pj.timeUp': 'Tijd is om',
  'pj.more': 'en {0} passage(s) meer in het verslag',
  'pj.asPolicy': 'zoals het beleid aanbeveelt',
}, {
  'pj.title': 'Projector',
  'pj.open': 'Open the projector',
  'pj.fullscreen': 'Full screen',
  'pj.joinAt': 'Join at',
  'pj.orCode': 'with the code',
  'pj.joined': '{0} participants',
  'pj.waiting': 'We will begin shortly.',
  'pj.answered': '{0} of {1} answered',
  'pj.policy': 'The policy',
  'pj.policyAnswer': 'Recommended by policy',
  'pj.notAddressed': 'The policy says nothing here: no answer is right or wrong.',
  'pj.decision': 'Decision of the room',
  'pj.finale': 'Outcome',
  'pj.ending': 'Ending',
  'pj.score': 'Policy score',
  'pj.policyPath': 'The policy path ends in',
  'pj.top': 'Top {0}',
  'pj.noQuestion': 'Read the message; the question follows.',
  'pj.paused': 'Paused',
  'pj.topSetting': 'Show the top 5 participants on the projector',
  'pj.topHint': 'Off by default: in a serious exercise the discussion counts, not the ranking.',
  'pj.points': '{0}%',
  'pj.timeUp': 'Time is up',
  'pj.more': 'and {0} more passage(s) in the report',
  'pj.asPolicy': 'as policy recommends',
});

/** topKey is where the console keeps the projector's top-N setting of a session. */
export function topKey(id) { return 'paraat.top.' + id; }

/** projectorURL is the address of a session's projector window. */
export function projectorURL(id) { return '#/fac/s/' + encodeURIComponent(id) + '/projector'; }

/** projectorPage runs the projector of session id. */
export function projectorPage(root, id) {
  const p = new Projector(root, id);
  p.start();
  return {stop: () => p.stop(), rerender: () => p.draw()};
}

class Projector {
  constructor(root, id) {
    this.root = root;
    this.id = id;
    this.info = null;
    this.sc = null;
    this.rep = null;
    this.lenses = [];
    this.sess = null;
    this.agg = null;
    this.worlds = {}; // id → {deadlines, decisions, revealed}
    this.offset = 0;
    this.pausedAt = 0;
    this.error = '';
    this.onStorage = e => { if (e.key === topKey(this.id)) this.draw(); };
  }

  start() {
    document.body.classList.add('projecting');
    window.addEventListener('storage', this.onStorage);
    this.draw();
    api('GET', '/api/sessions/' + encodeURIComponent(this.id)).then(async info => {
      this.info = info;
      const [sc, lib] = await Promise.all([scenario(info.scenario, this.id), scenarios()]);
      this.sc = sc;
      this.lenses = lib.lenses || [];
      this.loadReport();
      this.live = new Live({
        hello: () => ({type: 'watch', session: this.id}),
        onMessage: m => this.onMessage(m),
        onClose: code => code !== 4000,
      });
      this.live.start();
      this.draw();
    }, e => { this.error = errText(e.code); this.draw(); });
    this.tick = setInterval(() => this.updateTimers(), 250);
  }

  stop() {
    clearInterval(this.tick);
    clearTimeout(this.reportTimer);
    window.removeEventListener('storage', this.onStorage);
    document.body.classList.remove('projecting');
    if (this.live) this.live.stop();
  }

  // The report holds what the projector shows beyond the live counts: the policy answer
  // and passages of each question, the decisions, and the policy path for the finale.
  loadReport() {
    clearTimeout(this.reportTimer);
    this.reportTimer = setTimeout(() => {
      api('GET', '/api/sessions/' + encodeURIComponent(this.id) + '/report').then(r => {
        this.rep = r;
        for (const w of r.worlds) for (const d of w.decisions) this.world(w.id).decisions[d.question] = d.answer;
        this.draw();
      }, () => {});
    }, 100);
  }

  world(id) {
    return worldOf(this, id);
  }

  onMessage(m) {
    switch (m.type) {
      case 'snapshot':
        applySnapshot(this, m);
        break;
      case 'aggregates':
        this.agg = m.aggregates;
        break;
      case 'event':
        this.onEvent(m);
        break;
    }
    this.draw();
  }

  onEvent(m) {
    applyEvent(this, m);
    // Decisions come as decided events; the report brings the totals of the finale.
    if (m.kind === 'ended' || (m.kind === 'inject' && !m.inject)) this.loadReport();
  }

  updateTimers() {
    for (const el of this.root.querySelectorAll('.pj-timer[data-w]')) {
      const left = timeLeft(this, el.dataset.w, el.dataset.q);
      if (left === null) { el.textContent = ''; el.hidden = true; continue; }
      el.hidden = false;
      const text = left > 0 ? fmtTime(left) : t('pj.timeUp');
      if (el.textContent !== text) el.textContent = text;
      el.classList.toggle('urgent', left > 0 && left <= 10000);
    }
  }

  draw() {
    document.title = t('pj.title') + (this.info ? ' · ' + tx(this.info.title) : '');
    if (this.error) { render(this.root, h('div', {class: 'pj'}, h('p', {class: 'banner error', role: 'alert'}, this.error))); return; }
    if (!this.info || !this.sc || !this.sess || !this.agg) {
      render(this.root, h('div', {class: 'pj'}, h('p', {class: 'pj-loading'}, t('common.loading'))));
      return;
    }
    const ph = this.sess.phase;
    const allEnded = this.agg.worlds.length > 0 && this.agg.worlds.every(w => w.ended || w.ending);
    let body;
    if (ph === 'lobby') body = this.lobby();
    else if (ph === 'ended' || allEnded) body = this.finale();
    else if (this.agg.worlds.length === 1) body = this.single(this.agg.worlds[0]);
    else body = this.multi();
    render(this.root, h('div', {class: ['pj', 'pj-' + (ph === 'lobby' ? 'lobby' : ph === 'ended' || allEnded ? 'finale' : 'live')]},
      this.head(ph), body));
    this.updateTimers();
  }

  head(ph) {
    return h('header', {class: 'pj-head'},
      h('p', {class: 'pj-session'}, tx(this.info.title)),
      this.sess.paused ? h('p', {class: 'pj-paused', role: 'status'}, t('pj.paused')) : null,
      ph !== 'lobby' ? h('p', {class: 'pj-code-small'}, h('span', {class: 'muted'}, this.joinURL().replace(/^https?:\/\//, '').replace(/\/join\/.*$/, '') + ' · '),
        h('span', {class: 'code'}, this.info.code)) : null,
      h('button', {type: 'button', class: 'pj-fs', onclick: () => {
        if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
        else if (document.documentElement.requestFullscreen) document.documentElement.requestFullscreen().catch(() => {});
      }}, t('pj.fullscreen')));
  }

  joinURL() {
    return this.info.join_url || (location.origin + '/join/' + this.info.code);
  }

  lobby() {
    const url = this.joinURL();
    let qr = null;
    try { qr = qrSVG(url, t('pj.joinAt') + ' ' + url); } catch { qr = null; }
    const n = this.agg.participants.filter(p => !p.removed).length;
    return h('div', {class: 'pj-lobby-grid'},
      h('section', {class: 'pj-join'},
        h('p', {class: 'pj-join-at'}, t('pj.joinAt')),
        h('p', {class: 'pj-url'}, url.replace(/^https?:\/\//, '').replace(/\/join\/.*$/, '/join')),
        h('p', {class: 'pj-join-at'}, t('pj.orCode')),
        h('p', {class: 'join-code pj-code', 'aria-label': t('con.code') + ' ' + this.info.code.split('').join(' ')}, this.info.code),
        h('p', {class: 'pj-count', 'aria-live': 'polite'}, t('pj.joined', fmtNum(n, lang()))),
        h('p', {class: 'pj-wait'}, t('pj.waiting'))),
      qr ? h('div', {class: 'qr pj-qr'}, qr) : null);
  }

  inject(id) {
    return this.sc.injects.find(i => i.id === id);
  }

  qagg(world, q) {
    return this.agg.questions.find(x => x.world === world && x.question === q);
  }

  // current picks the question to show: the open one, else the last one that was opened.
  current(w, inj) {
    const qs = inj.questions.map(q => ({q, ag: this.qagg(w.id, q.id)})).filter(x => x.ag && x.ag.state !== 'pending');
    return qs.find(x => x.ag.state === 'open') || qs[qs.length - 1] || null;
  }

  single(w) {
    const inj = w.inject ? this.inject(w.inject) : null;
    if (!inj) return h('div', {class: 'pj-stage'}, h('p', {class: 'pj-wait'}, t('pj.waiting')));
    const cur = this.current(w, inj);
    const wd = this.world(w.id);
    const revealed = cur && wd.revealed[cur.q.id];
    const left = revealed ? this.quotePanel(cur.q) : h('section', {class: 'pj-inject'},
      h('p', {class: 'pj-clock'}, inj.clock || ''),
      h('h1', {class: 'pj-inject-title'}, tx(inj.title)),
      tx(inj.text) ? h('p', {class: 'pj-inject-text'}, tx(inj.text)) : null);
    return h('div', {class: 'pj-stage'}, left,
      cur ? this.question(w, cur.q, cur.ag, revealed) : h('section', {class: 'pj-question'}, h('p', {class: 'pj-wait'}, t('pj.noQuestion'))));
  }

  question(w, q, ag, revealed) {
    const wd = this.world(w.id);
    const rv = revealed && this.rep && this.rep.reveals ? this.rep.reveals[q.id] : null;
    const decision = wd.decisions[q.id];
    return h('section', {class: ['pj-question', revealed && 'revealed'], dataset: {question: q.id}},
      h('div', {class: 'pj-qhead'},
        h('h2', {class: 'pj-prompt'}, tx(q.prompt)),
        h('p', {class: 'pj-timer', role: 'timer', dataset: {w: w.id, q: q.id}})),
      h('p', {class: 'pj-answered'}, t('pj.answered', fmtNum(ag.answered, lang()), fmtNum(ag.asked, lang()))),
      ['choice', 'multi', 'rank'].includes(q.type) ? this.bars(q, ag, rv) : null,
      rv && !['choice', 'multi', 'rank'].includes(q.type) && rv.answer && rv.decided_by === 'lens'
        ? h('p', {class: 'pj-policy-answer'}, t('pj.policyAnswer') + ': ', h('strong', answerText(q, rv.answer))) : null,
      decision && this.sess.scope !== 'participant' ? h('p', {class: 'pj-decision'}, t('pj.decision') + ': ', h('strong', answerText(q, decision))) : null);
  }

  bars(q, ag, rv) {
    const dist = ag.distribution || {};
    const total = Object.values(dist).reduce((a, b) => a + b, 0);
    const max = Math.max(1, ...Object.values(dist));
    const policy = new Set(rv && rv.decided_by === 'lens' ? (rv.answer.option ? [rv.answer.option] : q.type === 'multi' ? rv.answer.options || [] : (rv.answer.options || []).slice(0, 1)) : []);
    return h('ul', {class: ['pj-options', 'n' + q.options.length]}, q.options.map(o => {
      const n = dist[o.id] || 0;
      const pct = total ? Math.round(n / total * 100) : 0;
      return h('li', {class: ['pj-option', policy.has(o.id) && 'policy', rv && !policy.has(o.id) && 'dim'], dataset: {option: o.id}},
        h('span', {class: 'pj-bar', 'aria-hidden': 'true'}, h('span', {class: 'pj-fill', style: {width: (n / max * 100) + '%'}})),
        h('span', {class: 'pj-otext'}, policy.has(o.id) ? h('span', {class: 'pj-check'}, '✓ ') : null, tx(o.text)),
        h('span', {class: 'pj-count-n'}, fmtNum(n, lang()), h('span', {class: 'pj-pct'}, ' · ' + fmtNum(pct, lang()) + '%')));
    }));
  }

  quotePanel(q) {
    const rv = this.rep && this.rep.reveals ? this.rep.reveals[q.id] : null;
    if (!rv) return h('section', {class: 'pj-inject'}, h('p', {class: 'pj-clock'}, t('pj.policy')));
    if (rv.decided_by !== 'lens' || !rv.statements.length) {
      return h('section', {class: 'pj-inject pj-quote'}, h('p', {class: 'pj-clock'}, t('pj.policy')), h('p', {class: 'pj-inject-text'}, t('pj.notAddressed')));
    }
    const st = this.rep.statements[rv.statements[0]];
    return h('section', {class: 'pj-inject pj-quote'},
      h('p', {class: 'pj-clock'}, t('pj.policy')),
      st ? h('blockquote', {lang: 'nl'}, '“' + st.quote + '”') : null,
      st ? h('p', {class: 'pj-source'}, '— ', h('cite', tx(st.document && st.document.title)),
        st.document && st.document.year ? ` (${st.document.year})` : '', st.section ? ', ' + t('q.section', st.section) : '') : null,
      rv.statements.length > 1 ? h('p', {class: 'pj-more'}, t('pj.more', fmtNum(rv.statements.length - 1, lang()))) : null);
  }

  worldName(id) {
    if (id === 'main') return '';
    const tm = (this.info.teams || []).find(tm => tm.id === id);
    if (tm) return tx(tm.name);
    const p = this.agg.participants.find(p => p.world === id);
    return p ? p.name : '';
  }

  multi() {
    const worlds = this.agg.worlds;
    return h('div', {class: ['pj-worlds', 'n' + Math.min(worlds.length, 6)]}, worlds.slice(0, 6).map(w => {
      const inj = w.inject ? this.inject(w.inject) : null;
      const cur = inj ? this.current(w, inj) : null;
      const wd = this.world(w.id);
      return h('section', {class: 'pj-world', dataset: {world: w.id}},
        h('h2', this.worldName(w.id)),
        inj ? h('p', {class: 'pj-clock'}, [inj.clock, tx(inj.title)].filter(Boolean).join(' · ')) : null,
        inj && worlds.length <= 2 && tx(inj.text) ? h('p', {class: 'pj-inject-text'}, tx(inj.text)) : null,
        cur ? [h('div', {class: 'pj-qhead'}, h('h3', {class: 'pj-prompt'}, tx(cur.q.prompt)), h('p', {class: 'pj-timer', role: 'timer', dataset: {w: w.id, q: cur.q.id}})),
          h('p', {class: 'pj-answered'}, t('pj.answered', fmtNum(cur.ag.answered, lang()), fmtNum(cur.ag.asked, lang()))),
          ['choice', 'multi', 'rank'].includes(cur.q.type) ? this.bars(cur.q, cur.ag, wd.revealed[cur.q.id] && this.rep && this.rep.reveals ? this.rep.reveals[cur.q.id] : null) : null] : null);
    }));
  }

  // decisionList names the decisions a world took, marked where they match policy in full.
  decisionList(world, max) {
    const rw = this.rep && this.rep.worlds.find(x => x.id === world);
    if (!rw || !rw.decisions.length) return null;
    const qs = {};
    for (const inj of this.sc.injects) for (const q of inj.questions) qs[q.id] = q;
    return h('ul', {class: 'pj-decisions'}, rw.decisions.filter(d => qs[d.question]).slice(0, max).map(d => {
      const full = d.score.addressed && !d.score.pending && d.score.points >= d.score.max;
      return h('li', {class: full ? 'full' : ''},
        h('span', {class: 'pj-mark', 'aria-label': full ? t('pj.asPolicy') : ''}, full ? '✓' : '·'),
        h('span', tx(qs[d.question].prompt) + ' ', h('strong', answerText(qs[d.question], d.answer))));
    }));
  }

  finale() {
    const ending = id => this.sc.endings.find(e => e.id === id);
    const pp = this.rep && this.rep.policy_path;
    const top = Number(store.get(topKey(this.id)) || 0);
    const worlds = this.agg.worlds;
    const people = [...this.agg.participants].filter(p => !p.removed && p.total && p.total.max)
      .sort((a, b) => b.total.percent - a.total.percent || a.name.localeCompare(b.name)).slice(0, top);
    return h('div', {class: ['pj-finale', top > 0 && 'with-top']},
      h('section', {class: 'pj-results'},
        h('h1', t('pj.finale')),
        h('ul', {class: ['pj-endings', 'n' + Math.min(worlds.length, 6)]}, worlds.slice(0, 6).map(w => {
          const e = w.ending ? ending(w.ending) : null;
          const total = w.total || (this.rep && (this.rep.worlds.find(x => x.id === w.id) || {}).total);
          return h('li', {class: 'pj-ending', dataset: {world: w.id}},
            this.worldName(w.id) ? h('h2', this.worldName(w.id)) : null,
            h('p', {class: 'pj-clock'}, t('pj.ending')),
            h('p', {class: 'pj-ending-title'}, e ? tx(e.title) : '—'),
            e && worlds.length === 1 ? h('p', {class: 'pj-inject-text'}, tx(e.text)) : null,
            total && total.max ? h('p', {class: 'pj-score'}, t('pj.score') + ': ', h('strong', t('pj.points', fmtNum(total.percent, lang())))) : null,
            worlds.length <= 2 ? this.decisionList(w.id, worlds.length === 1 ? 8 : 4) : null);
        })),
        pp && pp.ending ? h('p', {class: 'pj-policy-path'}, t('pj.policyPath') + ': ',
          h('strong', ending(pp.ending) ? tx(ending(pp.ending).title) : '—')) : null),
      top > 0 ? h('section', {class: 'pj-top'}, h('h2', t('pj.top', fmtNum(top, lang()))),
        h('ol', people.map(p => h('li', h('span', {class: 'pj-name'}, p.name), h('span', {class: 'pj-pct'}, t('pj.points', fmtNum(p.total.percent, lang()))))))) : null);
  }
}
