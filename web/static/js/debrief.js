// The debrief and after-action report, built like an HSEEP after-action report and adapted
// to Dutch crisis practice: an overview, per theme (each inject of the scenario) the
// strengths and the points for improvement with the decisions and the passages behind them,
// where the documents disagree, what would have happened had a world chosen otherwise, and
// an improvement plan the facilitator completes before printing. Long sections fold, a table
// of contents leads to each, and one A4 print stylesheet prints it as it stands.

import {h, render, store, fmtTime, fmtNum} from './dom.js';
import {t, tx, lang, errText, addWords} from './i18n.js';
import {api, scenario, scenarios} from './api.js';
import {answerText, scoreLine, statementsBlock, tieText} from './questions.js';
import {lensName, byText, injectName, endingName, varName} from './words.js';

addWords({
  'aar.title': 'Evaluatieverslag',
  'aar.toc': 'Inhoud',
  'aar.overview': '1. Overzicht van de oefening',
  'aar.themes': '2. Analyse per thema',
  'aar.disagree': '3. Waar de documenten verschillen',
  'aar.whatif': '4. Wat als: andere keuzes doorgespeeld',
  'aar.paths': '5. Het verloop per wereld',
  'aar.lenses': '6. Dezelfde besluiten onder andere lenzen',
  'aar.people': '7. Deelnemers en teams',
  'aar.plan': '8. Verbeterplan',
  'aar.answers': 'Bijlage: alle antwoorden met het beleid erachter',
  'aar.scenario': 'Scenario',
  'aar.date': 'Datum',
  'aar.scope': 'Opzet',
  'aar.lens': 'Beoordeeld tegen',
  'aar.count': 'Deelnemers',
  'aar.endings': 'Bereikte afloop',
  'aar.strengths': 'Sterke punten',
  'aar.improve': 'Verbeterpunten',
  'aar.silent': 'Niet door het beleid behandeld',
  'aar.noneStrength': 'Geen besluit in dit thema kwam volledig overeen met het beleid.',
  'aar.noneImprove': 'Geen verbeterpunten in dit thema.',
  'aar.noDecisions': 'In dit thema is geen besluit genomen.',
  'aar.decided': '{0} koos: {1}',
  'aar.policyWould': 'Het beleid beveelt aan: {0}',
  'aar.disagreeText': 'Op deze vragen, die de sessie beantwoordde, bevelen de documenten verschillende antwoorden aan. Een lens die over de vraag zwijgt, doet niet mee.',
  'aar.noDisagree': 'Op de vragen die de sessie beantwoordde, spreken de documenten elkaar niet tegen.',
  'aar.whatifText': 'Elke andere keuze bij een meerkeuzebesluit, door de engine opnieuw gespeeld: tot en na die vraag zoals de wereld besliste; vragen die de wereld nooit zag, zoals het beleid aanbeveelt.',
  'aar.alt': 'In plaats daarvan',
  'aar.reached': 'Afloop',
  'aar.score': 'Beleidsscore',
  'aar.noWhatif': 'Deze wereld nam geen meerkeuzebesluiten om door te spelen.',
  'aar.planText': 'Vul acties, eigenaar en datum in voordat u afdrukt. De tabel blijft op dit apparaat bewaard.',
  'aar.issue': 'Verbeterpunt',
  'aar.action': 'Actie',
  'aar.owner': 'Eigenaar (organisatie, functie)',
  'aar.due': 'Gereed op',
  'aar.addRow': 'Rij toevoegen',
  'aar.removeRow': 'Rij {0} verwijderen',
  'aar.print': 'Afdrukken (A4)',
  'aar.firedN': 'Regels die afgingen: {0}',
  'aar.same': 'dezelfde afloop',
  'aar.generated': 'Opgesteld',
}, {
  'aar.title': 'After-action report',
  'aar.toc': 'Contents',
  'aar.overview': '1. Exercise overview',
  'aar.themes': '2. Analysis by theme',
  'aar.disagree': '3. Where the documents disagree',
  'aar.whatif': '4. What if: other choices played through',
  'aar.paths': '5. How each world went',
  'aar.lenses': '6. The same decisions under other lenses',
  'aar.people': '7. Participants and teams',
  'aar.plan': '8. Improvement plan',
  'aar.answers': 'Appendix: every answer with the policy behind it',
  'aar.scenario': 'Scenario',
  'aar.date': 'Date',
  'aar.scope': 'Set-up',
  'aar.lens': 'Assessed against',
  'aar.count': 'Participants',
  'aar.endings': 'Endings reached',
  'aar.strengths': 'Strengths',
  'aar.improve': 'Areas for improvement',
  'aar.silent': 'Not addressed by policy',
  'aar.noneStrength': 'No decision in this theme fully matched policy.',
  'aar.noneImprove': 'No areas for improvement in this theme.',
  'aar.noDecisions': 'No decision was taken in this theme.',
  'aar.decided': '{0} chose: {1}',
  'aar.policyWould': 'Policy recommends: {0}',
  'aar.disagreeText': 'On these questions, which the session answered, the documents recommend different answers. A lens that is silent on a question takes no part.',
  'aar.noDisagree': 'On the questions the session answered, the documents do not contradict each other.',
  'aar.whatifText': 'Every other option of each choice a world decided, played again by the engine: before and after that question as the world decided; questions the world never saw, as policy recommends.',
  'aar.alt': 'Instead',
  'aar.reached': 'Ending',
  'aar.score': 'Policy score',
  'aar.noWhatif': 'This world took no choice decisions to play through.',
  'aar.planText': 'Fill in actions, owner and date before printing. The table is kept on this device.',
  'aar.issue': 'Area for improvement',
  'aar.action': 'Action',
  'aar.owner': 'Owner (organisation, function)',
  'aar.due': 'Due',
  'aar.addRow': 'Add a row',
  'aar.removeRow': 'Remove row {0}',
  'aar.print': 'Print (A4)',
  'aar.firedN': 'Rules that fired: {0}',
  'aar.same': 'the same ending',
  'aar.generated': 'Prepared',
});

