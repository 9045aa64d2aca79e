// Self-study: the library, a run alone with feedback after every answer, the final score
// and a review of every answer. The run's resume token stays on the device, per scenario.

import {h, render, store, fmtNum} from './dom.js';
import {t, tx, lang, errText} from './i18n.js';
import {api, scenarios, scenario} from './api.js';
import {Player} from './play.js';
import {answerText, scoreLine, statementsBlock} from './questions.js';
import {go} from './app.js';

const key = id => 'paraat.study.' + id;

function meta(sc) {
  return [sc.kind === 'quiz' ? t('lib.quiz') : t('lib.scenario'),
    sc.duration_ms ? t('lib.minutes', Math.round(sc.duration_ms / 60000)) : '',
    t('lib.questions', sc.questions)].filter(Boolean).join(' · ');
}

/** studyLibrary lists every scenario and quiz to play alone. */
export function studyLibrary(root) {
  let lib = null;
  let error = '';
  const draw = () => render(root,
    h('h1', t('study.title')),
    h('p', {class: 'lead'}, t('study.intro')),
    error ? h('p', {class: 'banner error', role: 'alert'}, error) : null,
    !lib ? h('p', {class: 'muted'}, t('common.loading')) : h('ul', {class: 'library'}, lib.scenarios.map(sc => {
      const saved = store.get(key(sc.id));
      return h('li', {class: 'card scenario', dataset: {scenario: sc.id}},
        h('h2', tx(sc.title)), h('p', {class: 'meta'}, meta(sc)), h('p', tx(sc.summary)),
        h('p', {class: 'actions'}, h('a', {class: 'button primary', href: '#/study/' + sc.id}, saved ? t('study.continue') : t('study.play'))));
    })));
  draw();
  scenarios().then(l => { lib = l; draw(); }, e => { error = errText(e.code); draw(); });
  return {rerender: draw};
}

/** studyPlay starts or resumes a run of one scenario. */
export function studyPlay(root, id) {
  let player = null;
  let sc = null, lib = null, error = '';
  const form = {name: '', lens: ''};
  const saved = store.get(key(id));
  const begin = (token, session) => {
    player = new Player(root, {token, session, study: true, backHref: '#/study',
      onLost: () => { store.set(key(id), null); },
      extra: p => studyControls(p, id)});
    player.start();
  };
  const start = async () => {
    try {
      const st = await api('POST', '/api/study', {scenario: id, lens: form.lens, name: form.name.trim() || t('study.learner')});
      store.set(key(id), {token: st.token, session: st.session});
      begin(st.token, st.session);
    } catch (e) {
      error = errText(e.code);
      draw();
    }
  };
  const draw = () => {
    if (player) { player.render(); return; }
    if (!sc) { render(root, error ? h('p', {class: 'banner error', role: 'alert'}, error) : h('p', {class: 'muted'}, t('common.loading'))); return; }
    form.lens = form.lens || sc.lens;
    render(root,
      h('p', h('a', {href: '#/study'}, '← ' + t('study.back'))),
      h('h1', tx(sc.title)), h('p', {class: 'meta'}, meta(sc)), h('p', tx(sc.summary)),
      h('form', {class: 'card form', onsubmit: e => { e.preventDefault(); start(); }},
        h('label', {class: 'field', for: 'study-name'}, h('span', t('study.name'))),
        h('input', {id: 'study-name', 'data-k': 'name', maxlength: 40, value: form.name, oninput: e => { form.name = e.target.value; }}),
        h('label', {class: 'field', for: 'study-lens'}, h('span', t('study.lens'))),
        h('select', {id: 'study-lens', 'data-k': 'lens', onchange: e => { form.lens = e.target.value; }},
          (lib ? lib.lenses : []).map(l => h('option', {value: l.id, selected: l.id === form.lens}, tx(l.title)))),
        error ? h('p', {class: 'banner error', role: 'alert'}, error) : null,
        h('button', {type: 'submit', class: 'primary', 'data-k': 'start'}, t('study.play'))));
  };
  Promise.all([scenario(id), scenarios()]).then(([d, l]) => {
    sc = d; lib = l;
    if (saved && saved.token) begin(saved.token, saved.session);
    else draw();
  }, e => { error = errText(e.code); draw(); });
  draw();
  return {stop: () => player && player.stop(), rerender: draw};
}

function studyControls(p, id) {
  const w = p.world;
  if (!w) return null;
  if (w.ended) {
    return h('p', {class: 'actions'}, h('a', {class: 'button primary', href: '#/study/' + id + '/result', 'data-k': 'finish'}, t('study.finish')));
  }
  // The next step is there once every question of this inject has an answer, so that a
  // learner does not skip one by a slip of the finger.
  const open = w.questions.filter(q => q.state === 'open' && !p.mine(q.id) && !p.pending[q.id]);
  return h('p', {class: 'actions'}, h('button', {type: 'button', class: 'primary', 'data-k': 'next', disabled: open.length > 0,
    onclick: () => p.live.send({type: 'next', ref: 'next'})}, t('study.next')));
}

/** studyResult shows the final score and every answer with its feedback. */
export function studyResult(root, id) {
  const saved = store.get(key(id));
  if (!saved) { go('/study/' + id); return null; }
  let rep = null, sc = null, error = '';
  const draw = () => {
    if (error) { render(root, h('p', {class: 'banner error', role: 'alert'}, error)); return; }
    if (!rep || !sc) { render(root, h('p', {class: 'muted'}, t('common.loading'))); return; }
    const questions = {};
    for (const inj of sc.injects) for (const q of inj.questions) questions[q.id] = q;
    const p = rep.participants[0];
    const world = rep.worlds[0];
    const ending = world && world.ending ? sc.endings.find(e => e.id === world.ending) : null;
    const tot = p ? p.total : null;
    render(root,
      h('h1', tx(sc.title)),
      h('section', {class: 'card final', 'aria-labelledby': 'final-title'},
        h('h2', {id: 'final-title'}, t('study.final')),
        tot ? h('p', {class: 'big-score'}, fmtNum(tot.points, lang()) + ' / ' + fmtNum(tot.max, lang()), h('span', ` (${fmtNum(tot.percent, lang())}%)`)) : null,
        ending ? h('div', {class: 'ending'}, h('h3', t('play.ending') + ': ' + tx(ending.title)), h('p', tx(ending.text))) : null),
      h('h2', t('study.review')),
      h('ol', {class: 'review'}, rep.answers.map(a => {
        const q = questions[a.question] || {id: a.question, type: '', prompt: {nl: a.question, en: a.question}, options: []};
        const sts = (a.score.citations || []).map(c => ({...(rep.statements[c.statement] || {quote: c.statement}), supports: c.supports, via: c.via, chosen: c.chosen}));
        return h('li', {class: 'card review-item'},
          h('h3', tx(q.prompt)),
          h('p', {class: 'your-answer'}, t('q.yourAnswer', answerText(q, a.answer))),
          h('p', {class: 'score-line'}, scoreLine(a.score)),
          statementsBlock(sts, q));
      })),
      h('p', {class: 'actions'},
        h('button', {type: 'button', class: 'primary', onclick: () => { store.set(key(id), null); go('/study/' + id); }}, t('study.again')),
        ' ', h('a', {class: 'button', href: '#/study'}, t('study.back'))));
  };
  // The scenario with the run's option order: the run's id is its seed.
  api('GET', '/api/study/report?token=' + encodeURIComponent(saved.token))
    .then(async r => { rep = r; sc = await scenario(id, r.session.id); draw(); }, e => { error = errText(e.code); draw(); });
  draw();
  return {rerender: draw};
}
