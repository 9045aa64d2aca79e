// The branch graph of a scenario as SVG: injects in layers from the start, the `next`
// branches as arrows labelled with what leads there (the option chosen, or the condition),
// rules as dashed arrows from a small node, and the endings, each its own node with a shape
// of its own, reached through a junction where the playthrough ends. A path (a world's
// playthrough) can be highlighted.

import {h, s} from './dom.js';
import {t, tx, addWords} from './i18n.js';
import {clockOf} from './injecttext.js';

addWords({'view.rule': 'regel'}, {'view.rule': 'rule'});

const W = 168, H = 50, GY = 22, PAD = 16, EW = 176, EH = 44, JR = 12;

/**
 * branchGraph draws detail ({start, injects: [{id, clock, title, questions, next: [{when,
 * goto}]}], rules: [{id, when, inject}], endings: [{id, when, title}]}). path is a list of
 * inject ids to highlight, in order; ending the id of the ending it reached. conditions says
 * the endings carry their conditions (a scenario's source), so that an ending without one is
 * the default. With names (for facilitators rather than authors) no id and no condition is
 * shown: a branch is labelled only with the option that leads there.
 */
export function branchGraph(detail, path, {names, conditions, ending} = {}) {
  const injects = detail.injects || [];
  const endings = detail.endings || [];
  const byId = new Map(injects.map(i => [i.id, i]));
  const labelled = injects.some(i => (i.next || []).length > 1) || endings.length > 0;
  const GX = labelled ? 120 : 64;
  const depth = new Map();
  const queue = [];
  const visit = (id, d) => { if (byId.has(id) && !depth.has(id)) { depth.set(id, d); queue.push(id); } };
  visit(detail.start, 0);
  const bfs = () => {
    while (queue.length) {
      const id = queue.shift();
      for (const b of byId.get(id).next || []) visit(b.goto, depth.get(id) + 1);
    }
  };
  bfs();
  // What only a rule (or nothing) leads to goes one layer after the start.
  for (const r of detail.rules || []) if (r.inject && !depth.has(r.inject)) { visit(r.inject, 1); bfs(); }
  for (const i of injects) if (!depth.has(i.id)) { visit(i.id, 1); bfs(); }
  const ends = injects.filter(i => !(i.next || []).length || (i.next[i.next.length - 1].when || '') !== '');
  const maxDepth = Math.max(0, ...depth.values());
  const layers = [];
  for (const i of injects) {
    const d = depth.get(i.id);
    (layers[d] = layers[d] || []).push(i.id);
  }
  const ruleNodes = (detail.rules || []).filter(r => r.inject && byId.has(r.inject));
  const pos = new Map();
  let height = 0;
  layers.forEach((ids, d) => {
    (ids || []).forEach((id, k) => {
      pos.set(id, {x: PAD + d * (W + GX), y: PAD + k * (H + GY)});
      height = Math.max(height, PAD + (k + 1) * (H + GY));
    });
  });
  // Where a playthrough ends: a junction, then each ending (or one plain end node when the
  // detail does not list its endings).
  const endX = PAD + (maxDepth + 1) * (W + GX);
  const junction = ends.length ? {x: endX, y: PAD + H / 2 - JR} : null;
  const endingPos = new Map();
  endings.forEach((e, k) => {
    endingPos.set(e.id, {x: endX + 2 * JR + GX, y: PAD + k * (EH + GY)});
    height = Math.max(height, PAD + (k + 1) * (EH + GY));
  });
  const plainEnd = ends.length && !endings.length ? {x: endX, y: PAD} : null;
  // Rule nodes sit under everything, each above its target's column.
  const ruleY = height + 10;
  const rulePos = new Map();
  ruleNodes.forEach((r, k) => {
    const tp = pos.get(r.inject);
    rulePos.set(r.id, {x: Math.max(PAD, tp.x - W / 2 - GX / 2 + (k % 2) * 12), y: ruleY + (k % 3) * 34});
  });
  if (ruleNodes.length) height = ruleY + Math.min(ruleNodes.length, 3) * 34 + 10;
  const width = endings.length ? endX + 2 * JR + GX + EW + PAD : PAD * 2 + (maxDepth + (plainEnd ? 2 : 1)) * (W + GX) - GX;
  height = Math.max(height, PAD * 2 + H);

  const on = new Set(path || []);
  const onEdge = new Set();
  for (let k = 1; k < (path || []).length; k++) onEdge.add(path[k - 1] + '→' + path[k]);
  const last = path && path.length ? path[path.length - 1] : '';

  const edges = [], labels = [];
  // edge draws an arrow from the right side of a box (x1, y1) to the left side of another
  // (x2, y2), bulging out to the right within a column, looping underneath when it goes back;
  // the label sits halfway, or just before the arrow's head with atEnd.
  const edge = (x1, y1, x2, y2, cls, tip, label, loop, atEnd) => {
    let d, lx, ly, anchor = 'middle';
    if (loop && loop.side) {
      const out = x1 + GX * 0.6;
      d = `M${x1},${y1} C${out},${y1} ${out},${y2} ${x2},${y2}`;
      lx = x1 + GX * 0.45 + 4; ly = (y1 + y2) / 2 + 4; anchor = 'start';
    } else if (!loop) {
      const mx = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
      lx = mx; ly = (y1 + y2) / 2;
      if (atEnd) { lx = x2 - 10; ly = y2; anchor = 'end'; }
    } else {
      const low = Math.max(loop.fy, loop.ty) + H * 1.5;
      d = `M${loop.fx},${loop.fy} C${loop.fx},${low} ${loop.tx},${low} ${loop.tx},${loop.ty}`;
      lx = (loop.fx + loop.tx) / 2; ly = low - H * 0.4;
    }
    edges.push(s('path', {d, class: 'g-edge ' + cls, 'marker-end': 'url(#g-arrow)'}, tip ? s('title', tip) : null));
    if (label) labels.push(s('text', {x: lx, y: ly - 4, 'text-anchor': anchor, class: 'g-label'}, s('title', tip || label), short(label, 18)));
  };
  for (const i of injects) {
    const from = pos.get(i.id);
    for (const b of i.next || []) {
      const to = pos.get(b.goto);
      if (!to) continue;
      const cls = (onEdge.has(i.id + '→' + b.goto) ? 'on ' : '') + (b.when ? 'cond' : 'default');
      const label = branchLabel(b.when, injects, names);
      const tip = b.when && !names ? `${t('view.when')}: ${b.when}` : label;
      if (to.x > from.x) edge(from.x + W, from.y + H / 2, to.x, to.y + H / 2, cls, tip, label);
      else if (to.x === from.x) edge(from.x + W, from.y + H / 2, to.x + W, to.y + H / 2, cls, tip, label, {side: true});
      else edge(0, 0, 0, 0, cls, tip, label, {fx: from.x + W / 2, fy: from.y + H, tx: to.x + W / 2, ty: to.y + H});
    }
  }
  if (junction) {
    for (const i of ends) {
      const p = pos.get(i.id);
      const cls = 'end-edge' + (i.id === last && ending ? ' on' : '');
      edge(p.x + W, p.y + H / 2, junction.x, junction.y + JR, cls, t('view.end'), (i.next || []).length ? t('view.default') : '');
    }
    endings.forEach(e => {
      const p = endingPos.get(e.id);
      const label = e.when && !names ? short(e.when, 22) : conditions ? t('view.default') : '';
      edge(junction.x + 2 * JR, junction.y + JR, p.x, p.y + EH / 2, 'ending-edge' + (e.id === ending ? ' on' : '') + (e.when ? ' cond' : ''),
        e.when && !names ? `${t('view.when')}: ${e.when}` : label, label, null, true);
    });
  }
  if (plainEnd) {
    for (const i of ends) {
      const p = pos.get(i.id);
      edge(p.x + W, p.y + H / 2, plainEnd.x, plainEnd.y + H / 2, 'end-edge', t('view.end'), '');
    }
  }
  for (const r of ruleNodes) {
    const rp = rulePos.get(r.id);
    const tp = pos.get(r.inject);
    const x1 = rp.x + W / 2, y1 = rp.y;
    const x2 = tp.x + W / 2, y2 = tp.y + H;
    edges.push(s('path', {d: `M${x1},${y1} C${x1},${y1 - 30} ${x2},${y2 + 30} ${x2},${y2}`, class: 'g-edge rule', 'marker-end': 'url(#g-arrow)'},
      s('title', names ? t('view.rule') : `${r.id}: ${r.when}`)));
  }

  const nodes = injects.map(i => {
    const p = pos.get(i.id);
    const title = tx(i.title) || tx(i.text) || i.id;
    const clock = clockOf(i);
    return s('g', {class: ['g-node', on.has(i.id) && 'on', i.id === detail.start && 'start'].filter(Boolean).join(' '),
      transform: `translate(${p.x},${p.y})`, dataset: {inject: i.id}},
    s('title', names ? [clock, title].filter(Boolean).join(' · ') : `${i.id}${clock ? ' (' + clock + ')' : ''}: ${title}`),
    s('rect', {width: W, height: H, rx: 8}),
    s('text', {x: 10, y: 20, class: 'g-title'}, short(title, 20)),
    s('text', {x: 10, y: 38, class: 'g-sub'}, short(clock || '', 26)));
  });
  if (junction) {
    nodes.push(s('g', {class: 'g-node g-end', transform: `translate(${junction.x},${junction.y})`},
      s('title', t('view.end')), s('circle', {cx: JR, cy: JR, r: JR})));
    for (const e of endings) {
      const p = endingPos.get(e.id);
      // An ending is a six-sided shape, never a box: it cannot be mistaken for an inject.
      const k = 14;
      nodes.push(s('g', {class: 'g-node g-ending' + (e.id === ending ? ' on' : '') + (e.best ? ' best' : ''), transform: `translate(${p.x},${p.y})`, dataset: {ending: e.id}},
        s('title', names ? tx(e.title) : `${e.id}: ${tx(e.title)}`),
        s('polygon', {points: `${k},0 ${EW - k},0 ${EW},${EH / 2} ${EW - k},${EH} ${k},${EH} 0,${EH / 2}`}),
        s('text', {x: EW / 2, y: EH / 2 + 5, 'text-anchor': 'middle', class: 'g-title'}, short(tx(e.title) || e.id, 22))));
    }
  }
  if (plainEnd) {
    nodes.push(s('g', {class: 'g-node g-end', transform: `translate(${plainEnd.x},${plainEnd.y})`},
      s('rect', {width: W, height: H, rx: 25}), s('text', {x: W / 2, y: 30, 'text-anchor': 'middle', class: 'g-title'}, t('view.end'))));
  }
  for (const r of ruleNodes) {
    const p = rulePos.get(r.id);
    nodes.push(s('g', {class: 'g-node g-rule', transform: `translate(${p.x},${p.y})`},
      s('title', names ? t('view.rule') : `${r.id}: ${r.when}`),
      s('rect', {width: W, height: 26, rx: 13}), s('text', {x: 10, y: 17, class: 'g-sub'}, '⚡ ' + (names ? t('view.rule') : short(r.id, 22)))));
  }
  const svg = s('svg', {class: 'graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': `${t('lib.graph')}: ${injects.length} ${t('lib.injects').toLowerCase()}`},
  s('defs', s('marker', {id: 'g-arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
    s('path', {d: 'M0,0 L10,5 L0,10 z', class: 'g-arrow'}))),
  edges, nodes, labels);
  // A text version of the same graph for screen readers and for reading the conditions.
  const name = id => { const i = byId.get(id); return i ? [clockOf(i), tx(i.title)].filter(Boolean).join(' ') || (names ? '' : id) : ''; };
  const list = h('ul', {class: 'sr-only'}, injects.map(i => h('li',
    `${name(i.id)}${i.id === detail.start ? ' (' + t('view.start') + ')' : ''} → ${(i.next || []).map(b => name(b.goto) + (b.when ? ` [${branchLabel(b.when, injects, names)}]` : '')).join(', ') || t('view.end')}`)),
  endings.map(e => h('li', `${t('view.end')} → ${tx(e.title)}${e.when && !names ? ` [${e.when}]` : ''}`)));
  return h('figure', {class: 'graph-wrap'}, h('div', {class: 'graph-scroll', tabindex: 0, 'aria-label': t('lib.graph')}, svg), list);
}

// branchLabel says what leads along a branch: the option's text when the condition is only
// that an option was chosen, else the condition as written.
function branchLabel(when, injects, names) {
  if (!when) return t('view.default');
  const m = /^\s*chose\(\s*['"]([^'"]+)['"]\s*,\s*['"]([^'"]+)['"]\s*\)\s*$/.exec(when);
  if (m) {
    for (const i of injects) {
      const q = (i.questions || []).find(q => q.id === m[1]);
      const o = q && (q.options || []).find(o => o.id === m[2]);
      if (o) return tx(o.text);
    }
  }
  return names ? '' : when;
}

function short(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