/** debriefPage shows the after-action report of session id (inside withLogin). */
export function debriefPage(root, id) {
  let rep = null, sc = null, src = null, lenses = [], error = '';
  const load = () => api('GET', '/api/sessions/' + encodeURIComponent(id) + '/report')
    .then(async r => {
      rep = r;
      const [d, lib] = await Promise.all([scenario(r.session.scenario, id), scenarios()]);
      sc = d;
      lenses = lib.lenses || [];
      draw();
      api('GET', '/api/scenarios/' + encodeURIComponent(r.session.scenario) + '/source').then(x => { src = x.scenario; draw(); }, () => {});
    }, e => { error = errText(e.code); draw(); });
  const draw = () => {
    if (error) { render(root, h('p', {class: 'banner error', role: 'alert'}, error)); return; }
    if (!rep || !sc) { render(root, h('p', {class: 'muted'}, t('common.loading'))); return; }
    render(root, view({rep, sc, src, lenses, id, reload: load, redraw: draw}));
  };
  // Printing shows every folded section; afterwards they fold back as they were.
  const closed = [];
  const before = () => { for (const d of root.querySelectorAll('details:not([open])')) { closed.push(d); d.open = true; } };
  const after = () => { for (const d of closed.splice(0)) d.open = false; };
  window.addEventListener('beforeprint', before);
  window.addEventListener('afterprint', after);
  draw();
  load();
  return {rerender: draw, stop: () => { window.removeEventListener('beforeprint', before); window.removeEventListener('afterprint', after); }};
}

function fmtDate(s) {
  try { return new Date(s).toLocaleString(lang() === 'en' ? 'en-GB' : 'nl-NL', {dateStyle: 'long', timeStyle: 'short'}); } catch { return ''; }
}

