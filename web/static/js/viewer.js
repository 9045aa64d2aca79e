// The scenario viewer for authors: a scenario in full (injects, questions, options with
// their citations and quotes, rules, endings), its branch graph, and the diagnostics of
// `paraat check`; and a page that checks a pasted draft.

import {h, render, fmtNum} from './dom.js';
import {t, tx, lang, errText} from './i18n.js';
import {api, whoami, login} from './api.js';
import {branchGraph} from './graph.js';
import {analysisView} from './analysis.js';

function needLogin(root, then) {
  const form = {name: '', password: '', error: ''};
  const draw = () => render(root, h('h1', t('login.title')),
    h('form', {class: 'card form', onsubmit: async e => {
      e.preventDefault();
      try { await login(form.name, form.password); then(); } catch (err) { form.error = errText(err.code); draw(); }
    }},
    h('label', {class: 'field', for: 'login-name'}, h('span', t('login.name'))),
    h('input', {id: 'login-name', 'data-k': 'name', autocomplete: 'username', value: form.name, oninput: e => { form.name = e.target.value; }}),
    h('label', {class: 'field', for: 'login-password'}, h('span', t('login.password'))),
    h('input', {id: 'login-password', 'data-k': 'pw', type: 'password', autocomplete: 'current-password', oninput: e => { form.password = e.target.value; }}),
    form.error ? h('p', {class: 'banner error', role: 'alert'}, form.error) : null,
    h('button', {type: 'submit', class: 'primary', 'data-k': 'login'}, t('login.submit'))));
  draw();
  return draw;
}

/** viewerPage renders one library scenario with its warnings. */
export function viewerPage(root, id) {
  let res = null, error = '';
  const draw = () => {
    if (error) { render(root, h('p', {class: 'banner error', role: 'alert'}, error)); return; }
    if (!res) { render(root, h('p', {class: 'muted'}, t('common.loading'))); return; }
    render(root, h('p', h('a', {href: '#/fac'}, '← ' + t('common.back'))), h('p', {class: 'meta'}, t('view.title')),
      diagnostics(res), res.analysis ? analysisView(res.analysis) : null, scenarioView(res.scenario));
  };
  const load = () => api('GET', '/api/scenarios/' + encodeURIComponent(id) + '/source')
    .then(r => { res = r; draw(); }, e => {
      if (e.code === 'unauthorized') { needLogin(root, load); return; }
      error = errText(e.code); draw();
    });
  draw();
  whoami().then(() => load(), () => load());
  return {rerender: draw};
}

/** checkPage checks a pasted scenario draft on the server. */
export function checkPage(root) {
  let res = null, error = '', yaml = '', busy = false;
  const submit = async () => {
    busy = true; error = ''; draw();
    try {
      res = await api('POST', '/api/check', yaml, 'application/yaml');
    } catch (e) {
      if (e.code === 'unauthorized' || (e.code === 'forbidden' && !(await whoami(true)))) { needLogin(root, () => { busy = false; draw(); }); return; }
      error = errText(e.code) + (e.message ? ` (${e.message})` : '');
      res = null;
    }
    busy = false;
    draw();
    const out = root.querySelector('#check-result');
    if (out) out.focus();
  };
  const draw = () => render(root,
    h('h1', t('check.title')), h('p', {class: 'lead'}, t('check.intro')),
    h('form', {class: 'card form', onsubmit: e => { e.preventDefault(); submit(); }},
      h('label', {class: 'field', for: 'check-yaml'}, h('span', t('check.yaml'))),
      h('textarea', {id: 'check-yaml', class: 'code', rows: 16, spellcheck: 'false', 'data-k': 'yaml', value: yaml, oninput: e => { yaml = e.target.value; }}),
      error ? h('p', {class: 'banner error', role: 'alert'}, error) : null,
      h('button', {type: 'submit', class: 'primary', disabled: busy, 'data-k': 'check'}, t('check.submit'))),
    res ? h('section', {id: 'check-result', tabindex: -1, 'aria-live': 'polite'},
      h('p', {class: ['banner', res.ok ? 'ok' : 'error']}, res.ok ? t('check.ok') : t('check.fail')),
      diagnostics(res), res.analysis ? analysisView(res.analysis) : null, res.scenario ? scenarioView(res.scenario) : null) : null);
  whoami().then(me => { if (!me) needLogin(root, draw); else draw(); }, () => draw());
  return {rerender: draw};
}

function diagnostics(res) {
  return h('section', {class: 'card diagnostics', 'aria-labelledby': 'diag-title'},
    h('h2', {id: 'diag-title'}, t('view.diagnostics')),
    res.diagnostics.length === 0 ? h('p', {class: 'ok'}, t('view.clean')) : [
      h('p', t('view.errors', res.errors, res.warnings)),
      h('ul', {class: 'diag-list'}, res.diagnostics.map(d => h('li', {class: 'diag ' + d.severity}, h('code', d.text))))]);
}

function cites(ids, statements, supports) {
  if (!ids || !ids.length) return null;
  return h('ul', {class: 'statements'}, ids.map(id => {
    const st = statements[id];
    return h('li', {class: ['statement', supports ? 'supports' : 'conflicts']},
      h('p', {class: 'stance'}, h('span', {class: 'badge ' + (supports ? 'good' : 'bad')}, supports ? t('q.supports') : t('q.conflicts')), ' ', h('code', id)),
      st ? [h('blockquote', {lang: 'nl'}, '“' + st.quote + '”'),
        h('p', {class: 'source'}, '— ', h('cite', tx(st.document.title)), st.document.year ? ` (${st.document.year})` : '', st.section ? ', ' + t('q.section', st.section) : '')] : null);
  }));
}

