// The analysis of `paraat analyze` on the viewer page: gates with their findings, the
// headline numbers, the naive strategies, the form of every key, how much decisions matter,
// what each lens makes of the file, and clock and flow. Texts come as {nl, en}; ids are
// never shown, only prompts, titles and labels.

import {h, fmtNum} from './dom.js';
import {t, tx, lang} from './i18n.js';

const pct = v => (v === null || v === undefined) ? '—' : fmtNum(Math.round(v), lang()) + '%';

function gateStatus(g) {
  if (!g.applies) return ['na', t('an.na')];
  if (g.relaxed) return ['relaxed', t('an.relaxed')];
  return g.passed ? ['pass', t('an.pass')] : ['fail', t('an.fail')];
}

function endingsText(list) {
  if (!list || !list.length) return '—';
  return list.map(e => (e.ending ? tx(e.ending.text) : t('an.noEnding')) + (e.best ? ' ★' : '') + ' ×' + e.runs).join(', ');
}

function table(cls, head, rows) {
  return h('div', {class: 'table-scroll'}, h('table', {class: 'table ' + cls},
    h('thead', h('tr', head.map(c => h('th', {scope: 'col'}, c)))),
    h('tbody', rows)));
}

/** analysisView renders an analyze.Report. */
export function analysisView(a) {
  const s = a.summary;
  const failed = a.gates.filter(g => g.applies && !g.passed && !g.relaxed).length;
  const lensTitle = id => { const l = a.lenses.find(x => x.lens === id); return l ? tx(l.title) : ''; };
  return h('section', {class: 'card analysis', id: 'analysis', 'aria-labelledby': 'analysis-title'},
    h('h2', {id: 'analysis-title'}, t('an.title')),
    h('p', {class: 'lead'}, t('an.intro', lensTitle(a.lens))),
    h('p', {class: ['banner', failed ? 'error' : 'ok'], 'data-k': 'an-verdict'}, failed ? t('an.failed', failed, a.gates.filter(g => g.applies).length) : t('an.allPass')),
    h('dl', {class: 'an-summary'},
      h('dt', t('an.policy')), h('dd', pct(s.policy_percent) + (a.policy.ending ? ' · ' + tx(a.policy.ending.text) : '')),
      h('dt', t('an.bestNaive')), h('dd', pct(s.best_naive_of_policy)),
      h('dt', t('an.random')), h('dd', pct(s.random_mean_of_policy)),
      h('dt', t('an.longest')), h('dd', pct(s.key_longest_share)),
      a.kind === 'scenario' ? [h('dt', t('an.endings')), h('dd', t('an.endingsOf', s.reachable_endings, a.endings.length)),
        h('dt', t('an.swaps')), h('dd', pct(a.sensitivity && a.sensitivity.worst_change_share))] : null),
    a.brief ? briefView(a.brief) : null,
    h('h3', t('an.gates')),
    h('ul', {class: 'an-gates'}, a.gates.map(g => {
      const [cls, label] = gateStatus(g);
      return h('li', {class: 'an-gate ' + cls},
        h('span', {class: 'badge ' + cls}, label), ' ', h('span', {class: 'an-gate-label'}, tx(g.label)),
        g.findings.length ? h('ul', {class: 'an-findings'}, g.findings.map(f => h('li', tx(f)))) : null,
        g.reason ? h('p', {class: 'an-reason'}, h('strong', t('an.reason') + ' '), tx(g.reason)) : null);
    })),
    a.problems.length ? h('ul', {class: 'diag-list'}, a.problems.map(p => h('li', {class: 'diag warning'}, t('an.line', p.line) + ' ' + tx(p.message)))) : null,
    h('h3', t('an.strategies')),
    table('an-strategies', [t('an.strategy'), t('an.ofPolicy'), t('an.reached')], [
      ...a.strategies.filter(st => st.applies).map(st => h('tr', h('th', {scope: 'row'}, tx(st.label)), h('td', {class: 'num'}, pct(st.of_policy)), h('td', endingsText(st.endings)))),
      h('tr', h('th', {scope: 'row'}, t('an.randomRow', a.random.runs)), h('td', {class: 'num'}, pct(a.random.mean_of_policy) + ' ± ' + pct(a.random.sd_of_policy)), h('td', endingsText(a.random.endings)))]),
    h('h3', t('an.cues')),
    h('p', t('an.cuesText', pct(a.cues.key_longest_share), pct(a.cues.key_longest_chance), pct(a.cues.key_first_in_file_share),
      a.cues.keys_with_absolute, a.cues.keys, a.cues.distractors_with_absolute, a.cues.distractors)),
    a.questions.some(q => q.key_longest) ? h('p', {class: 'muted'}, t('an.flagNote')) : null,
    table('an-cues', [t('an.question'), t('an.key'), t('an.lengthRank'), t('an.position'), t('an.absolute'), t('an.selectAll')],
      a.questions.map(q => h('tr', {class: q.key_longest ? 'an-flag' : ''},
        h('th', {scope: 'row'}, tx(q.prompt)),
        h('td', q.key.map(k => tx(k.text)).join(' · ') || '—'),
        h('td', {class: 'num'}, q.key_chars_rank ? t('an.rankOf', q.key_chars_rank, q.options) : '—'),
        h('td', {class: 'num'}, q.key_file_position ? t('an.rankOf', q.key_file_position, q.options) : '—'),
        h('td', (q.absolute_in_key.length || q.absolute_in_distractors.length) ? t('an.absKD', q.absolute_in_key.join(', ') || '—', q.absolute_in_distractors.join(', ') || '—') : '—'),
        h('td', {class: 'num'}, q.select_all_percent !== undefined && q.select_all_percent !== null ? pct(q.select_all_percent) : '—')))),
    a.sensitivity ? sensitivityView(a.sensitivity) : null,
    h('h3', t('an.lenses')),
    table('an-lenses', [t('an.lens'), t('an.addressed'), t('an.silent'), t('an.differs'), t('an.lensEnding'), t('an.fallback')],
      a.lenses.map(l => h('tr', h('th', {scope: 'row'}, tx(l.title)), h('td', {class: 'num'}, String(l.addressed)), h('td', {class: 'num'}, String(l.silent.length)),
        h('td', {class: 'num'}, String(l.differs.length)), h('td', l.path.ending ? tx(l.path.ending.text) : t('an.noEnding')),
        h('td', {class: 'num'}, String(l.default_lens_steps + l.ambiguous_steps))))),
    a.flow ? flowView(a.flow) : null);
}