function view(c) {
  const {rep, sc, id} = c;
  const questions = {};
  for (const inj of sc.injects) for (const q of inj.questions) questions[q.id] = q;
  c.questions = questions;
  c.q = qid => questions[qid] || {id: qid, options: [], prompt: {nl: '', en: ''}};
  c.team = w => teamName(rep, w);
  c.pct = tot => tot && tot.max ? `${fmtNum(tot.points, lang())} / ${fmtNum(tot.max, lang())} (${fmtNum(tot.percent, lang())}%)` : t('deb.none');
  c.quotes = (score, qid) => statementsBlock((score.citations || []).filter(x => x.chosen)
    .map(x => ({...(rep.statements[x.statement] || {quote: ''}), supports: x.supports, via: x.via, chosen: true})), c.q(qid));
  const base = '/api/sessions/' + encodeURIComponent(id);
  const sections = [
    ['aar-overview', t('aar.overview'), overview(c)],
    ['aar-themes', t('aar.themes'), themes(c)],
    ['aar-disagree', t('aar.disagree'), disagreements(c)],
    ['aar-whatif', t('aar.whatif'), whatIfs(c)],
    ['aar-paths', t('aar.paths'), paths(c)],
    ['aar-lenses', t('aar.lenses'), lensTable(c)],
    ['aar-people', t('aar.people'), people(c)],
    ['aar-plan', t('aar.plan'), plan(c)],
    ['aar-answers', t('aar.answers'), answers(c)],
  ];
  return h('div', {class: 'debrief aar'},
    h('p', {class: 'no-print'}, h('a', {href: '#/fac/s/' + id}, '← ' + t('con.live'))),
    h('div', {class: 'row between'}, h('h1', t('aar.title') + ': ' + tx(rep.session.title)),
      h('span', {class: 'row no-print'},
        h('button', {type: 'button', onclick: c.reload}, t('deb.refresh')),
        h('button', {type: 'button', class: 'primary', 'data-k': 'print', onclick: () => window.print()}, t('aar.print')))),
    h('p', {class: 'exports no-print'}, h('strong', t('con.exports') + ': '),
      h('a', {href: base + '/report.csv', download: ''}, t('con.csv')), ' · ',
      h('a', {href: base + '/report', target: '_blank', rel: 'noopener'}, t('con.json'))),
    h('nav', {class: 'toc card', 'aria-labelledby': 'toc-title'}, h('h2', {id: 'toc-title'}, t('aar.toc')),
      h('ol', sections.map(([sid, title]) => h('li', h('a', {href: '#' + sid, onclick: e => {
        e.preventDefault();
        const el = document.getElementById(sid);
        if (el) { el.open = true; el.scrollIntoView(); el.querySelector('summary').focus(); }
      }}, title.replace(/^\d+\. /, '')))))),
    sections.map(([sid, title, body], i) => h('details', {class: 'aar-section', id: sid, open: i < 3 || sid === 'aar-plan'},
      h('summary', h('h2', title)), body)));
}

function teamName(rep, w) {
  if (w === 'main') return t('con.live');
  const tm = (rep.session.teams || []).find(x => x.id === w);
  if (tm) return tx(tm.name);
  const p = rep.participants.find(p => p.world === w);
  return p ? p.name : t('words.unnamed');
}

function overview(c) {
  const {rep, sc, lenses} = c;
  const row = (k, v, cls) => [h('dt', k), h('dd', {class: cls}, v)];
  const active = rep.participants.filter(p => !p.removed).length;
  return h('dl', {class: 'overview'},
    row(t('aar.scenario'), tx(sc.title)),
    row(t('aar.date'), fmtDate(rep.session.created || rep.generated), 'date'),
    row(t('aar.scope'), t('scope.' + rep.session.scope)),
    row(t('aar.lens'), lensName(lenses, rep.lens)),
    row(t('aar.count'), fmtNum(active, lang())),
    row(t('aar.endings'), rep.worlds.map(w => (rep.worlds.length > 1 ? c.team(w.id) + ': ' : '') + (w.ending ? endingName(sc, w.ending) : t('deb.none'))).join('; ')),
    row(t('aar.generated'), fmtDate(rep.generated), 'date'));
}

