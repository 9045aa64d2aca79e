// Questions of every type as participants and learners answer them, and the feedback that
// quotes the policy behind a score. Shared by the live participant view and self-study.

import {h, own, announce, fmtNum} from './dom.js';
import {t, tx, lang} from './i18n.js';

/** optionText returns the text of option id of q, or the id itself. */
export function optionText(q, id) {
  const o = (q.options || []).find(o => o.id === id);
  return o ? tx(o.text) : id;
}

/** answerText renders an answer in one line. */
export function answerText(q, a) {
  if (!a) return '';
  if (a.option) return optionText(q, a.option);
  if (a.options && q.type === 'rank') return a.options.map((id, i) => `${i + 1}. ${optionText(q, id)}`).join('  ');
  if (a.options) {
    // A set: listed in the order the options were shown.
    const at = id => { const i = (q.options || []).findIndex(o => o.id === id); return i < 0 ? Infinity : i; };
    return a.options.length ? [...a.options].sort((x, y) => at(x) - at(y)).map(id => optionText(q, id)).join(', ') : '—';
  }
  if (typeof a.number === 'number') return fmtNum(a.number, lang()) + (q.unit ? ' ' + tx(q.unit) : '');
  if (typeof a.text === 'string') return a.text;
  return '';
}

/** tieText says that a majority vote was tied and how the tie was settled. */
export function tieText(q, tie) {
  const names = (tie.options || []).map(id => optionText(q, id).replace(/[.]$/, ''));
  const list = names.length > 1 ? names.slice(0, -1).join(', ') + ' ' + t('common.and') + ' ' + names[names.length - 1] : names.join('');
  return t('q.tie', list);
}

/** scoreLine describes a score in words. */
export function scoreLine(score) {
  if (!score) return '';
  if (!score.addressed) return t('q.unaddressed');
  if (score.pending) return t('q.pending');
  return t('q.scoreLine', fmtNum(score.points, lang()), fmtNum(score.max, lang()));
}

/** statementsBlock quotes policy statements with their source and section. */
export function statementsBlock(statements, q) {
  if (!statements || !statements.length) return null;
  // The passages behind what was chosen first: those are the ones that explain the score.
  const list = [...statements].sort((a, b) => (b.chosen ? 1 : 0) - (a.chosen ? 1 : 0));
  // Folded: on a phone the passages would otherwise make the feedback several screens long.
  return h('details', {class: 'policy'},
    h('summary', t('q.policy') + ' (' + list.length + ')'),
    h('ul', {class: 'statements'}, list.map(st => h('li', {class: ['statement', st.supports ? 'supports' : 'conflicts', st.chosen && 'chosen']},
      h('p', {class: 'stance'},
        h('span', {class: 'badge ' + (st.supports ? 'good' : 'bad')}, st.supports ? t('q.supports') : t('q.conflicts')),
        st.via && q ? ' ' + t('q.via', viaText(q, st.via)) : '',
        st.chosen ? h('span', {class: 'badge'}, t('q.chosen')) : ''),
      h('blockquote', {lang: 'nl'}, '“' + st.quote + '”'),
      h('p', {class: 'source'}, '— ', h('cite', tx(st.document && st.document.title)),
        st.document && st.document.year ? ` (${st.document.year})` : '',
        st.section ? ', ' + t('q.section', st.section) : ''),
      st.summary && tx(st.summary) ? h('p', {class: 'summary'}, tx(st.summary)) : null))));
}

function viaText(q, via) {
  const o = (q.options || []).find(o => o.id === via);
  if (o) return tx(o.text);
  const it = (q.rubric || []).find(i => i.id === via);
  if (it) return tx(it.text);
  return via;
}

/** timerEl is a countdown that the page's ticker keeps up to date. */
export function timerEl(qid) {
  return h('p', {class: 'timer', role: 'timer', 'aria-label': t('q.timer')},
    h('span', {class: 'countdown', dataset: {q: qid}}, ''));
}

/**
 * answerForm builds the input for an open question. draft holds what the user has entered
 * so far and survives re-rendering; send(answer) is called with a valid answer.
 */