function briefView(b) {
  const list = (k, xs) => xs && xs.length ? [h('dt', t(k)), h('dd', h('ul', xs.map(x => h('li', tx(x)))))] : null;
  return [h('h3', t('an.brief')), h('dl', {class: 'an-brief'}, list('an.goals', b.goals), list('an.sources', b.sources), list('an.disagreements', b.disagreements))];
}

function sensitivityView(sn) {
  return [h('h3', t('an.sensitivity')),
    h('p', t('an.sensText', sn.decisions, sn.swaps, sn.swaps_change_ending, sn.worst_change_ending)),
    table('an-sens', [t('an.question'), t('an.changes')], sn.items.map(d => h('tr', h('th', {scope: 'row'}, tx(d.question.text)),
      h('td', {class: 'num'}, t('an.ofSwaps', d.swaps.filter(x => x.ending_changed).length, d.swaps.length))))),
    sn.change_nothing.length ? [h('p', h('strong', t('an.nothing'))), h('ul', sn.change_nothing.map(q => h('li', tx(q.text))))] : null,
    sn.same_effects_best_worst.length ? [h('p', h('strong', t('an.sameEffects'))), h('ul', sn.same_effects_best_worst.map(q => h('li', tx(q.text))))] : null];
}

function flowView(f) {
  return [h('h3', t('an.flow')),
    h('p', f.bound_hit ? t('an.bound', f.bound) : t('an.explored', f.runs)),
    h('p', t('an.reachable') + ' ' + (f.reachable_endings.map(e => tx(e.text)).join(', ') || '—')),
    f.backwards.length ? h('ul', {class: 'an-findings'}, f.backwards.map(b => h('li', t('an.back', b.from_clock, tx(b.from.text), b.to_clock, tx(b.to.text))))) : null,
    f.repeats.length ? h('ul', {class: 'an-findings'}, f.repeats.map(r => h('li', t('an.repeat', tx(r.text))))) : null,
    f.rule_injects.length ? h('ul', f.rule_injects.map(r => h('li', t('an.ruleInject', tx(r.inject.text), r.then.map(x => tx(x.text)).concat(r.ends ? [t('an.theEnd')] : []).join(', ') || '—')))) : null];
}