// themes: every inject a world went through is a theme; its decisions are sorted into
// strengths (full policy score), points for improvement (less than full) and questions
// the policy does not address.
function themes(c) {
  const {rep, sc} = c;
  const seen = new Set();
  for (const w of rep.worlds) for (const st of w.path) seen.add(st.inject);
  const out = [];
  for (const inj of sc.injects) {
    if (!seen.has(inj.id)) continue;
    const strong = [], weak = [], silent = [];
    for (const q of inj.questions) {
      for (const w of rep.worlds) {
        const d = w.decisions.find(x => x.question === q.id);
        if (!d) continue;
        const who = rep.worlds.length > 1 ? c.team(w.id) : t('by.majority').replace(/^./, x => x.toUpperCase());
        const rv = rep.reveals && rep.reveals[q.id];
        const item = h('li', {class: 'finding'},
          h('p', h('strong', tx(q.prompt))),
          h('p', t('aar.decided', rep.worlds.length > 1 ? who : byText(d.by, sc.roles).replace(/^./, x => x.toUpperCase()), answerText(q, d.answer)), ' · ', scoreLine(d.score)),
          d.tie ? h('p', {class: 'tie muted'}, tieText(q, d.tie)) : null,
          d.score.addressed && d.score.points < d.score.max && rv && rv.decided_by === 'lens'
            ? h('p', {class: 'muted'}, t('aar.policyWould', answerText(q, rv.answer))) : null,
          c.quotes(d.score, q.id));
        if (!d.score.addressed || d.score.pending) silent.push(item);
        else if (d.score.points >= d.score.max) strong.push(item);
        else weak.push(item);
      }
    }
    const none = !strong.length && !weak.length && !silent.length;
    out.push(h('section', {class: 'theme', dataset: {inject: inj.id}},
      h('h3', injectName(sc, inj.id)),
      none ? h('p', {class: 'muted'}, t('aar.noDecisions')) : [
        h('h4', t('aar.strengths')), strong.length ? h('ul', {class: 'findings good'}, strong) : h('p', {class: 'muted'}, t('aar.noneStrength')),
        h('h4', t('aar.improve')), weak.length ? h('ul', {class: 'findings bad'}, weak) : h('p', {class: 'muted'}, t('aar.noneImprove')),
        silent.length ? [h('h4', t('aar.silent')), h('ul', {class: 'findings'}, silent)] : null]));
  }
  return out;
}

function disagreements(c) {
  const {rep, lenses} = c;
  const ds = rep.disagreements || [];
  if (!ds.length) return h('p', {class: 'muted'}, t('aar.noDisagree'));
  return [h('p', {class: 'muted'}, t('aar.disagreeText')),
    ds.map(d => {
      const q = c.q(d.question);
      return h('section', {class: 'disagreement'}, h('h3', tx(q.prompt)),
        h('ul', {class: 'findings'}, d.lenses.map(l => h('li',
          h('p', h('strong', lensName(lenses, l.lens) + ': '), answerText(q, l.answer)),
          statementsBlock(l.statements.map(sid => ({...(rep.statements[sid] || {quote: ''}), supports: true})), q)))));
    })];
}

