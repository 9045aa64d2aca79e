// The author's workbench (#/check): a scenario draft, and optionally a policy layer of the
// author's own, pasted or uploaded; the diagnostics of `paraat check` beside the text with its
// line numbers (a click moves the editor to the line); the branch graph and the analysis; the
// draft's playthrough tests; and a playthrough of the draft at once. The server keeps nothing:
// every request carries the whole draft.

import {h, render, fmtNum} from './dom.js';
import {t, tx, lang, errText, addWords} from './i18n.js';
import {api, whoami} from './api.js';
import {analysisView} from './analysis.js';
import {answerForm, answerText, feedbackBlock} from './questions.js';
import {clockOf} from './injecttext.js';
import {needLogin, scenarioView} from './viewer.js';

addWords({
    'wb.title': 'Werkbank voor auteurs',
    'wb.intro': 'Plak of upload een scenario, en als je wilt een eigen beleidslaag bovenop de ingebouwde beleidsstukken. Je ziet elke fout en waarschuwing bij haar regel, de vertakkingen, de analyse en de uitkomst van de tests, en je kunt het scenario meteen spelen. De server bewaart niets.',
    'wb.upload': 'Bestand kiezen',
    'wb.policy': 'Eigen beleidslaag (optioneel)',
    'wb.policyHelp': 'Een beleidsstuk in YAML. Een nieuw uitspraak-id voegt toe; een bestaand id vervangt alleen met `overrides:` en een reden.',
    'wb.policyYaml': 'Beleidslaag (YAML)',
    'wb.tests': 'Tests draaien',
    'wb.play': 'Meteen spelen',
    'wb.diags': 'Meldingen',
    'wb.none': 'Nog niet gecontroleerd.',
    'wb.clean': 'Geen fouten of waarschuwingen.',
    'wb.line': 'regel {0}',
    'wb.lineCol': 'regel {0}, kolom {1}',
    'wb.inPolicy': 'beleidslaag',
    'wb.error': 'fout',
    'wb.warning': 'waarschuwing',
    'wb.explain': 'Uitleg',
    'wb.testsTitle': 'Tests',
    'wb.noTests': 'Dit scenario heeft geen tests.',
    'wb.testsSummary': '{0} van {1} tests geslaagd.',
    'wb.pass': 'geslaagd',
    'wb.fail': 'mislukt',
    'wb.path': 'Verloop',
    'wb.unlisted': 'Vragen zonder opgegeven antwoord: {0}',
    'wb.noEnding': 'geen einde',
    'wb.player': 'Proefspel',
    'wb.restart': 'Opnieuw beginnen',
    'wb.stop': 'Stoppen',
    'wb.answerAbove': 'Beantwoord eerst de vraag hierboven.',
    'wb.ending': 'Einde',
    'wb.total': 'Score: {0} van {1} ({2}%)',
    'wb.cannotPlay': 'Het scenario laadt niet; los eerst de fouten op.',
    'wb.lines': 'Regelnummers',
    'wb.err1': '1 fout', 'wb.errN': '{0} fouten', 'wb.warn1': '1 waarschuwing', 'wb.warnN': '{0} waarschuwingen',
}, {
    'wb.title': 'Author’s workbench',
    'wb.intro': 'Paste or upload a scenario and, if you like, a policy layer of your own on top of the built-in policy documents. You see every error and warning at its line, the branch graph, the analysis and the results of the tests, and you can play the scenario at once. The server keeps nothing.',
    'wb.upload': 'Choose a file',
    'wb.policy': 'Your own policy layer (optional)',
    'wb.policyHelp': 'A policy document in YAML. A new statement id adds to the corpus; an existing id replaces a statement only with `overrides:` and a reason.',
    'wb.policyYaml': 'Policy layer (YAML)',
    'wb.tests': 'Run the tests',
    'wb.play': 'Play it now',
    'wb.diags': 'Diagnostics',
    'wb.none': 'Not checked yet.',
    'wb.clean': 'No errors or warnings.',
    'wb.line': 'line {0}',
    'wb.lineCol': 'line {0}, column {1}',
    'wb.inPolicy': 'policy layer',
    'wb.error': 'error',
    'wb.warning': 'warning',
    'wb.explain': 'Explanation',
    'wb.testsTitle': 'Tests',
    'wb.noTests': 'This scenario has no tests.',
    'wb.testsSummary': '{0} of {1} tests passed.',
    'wb.pass': 'passed',
    'wb.fail': 'failed',
    'wb.path': 'Path',
    'wb.unlisted': 'Questions without a stated answer: {0}',
    'wb.noEnding': 'no ending',
    'wb.player': 'Trial run',
    'wb.restart': 'Start again',
    'wb.stop': 'Stop',
    'wb.answerAbove': 'Answer the question above first.',
    'wb.ending': 'Ending',
    'wb.total': 'Score: {0} of {1} ({2}%)',
    'wb.cannotPlay': 'The scenario does not load; fix its errors first.',
    'wb.lines': 'Line numbers',
    'wb.err1': '1 error', 'wb.errN': '{0} errors', 'wb.warn1': '1 warning', 'wb.warnN': '{0} warnings',
});