export function answerForm(q, draft, send, {selfRubric} = {}) {
  const name = 'q-' + q.id;
  const msg = h('p', {class: 'form-error', role: 'alert'});
  let body;
  switch (q.type) {
    case 'choice':
      body = h('fieldset', {class: 'options'}, h('legend', {class: 'sr-only'}, tx(q.prompt)),
        q.options.map(o => h('label', {class: 'option'},
          h('input', {type: 'radio', name, value: o.id, checked: draft.option === o.id, 'data-k': name + '-' + o.id,
            onchange: () => { draft.option = o.id; }}),
          h('span', tx(o.text)))));
      break;
    case 'multi':
      draft.options = draft.options || [];
      body = h('fieldset', {class: 'options'}, h('legend', {class: 'sr-only'}, tx(q.prompt)),
        q.options.map(o => h('label', {class: 'option'},
          h('input', {type: 'checkbox', name, value: o.id, checked: draft.options.includes(o.id), 'data-k': name + '-' + o.id,
            onchange: e => {
              draft.options = draft.options.filter(x => x !== o.id);
              if (e.target.checked) draft.options.push(o.id);
            }}),
          h('span', tx(o.text)))));
      break;
    case 'rank':
      if (!draft.order || draft.order.length !== q.options.length) draft.order = q.options.map(o => o.id);
      body = rankList(q, draft);
      break;
    case 'number':
      body = h('label', {class: 'field'}, h('span', t('q.number')),
        h('span', {class: 'with-unit'},
          h('input', {type: 'text', inputmode: 'decimal', autocomplete: 'off', value: draft.number ?? '', 'data-k': name,
            oninput: e => { draft.number = e.target.value; }}),
          q.unit ? h('span', {class: 'unit'}, tx(q.unit)) : null));
      break;
    case 'text':
      draft.items = draft.items || [];
      body = h('div', {},
        h('label', {class: 'field'}, h('span', t('q.text')),
          h('textarea', {rows: 4, maxlength: 4000, 'data-k': name, value: draft.text ?? '',
            oninput: e => { draft.text = e.target.value; }})),
        selfRubric && q.rubric && q.rubric.length ? h('fieldset', {class: 'options'},
          h('legend', t('q.selfRubric')),
          q.rubric.map(it => h('label', {class: 'option'},
            h('input', {type: 'checkbox', checked: draft.items.includes(it.id), 'data-k': name + '-item-' + it.id,
              onchange: e => {
                draft.items = draft.items.filter(x => x !== it.id);
                if (e.target.checked) draft.items.push(it.id);
              }}),
            h('span', tx(it.text), ' ', h('span', {class: 'muted'}, '(' + t('q.points', fmtNum(it.points, lang())) + ')'))))) : null);
      break;
    default:
      body = h('p', q.type);
  }
  const onsubmit = e => {
    e.preventDefault();
    const a = toAnswer(q, draft, selfRubric);
    // The message element of the form on the page: a later view may have been merged into it.
    const shown = e.currentTarget.querySelector('.form-error') || msg;
    if (a.error) {
      shown.textContent = a.error;
      return;
    }
    shown.textContent = '';
    send(a.answer);
  };
  return h('form', {class: 'answer', onsubmit, 'aria-label': tx(q.prompt)},
    body, msg, h('button', {type: 'submit', class: 'primary', 'data-k': name + '-send'}, t('q.send')));
}

function toAnswer(q, d, selfRubric) {
  switch (q.type) {
    case 'choice':
      return d.option ? {answer: {option: d.option}} : {error: t('q.pick')};
    case 'multi':
      return d.options && d.options.length ? {answer: {options: [...d.options]}} : {error: t('q.pickSome')};
    case 'rank':
      return {answer: {options: [...d.order]}};
    case 'number': {
      const s = String(d.number ?? '').trim().replace(/\s/g, '').replace(',', '.');
      const n = Number(s);
      return s !== '' && Number.isFinite(n) ? {answer: {number: n}} : {error: t('q.numberBad')};
    }
    case 'text': {
      const text = String(d.text ?? '').trim();
      if (!text) return {error: t('q.textEmpty')};
      const a = {text};
      if (selfRubric) a.items = [...(d.items || [])];
      return {answer: a};
    }
  }
  return {error: t('err.invalid')};
}