function whatIfs(c) {
  const {rep, sc} = c;
  return [h('p', {class: 'muted'}, t('aar.whatifText')),
    rep.worlds.map(w => h('section', {class: 'whatif', dataset: {world: w.id}},
      rep.worlds.length > 1 ? h('h3', c.team(w.id)) : null,
      (w.what_ifs || []).length ? h('div', {class: 'table-scroll'}, h('table', {class: 'table whatifs'},
        h('thead', h('tr', h('th', t('deb.question')), h('th', t('deb.answer')), h('th', t('aar.alt')), h('th', t('aar.reached')), h('th', t('aar.score')))),
        h('tbody', w.what_ifs.map(x => {
          const q = c.q(x.question);
          return h('tr', h('td', tx(q.prompt)), h('td', answerText(q, x.taken)), h('td', answerText(q, x.alternative)),
            h('td', x.ending ? endingName(sc, x.ending) : t('deb.none'), x.ending && x.ending === w.ending ? h('span', {class: 'muted'}, ' (' + t('aar.same') + ')') : null),
            h('td', c.pct(x.total)));
        })))) : h('p', {class: 'muted'}, t('aar.noWhatif'))))];
}

function paths(c) {
  const {rep, sc, src} = c;
  return rep.worlds.map(w => h('section', {class: 'world-path', dataset: {world: w.id}},
    rep.worlds.length > 1 ? h('h3', c.team(w.id)) : null,
    h('ol', {class: 'path-list'}, w.path.map(st => h('li', h('span', {class: 'clock'}, fmtTime(st.at_ms)), ' ',
      h('strong', injectName(sc, st.inject)),
      st.state && st.state.length ? h('span', {class: 'muted'}, ' — ' + st.state.map(v => `${varName(src, v.name)} ${fmtVal(v.value)}`).join(', ')) : null))),
    h('p', h('strong', t('deb.ending') + ': '), w.ending ? endingName(sc, w.ending) : t('deb.none'), ' · ', t('deb.total'), ': ', c.pct(w.total)),
    w.fired.length ? h('p', {class: 'muted'}, t('aar.firedN', fmtNum(w.fired.length, lang()))) : null));
}

function fmtVal(v) {
  if (typeof v === 'boolean') return v ? t('common.yes') : t('common.no');
  return typeof v === 'number' ? fmtNum(v, lang()) : String(v);
}

function lensTable(c) {
  const {rep, sc, lenses} = c;
  const cols = rep.worlds[0] ? rep.worlds[0].lenses : [];
  return [h('div', {class: 'table-scroll'}, h('table', {class: 'table lenses'},
    h('thead', h('tr', h('th', ''), cols.map(l => h('th', lensName(lenses, l.lens))))),
    h('tbody', rep.worlds.map(w => h('tr', h('th', {scope: 'row'}, c.team(w.id)), w.lenses.map(l => h('td', c.pct(l.total), h('br'),
      h('span', {class: 'muted'}, l.ending ? endingName(sc, l.ending) : t('deb.none')))))),
    rep.policy_path ? h('tr', h('th', {scope: 'row'}, t('deb.policy', lensName(lenses, rep.policy_path.lens))),
      h('td', {colspan: Math.max(1, cols.length)}, c.pct(rep.policy_path.total), ' · ',
        rep.policy_path.ending ? endingName(sc, rep.policy_path.ending) : t('deb.none'), ' · ',
        rep.policy_path.path.map(i => injectName(sc, i)).join(' → '))) : null))),
  rep.policy_path ? h('p', {class: 'muted'}, t('deb.policyText')) : null,
  rep.policy_path ? policySteps(rep.policy_path, c.q) : null];
}

/** policySteps lists the steps of the policy path that the lens itself did not decide. */
function policySteps(pp, question) {
  const steps = (pp.steps || []).filter(st => st.decided_by !== 'lens');
  if (!steps.length) return null;
  return h('ul', {class: 'policy-steps'}, steps.map(st => {
    const q = question(st.question);
    return h('li', h('strong', tx(q.prompt)), ': ', answerText(q, st.answer), ' — ',
      t(st.decided_by === 'default-lens' ? 'deb.stepDefault' : 'deb.stepAmbiguous'));
  }));
}