// One line of the editors is this many pixels high (style.css: .wb-code).
const LINE = 20;

/** checkPage is the author's workbench. */
export function checkPage(root) {
  const st = {yaml: '', policy: '', res: null, tests: null, play: null, answers: [], drafts: {}, error: '', busy: false, policyOpen: false};

  const body = () => {
    const b = {scenario: st.yaml};
    if (st.policy.trim()) b.policy = st.policy;
    return b;
  };
  const call = async (path, extra) => {
    st.busy = true; st.error = ''; draw();
    try {
      return await api('POST', path, {...body(), ...extra});
    } catch (e) {
      if (e.code === 'unauthorized' || (e.code === 'forbidden' && !(await whoami(true)))) { needLogin(root, () => { st.busy = false; draw(); }); return null; }
      st.error = errText(e.code) + (e.message ? ` (${e.message})` : '');
      return null;
    } finally {
      st.busy = false;
    }
  };
  const check = async () => {
    const r = await call('/api/check');
    if (r) st.res = r;
    draw();
    const out = root.querySelector('#wb-diags');
    if (out && r) out.focus();
  };
  const runTests = async () => {
    const r = await call('/api/check/tests');
    if (r) {
      st.tests = r.tests;
      st.res = {...(st.res || {}), ...r, scenario: st.res && st.res.scenario, analysis: st.res && st.res.analysis};
    }
    draw();
    const out = root.querySelector('#wb-tests');
    if (out) out.focus();
  };
  const play = async (restart) => {
    if (restart) { st.answers = []; st.drafts = {}; }
    const r = await call('/api/check/play', {answers: st.answers});
    if (r) st.play = r;
    else if (restart) st.play = null;
    draw();
    const out = root.querySelector('#wb-player');
    if (out) out.focus();
  };

  const draw = () => render(root,
    h('h1', t('wb.title')), h('p', {class: 'lead'}, t('wb.intro')),
    h('div', {class: 'wb'},
      h('form', {class: 'wb-edit card', onsubmit: e => { e.preventDefault(); check(); }},
        editor('check-yaml', t('check.yaml'), st.yaml, v => { st.yaml = v; }),
        h('details', {class: 'wb-policy', open: st.policyOpen || null, ontoggle: e => { st.policyOpen = e.target.open; }},
          h('summary', t('wb.policy')),
          h('p', {class: 'muted'}, t('wb.policyHelp')),
          editor('check-policy', t('wb.policyYaml'), st.policy, v => { st.policy = v; })),
        st.error ? h('p', {class: 'banner error', role: 'alert'}, st.error) : null,
        h('p', {class: 'wb-actions'},
          h('button', {type: 'submit', class: 'primary', disabled: st.busy, 'data-k': 'check'}, t('check.submit')),
          h('button', {type: 'button', disabled: st.busy, 'data-k': 'tests', onclick: runTests}, t('wb.tests')),
          h('button', {type: 'button', disabled: st.busy, 'data-k': 'play', onclick: () => play(true)}, t('wb.play')))),
      diagList(st.res, jump)),
    h('div', {id: 'check-result'},
      st.res ? h('p', {class: ['banner', st.res.ok ? 'ok' : 'error'], 'aria-live': 'polite'}, st.res.ok ? t('check.ok') : t('check.fail')) : null,
      st.tests ? testsView(st.tests) : null,
      st.play ? playerView(st, a => { if (st.busy) return; st.answers.push(a); play(false); }, () => play(true), () => { st.play = null; st.answers = []; draw(); }) : null,
      st.res && st.res.analysis ? analysisView(st.res.analysis) : null,
      st.res && st.res.scenario ? h('div', {id: 'check-scenario'}, scenarioView(st.res.scenario)) : null));

  // jump moves the editor of a diagnostic's file to its line and selects the line.
  const jump = d => {
    const policy = d.file === 'draft-policy.yaml';
    if (policy && !st.policyOpen) { st.policyOpen = true; draw(); }
    const ta = root.querySelector(policy ? '#check-policy' : '#check-yaml');
    if (!ta) return;
    const lines = ta.value.split('\n');
    const line = Math.min(Math.max(d.line || 1, 1), lines.length);
    let start = 0;
    for (let k = 0; k < line - 1; k++) start += lines[k].length + 1;
    ta.focus();
    ta.setSelectionRange(start, start + lines[line - 1].length);
    ta.scrollTop = Math.max(0, (line - 1) * LINE - ta.clientHeight / 3);
    ta.dispatchEvent(new Event('scroll'));
    const gutter = ta.parentElement.querySelector('.wb-gutter');
    for (const el of gutter.querySelectorAll('.wb-at')) el.classList.remove('wb-at');
    const n = gutter.children[line - 1];
    if (n) n.classList.add('wb-at');
  };

  whoami().then(me => { if (!me) needLogin(root, draw); else draw(); }, () => draw());
  return {rerender: draw};
}