function exprs(list, label) {
  if (!list || !list.length) return null;
  return h('p', {class: 'exprs'}, h('span', {class: 'muted'}, label + ': '), list.map((e, i) => [i ? ', ' : '', h('code', e)]));
}

/** scenarioView renders a SourceDetail. */
export function scenarioView(sc) {
  const st = sc.statements || {};
  return h('div', {class: 'scenario-view'},
    h('h1', tx(sc.title), ' ', h('code', {class: 'muted'}, sc.id)),
    h('p', tx(sc.summary)),
    h('p', {class: 'meta'}, `${sc.kind} · ${sc.lens} · ` + t('lib.questions', sc.questions)),
    sc.roles.length ? h('p', h('strong', t('lib.roles') + ': '), sc.roles.map(r => `${tx(r.name)} (${r.id})`).join(', ')) : null,
    sc.teams.length ? h('p', h('strong', t('lib.teams') + ': '), sc.teams.map(r => `${tx(r.name)} (${r.id})`).join(', ')) : null,
    sc.state.length ? [h('h2', t('view.state')), h('table', {class: 'table'}, h('tbody', sc.state.map(v => h('tr',
      h('th', {scope: 'row'}, h('code', v.name)), h('td', tx(v.label)), h('td', v.type), h('td', String(v.initial)),
      h('td', `${v.min ?? '−∞'} … ${v.max ?? '∞'}`)))))] : null,
    h('h2', t('lib.graph')), branchGraph(sc),
    sc.coverage && sc.coverage.length ? [h('h2', t('view.coverage')), h('table', {class: 'table'}, h('tbody', sc.coverage.map(c =>
      h('tr', h('th', {scope: 'row'}, c.lens), h('td', `${c.addressed} / ${c.questions}`)))))] : null,
    h('h2', t('lib.injects')),
    sc.injects.map(i => h('section', {class: 'card inject-src', id: 'inject-' + i.id},
      h('h3', h('code', i.id), ' ', [i.clock, tx(i.title)].filter(Boolean).join(' · '), i.id === sc.start ? h('span', {class: 'badge'}, t('view.start')) : null),
      tx(i.text) ? h('p', tx(i.text)) : null,
      exprs(i.effects, t('view.effects')),
      i.questions.map(q => h('div', {class: 'q-src'},
        h('h4', h('code', q.id), ' ', tx(q.prompt)),
        h('p', {class: 'meta'}, `${q.type} · ${q.decides}` + (q.time_limit_ms ? ` · ${q.time_limit_ms / 1000}s` : '') + ` · ${fmtNum(q.points, lang())} pt` + (q.roles.length ? ' · ' + q.roles.join(', ') : ''),
          q.assess === 'fact' ? h('span', {class: 'badge'}, t('view.fact')) : null,
          q.fixed ? h('span', {class: 'badge'}, t('view.fixedOrder')) : null),
        q.feedback ? h('p', {class: 'question-feedback'}, tx(q.feedback)) : null,
        q.options ? h('ol', {class: 'options-src'}, q.options.map(o => h('li',
          h('p', h('code', o.id), ' ', tx(o.text), o.fixed ? h('span', {class: 'badge'}, t('view.fixedPlace')) : null),
          o.when ? exprs([o.when], t('view.when')) : null,
          o.score ? exprs([o.score], 'score') : null,
          exprs(o.effects, t('view.effects')),
          o.feedback ? h('p', {class: 'option-feedback'}, tx(o.feedback)) : null,
          cites(o.supports, st, true), cites(o.conflicts, st, false)))) : null,
        q.accept ? [h('p', h('strong', t('view.accept'))), h('ul', q.accept.map(a => h('li', `${a.value} ± ${a.tolerance}`, cites(a.supports, st, true), cites(a.conflicts, st, false))))] : null,
        q.rubric ? [h('p', h('strong', t('view.rubric'))), h('ul', q.rubric.map(it => h('li', h('code', it.id), ' ', tx(it.text), ` (${fmtNum(it.points, lang())})`,
          cites(it.supports, st, true), cites(it.conflicts, st, false))))] : null)),
      i.next.length ? h('ul', {class: 'next'}, i.next.map(b => h('li', b.when ? [h('code', b.when), ' → '] : t('view.default') + ' → ', h('a', {href: '#inject-' + b.goto, onclick: e => {
        e.preventDefault();
        const el = document.getElementById('inject-' + b.goto);
        if (el) { el.scrollIntoView(); el.setAttribute('tabindex', '-1'); el.focus(); }
      }}, b.goto)))) : null)),
    sc.rules.length ? [h('h2', t('view.rules')), h('ul', sc.rules.map(r => h('li', {class: 'card'}, h('code', r.id), ': ', h('code', r.when),
      r.inject ? [' → ', r.inject] : null, exprs(r.effects, t('view.effects')), r.message ? h('p', tx(r.message)) : null)))] : null,
    sc.endings.length ? [h('h2', t('view.endings')), h('ul', sc.endings.map(e => h('li', {class: 'card'}, h('strong', tx(e.title)), ' ', h('code', e.id),
      e.when ? exprs([e.when], t('view.when')) : h('span', {class: 'muted'}, ' (' + t('view.default') + ')'), h('p', tx(e.text)))))] : null);
}