function people(c) {
  const {rep, sc} = c;
  const role = id => { const r = sc.roles.find(r => r.id === id); return r ? tx(r.name) : ''; };
  return [h('table', {class: 'table'}, h('thead', h('tr', h('th', t('deb.name')), h('th', t('lib.roles')), h('th', t('lib.teams')), h('th', t('deb.total')))),
    h('tbody', [...rep.participants].sort((a, b) => b.total.points - a.total.points || a.name.localeCompare(b.name)).map(p => h('tr',
      h('td', p.name, p.removed ? ` (${t('con.removedP')})` : ''), h('td', role(p.role)), h('td', p.team ? c.team(p.team) : ''), h('td', c.pct(p.total)))))),
  rep.teams.length ? h('table', {class: 'table'}, h('caption', t('deb.teams')), h('tbody', rep.teams.map(tm => h('tr', h('th', {scope: 'row'}, c.team(tm.id)), h('td', c.pct(tm.total)))))) : null];
}

// plan is the improvement plan: one row per point for improvement to start with; the
// facilitator adds actions, owners and dates, and adds or removes rows. Kept in localStorage.
function plan(c) {
  const {rep, id} = c;
  const key = 'paraat.plan.' + id;
  let rows = store.get(key);
  if (!Array.isArray(rows)) {
    rows = [];
    for (const w of rep.worlds) for (const d of w.decisions) {
      if (d.score.addressed && !d.score.pending && d.score.points < d.score.max) {
        const issue = tx(c.q(d.question).prompt) + (rep.worlds.length > 1 ? ' (' + c.team(w.id) + ')' : '');
        if (!rows.some(r => r.issue === issue)) rows.push({issue, action: '', owner: '', due: ''});
      }
    }
    if (!rows.length) rows.push({issue: '', action: '', owner: '', due: ''});
  }
  const save = () => store.set(key, rows);
  const cell = (r, i, k, type) => h('td', h(type === 'area' ? 'textarea' : 'input', {
    ...(type === 'area' ? {rows: 2} : {type: type || 'text'}), value: r[k], 'data-k': `plan-${i}-${k}`,
    'aria-label': t({issue: 'aar.issue', action: 'aar.action', owner: 'aar.owner', due: 'aar.due'}[k]) + ' ' + (i + 1),
    oninput: e => { r[k] = e.target.value; save(); }}));
  return [h('p', {class: 'muted no-print'}, t('aar.planText')),
    h('table', {class: 'table plan'},
      h('thead', h('tr', h('th', '#'), h('th', t('aar.issue')), h('th', t('aar.action')), h('th', t('aar.owner')), h('th', t('aar.due')), h('th', {class: 'no-print'}, h('span', {class: 'sr-only'}, t('aar.removeRow', ''))))),
      h('tbody', rows.map((r, i) => h('tr', {dataset: {row: String(i)}}, h('td', fmtNum(i + 1, lang())),
        cell(r, i, 'issue', 'area'), cell(r, i, 'action', 'area'), cell(r, i, 'owner'), cell(r, i, 'due', 'date'),
        h('td', {class: 'no-print'}, h('button', {type: 'button', class: 'icon danger', 'aria-label': t('aar.removeRow', i + 1),
          onclick: () => { rows.splice(i, 1); save(); c.redraw(); }}, '✕')))))),
    h('p', {class: 'no-print'}, h('button', {type: 'button', 'data-k': 'plan-add', onclick: () => { rows.push({issue: '', action: '', owner: '', due: ''}); save(); c.redraw(); }}, t('aar.addRow')))];
}

function answers(c) {
  const {rep} = c;
  return h('ul', {class: 'answers'}, rep.answers.map(a => {
    const q = c.q(a.question);
    return h('li', {class: 'card answer-item', dataset: {answer: a.id}},
      h('p', h('strong', a.name), ' · ', tx(q.prompt)),
      h('p', {class: 'your-answer'}, t('deb.answer') + ': ', answerText(q, a.answer)),
      h('p', {class: 'score-line'}, scoreLine(a.score)),
      c.quotes(a.score, a.question));
  }));
}