// editor is a textarea with a gutter of line numbers that scrolls with it, and an upload. The
// page merges a redrawn view into the elements already there, so the handlers find the gutter
// and the text on the page rather than keep the ones built here.
function editor(id, label, value, set) {
  const gutterOf = ta => ta.parentElement.querySelector('.wb-gutter');
  const numbers = (gutter, n) => {
    if (gutter.children.length === n) return;
    gutter.replaceChildren(...Array.from({length: n}, (_, k) => h('span', String(k + 1))));
  };
  const gutter = h('div', {class: 'wb-gutter wb-code', 'aria-hidden': 'true'});
  numbers(gutter, value.split('\n').length);
  const ta = h('textarea', {id, class: 'wb-text wb-code', rows: 20, wrap: 'off', spellcheck: 'false', 'data-k': id, value,
    oninput: e => { set(e.target.value); numbers(gutterOf(e.target), e.target.value.split('\n').length); },
    onscroll: e => { gutterOf(e.target).scrollTop = e.target.scrollTop; }});
  const upload = h('input', {type: 'file', accept: '.yaml,.yml,text/yaml,application/yaml', 'data-k': id + '-file', onchange: async e => {
    const f = e.target.files[0];
    if (!f) return;
    const text = await f.text();
    const el = document.getElementById(id);
    el.value = text;
    el.dispatchEvent(new Event('input'));
  }});
  return h('div', {class: 'wb-file'},
    h('div', {class: 'wb-file-head'}, h('label', {class: 'field', for: id}, h('span', label)),
      h('label', {class: 'wb-upload'}, h('span', t('wb.upload')), upload)),
    h('div', {class: 'wb-editor'}, gutter, ta));
}

function diagList(res, jump) {
  const items = res ? res.diagnostics : [];
  return h('aside', {class: 'wb-diags card', id: 'wb-diags', tabindex: -1, 'aria-labelledby': 'wb-diags-title'},
    h('h2', {id: 'wb-diags-title'}, t('wb.diags')),
    !res ? h('p', {class: 'muted'}, t('wb.none'))
      : !items.length ? h('p', {class: 'ok'}, t('wb.clean'))
        : [h('p', {class: 'wb-count'}, (res.errors === 1 ? t('wb.err1') : t('wb.errN', res.errors)) + ', ' +
            (res.warnings === 1 ? t('wb.warn1') : t('wb.warnN', res.warnings))),
          h('ol', {class: 'wb-diag-list'}, items.map(d => h('li', {class: 'wb-diag ' + d.severity},
            h('button', {type: 'button', class: 'wb-jump', dataset: {line: d.line || 0, file: d.file}, onclick: () => jump(d)},
              h('span', {class: 'badge ' + (d.severity === 'error' ? 'bad' : 'warn')}, t('wb.' + d.severity)), ' ',
              h('span', {class: 'wb-loc'}, (d.file === 'draft-policy.yaml' ? t('wb.inPolicy') + ', ' : '') +
                (d.column ? t('wb.lineCol', d.line, d.column) : t('wb.line', d.line || 1))),
              h('span', {class: 'wb-msg', lang: 'en'}, d.message)),
            d.code ? h('details', {class: 'wb-code-info'},
              h('summary', h('code', d.code), d.title ? [' ', h('span', {lang: 'en'}, d.title)] : null),
              d.explain ? h('p', {lang: 'en'}, d.explain) : null) : null)))]);
}