function rankList(q, draft) {
  const ol = h('ol', {class: 'rank'});
  const help = h('p', {class: 'hint', id: 'help-' + q.id}, t('q.rankHelp'));
  const move = (id, to) => {
    const from = draft.order.indexOf(id);
    if (to < 0 || to >= draft.order.length || from === to) return;
    draft.order.splice(from, 1);
    draft.order.splice(to, 0, id);
    fill();
    const b = ol.querySelector(`[data-k="${CSS.escape('rank-' + q.id + '-' + id + (to < from ? '-up' : '-down'))}"]`) ||
      ol.querySelector(`[data-k^="${CSS.escape('rank-' + q.id + '-' + id)}"]`);
    if (b && !b.disabled) b.focus(); else {
      const other = ol.querySelector(`[data-k^="${CSS.escape('rank-' + q.id + '-' + id)}"]:not([disabled])`);
      if (other) other.focus();
    }
    announce(t('q.moved', optionText(q, id), to + 1, draft.order.length));
  };
  const fill = () => {
    ol.replaceChildren(...draft.order.map((id, i) => {
      const label = optionText(q, id);
      const handle = h('span', {class: 'handle', 'aria-hidden': 'true'}, '⠿');
      const li = h('li', {class: 'rank-item', dataset: {id}},
        handle, h('span', {class: 'rank-pos'}, String(i + 1) + '.'), h('span', {class: 'rank-text'}, label),
        h('span', {class: 'rank-buttons'},
          h('button', {type: 'button', class: 'icon', 'aria-label': t('q.up', label), disabled: i === 0,
            'data-k': 'rank-' + q.id + '-' + id + '-up', 'aria-describedby': 'help-' + q.id, onclick: () => move(id, i - 1)}, '↑'),
          h('button', {type: 'button', class: 'icon', 'aria-label': t('q.down', label), disabled: i === draft.order.length - 1,
            'data-k': 'rank-' + q.id + '-' + id + '-down', 'aria-describedby': 'help-' + q.id, onclick: () => move(id, i + 1)}, '↓')));
      dragging(handle, li, ol, q, draft, fill);
      return li;
    }));
  };
  fill();
  return own(h('div', {}, help, ol));
}

// dragging lets a pointer (mouse, pen or finger) drag an option by its handle; the DOM
// moves live and the draft follows on release.
function dragging(handle, li, ol, q, draft, fill) {
  let active = false;
  handle.addEventListener('pointerdown', e => {
    active = true;
    handle.setPointerCapture(e.pointerId);
    li.classList.add('dragging');
    e.preventDefault();
  });
  handle.addEventListener('pointermove', e => {
    if (!active) return;
    // Near the top or bottom edge of the screen the page scrolls along, so that a long
    // list on a phone can be ordered in one drag.
    const edge = 56;
    if (e.clientY < edge) window.scrollBy(0, -Math.ceil((edge - e.clientY) / 4));
    else if (e.clientY > innerHeight - edge) window.scrollBy(0, Math.ceil((e.clientY - innerHeight + edge) / 4));
    const items = [...ol.children];
    for (const other of items) {
      if (other === li) continue;
      const r = other.getBoundingClientRect();
      const mid = r.top + r.height / 2;
      const idx = items.indexOf(other), mine = items.indexOf(li);
      if (idx < mine && e.clientY < mid) { ol.insertBefore(li, other); break; }
      if (idx > mine && e.clientY > mid) { ol.insertBefore(li, other.nextSibling); break; }
    }
  });
  const end = () => {
    if (!active) return;
    active = false;
    li.classList.remove('dragging');
    draft.order = [...ol.children].map(x => x.dataset.id);
    const id = li.dataset.id;
    fill();
    announce(t('q.moved', optionText(q, id), draft.order.indexOf(id) + 1, draft.order.length));
  };
  handle.addEventListener('pointerup', end);
  handle.addEventListener('pointercancel', end);
}

/** feedbackBlock shows a scored, revealed answer: the score, the feedback and the policy. */
export function feedbackBlock(q, mine) {
  const chosen = new Set(mine.answer.option ? [mine.answer.option] : (mine.answer.options || []));
  const fbs = (q.options || []).filter(o => chosen.has(o.id) && o.feedback).map(o => h('p', {class: 'option-feedback'},
    h('strong', optionText(q, o.id).replace(/[.:]$/, '') + ': '), tx(o.feedback)));
  return h('section', {class: 'feedback', 'aria-label': t('q.feedback')},
    h('p', {class: 'score-line'}, scoreLine(mine.score)),
    fbs,
    q.feedback ? h('p', {class: 'question-feedback'}, tx(q.feedback)) : null,
    statementsBlock(mine.statements, q));
}