function testsView(tests) {
  const passed = tests.filter(x => x.passed).length;
  return h('section', {class: 'card wb-tests', id: 'wb-tests', tabindex: -1, 'aria-labelledby': 'wb-tests-title'},
    h('h2', {id: 'wb-tests-title'}, t('wb.testsTitle')),
    !tests.length ? h('p', {class: 'muted'}, t('wb.noTests')) : [
      h('p', {class: ['banner', passed === tests.length ? 'ok' : 'error']}, t('wb.testsSummary', passed, tests.length)),
      h('ul', {class: 'wb-test-list'}, tests.map(x => h('li', {class: 'wb-test ' + (x.passed ? 'pass' : 'fail')},
        h('p', h('span', {class: 'badge ' + (x.passed ? 'good' : 'bad')}, x.passed ? t('wb.pass') : t('wb.fail')), ' ', h('strong', x.name)),
        h('p', {class: 'muted'}, t('wb.path') + ': ', x.path.map(i => tx(i.title) || clockOf(i)).join(' → '),
          ' ⇒ ', x.ending ? tx(x.ending.title) : t('wb.noEnding')),
        x.failures.length ? h('ul', {class: 'wb-failures'}, x.failures.map(f => h('li', {lang: 'en'}, f))) : null,
        x.unlisted.length ? h('p', {class: 'muted'}, t('wb.unlisted', x.unlisted.length)) : null)))]);
}

function playerView(st, answer, restart, stop) {
  const w = st.play.world, me = st.play.me;
  const mine = id => me.answers.find(a => a.question === id);
  let first = true;
  const parts = [];
  if (w.inject) {
    parts.push(h('article', {class: 'inject card'},
      h('p', {class: 'clock'}, clockOf(w.inject)),
      h('h3', tx(w.inject.title)),
      tx(w.inject.text) ? h('p', {class: 'inject-text'}, tx(w.inject.text)) : null));
    for (const q of w.questions) {
      const m = mine(q.id);
      let inner;
      if (m) {
        inner = [h('p', {class: 'your-answer'}, t('q.yourAnswer', answerText(q, m.answer))), feedbackBlock(q, m)];
      } else if (first) {
        first = false;
        st.drafts[q.id] = st.drafts[q.id] || {};
        inner = answerForm(q, st.drafts[q.id], a => answer({question: q.id, answer: a}), {selfRubric: true});
      } else {
        inner = h('p', {class: 'muted'}, t('wb.answerAbove'));
      }
      parts.push(h('section', {class: 'question card', dataset: {question: q.id}},
        h('p', {class: 'q-meta'}, t('type.' + q.type), q.points ? ' · ' + t('q.points', fmtNum(q.points, lang())) : ''),
        h('h4', {class: 'prompt'}, tx(q.prompt)), inner));
    }
  } else if (w.ended) {
    parts.push(h('article', {class: 'ending card wb-ending'}, h('p', {class: 'clock'}, t('wb.ending')),
      h('h3', w.ending ? tx(w.ending.title) : t('wb.noEnding')), w.ending ? h('p', tx(w.ending.text)) : null));
  }
  if (w.state.length) {
    parts.push(h('dl', {class: 'state-list'}, w.state.map(v => [h('dt', tx(v.label) || v.name),
      h('dd', typeof v.value === 'boolean' ? (v.value ? t('common.yes') : t('common.no')) : typeof v.value === 'number' ? fmtNum(v.value, lang()) : String(v.value))])));
  }
  const tot = me.total;
  return h('section', {class: 'card wb-player', id: 'wb-player', tabindex: -1, 'aria-labelledby': 'wb-player-title',
    'aria-busy': st.busy ? 'true' : 'false', dataset: {answers: String(me.answers.length)}},
    h('h2', {id: 'wb-player-title'}, t('wb.player')),
    parts,
    tot ? h('p', {class: 'total'}, t('wb.total', fmtNum(tot.points, lang()), fmtNum(tot.max, lang()), fmtNum(tot.percent, lang()))) : null,
    h('p', {class: 'wb-actions'},
      h('button', {type: 'button', 'data-k': 'restart', disabled: st.busy, onclick: restart}, t('wb.restart')),
      h('button', {type: 'button', 'data-k': 'stop', onclick: stop}, t('wb.stop'))));
}
