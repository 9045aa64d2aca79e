// The branch graph of a scenario as SVG: injects in layers from the start, the `next`
// branches as arrows (the condition in a tooltip), rules as dashed arrows from a small node,
// and the end. A path (a world's playthrough) can be highlighted.

import {h, s} from './dom.js';
import {t, tx, addWords} from './i18n.js';

addWords({'view.rule': 'regel'}, {'view.rule': 'rule'});

const W = 168, H = 50, GX = 64, GY = 22, PAD = 16;

/**
 * branchGraph draws detail ({start, injects: [{id, clock, title, next: [{when, goto}]}],
 * rules: [{id, when, inject}]}). path is a list of inject ids to highlight, in order.
 * With names (for facilitators rather than authors) the nodes show clock and title and no
 * id, and the text version leaves the conditions out.
 */
export function branchGraph(detail, path, {names} = {}) {
  const injects = detail.injects || [];
  const byId = new Map(injects.map(i => [i.id, i]));
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
  // What only a rule (or nothing) leads to goes one layer after the deepest rule source
  // would be unknowable; one layer after the start keeps it near the beginning.
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
  const endPos = ends.length ? {x: PAD + (maxDepth + 1) * (W + GX), y: PAD} : null;
  // Rule nodes sit under everything, each above its target's column.
  const ruleY = height + 10;
  const rulePos = new Map();
  ruleNodes.forEach((r, k) => {
    const tp = pos.get(r.inject);
    rulePos.set(r.id, {x: Math.max(PAD, tp.x - W / 2 - GX / 2 + (k % 2) * 12), y: ruleY + (k % 3) * 34});
  });
  if (ruleNodes.length) height = ruleY + Math.min(ruleNodes.length, 3) * 34 + 10;
  const width = PAD * 2 + (maxDepth + (endPos ? 2 : 1)) * (W + GX) - GX;
  height = Math.max(height, PAD * 2 + H);

  const on = new Set(path || []);
  const onEdge = new Set();
  for (let k = 1; k < (path || []).length; k++) onEdge.add(path[k - 1] + '→' + path[k]);

  const edges = [];
  const edge = (from, to, cls, tip) => {
    const x1 = from.x + W, y1 = from.y + H / 2;
    const x2 = to.x, y2 = to.y + (cls.includes('rule') ? 0 : H / 2);
    let d;
    if (x2 > x1) {
      const mx = (x1 + x2) / 2;
      d = `M${x1},${y1} C${mx},${y1} ${mx},${y2} ${x2},${y2}`;
    } else {
      // Back or sideways: loop underneath.
      const low = Math.max(y1, y2) + H;
      d = `M${from.x + W / 2},${from.y + H} C${from.x + W / 2},${low} ${to.x + W / 2},${low} ${to.x + W / 2},${to.y + H}`;
    }
    edges.push(s('path', {d, class: 'g-edge ' + cls, 'marker-end': 'url(#arrow)'}, tip ? s('title', tip) : null));
  };
  for (const i of injects) {
    const from = pos.get(i.id);
    for (const b of i.next || []) {
      const to = pos.get(b.goto);
      if (!to) continue;
      edge(from, to, (onEdge.has(i.id + '→' + b.goto) ? 'on ' : '') + (b.when ? 'cond' : 'default'),
        b.when ? `${t('view.when')}: ${b.when}` : t('view.default'));
    }
  }
  for (const i of ends) edge(pos.get(i.id), endPos, 'end-edge', t('view.end'));
  for (const r of ruleNodes) {
    const rp = rulePos.get(r.id);
    const tp = pos.get(r.inject);
    const x1 = rp.x + W / 2, y1 = rp.y;
    const x2 = tp.x + W / 2, y2 = tp.y + H;
    edges.push(s('path', {d: `M${x1},${y1} C${x1},${y1 - 30} ${x2},${y2 + 30} ${x2},${y2}`, class: 'g-edge rule', 'marker-end': 'url(#arrow)'},
      s('title', `${r.id}: ${r.when}`)));
  }

  const nodes = injects.map(i => {
    const p = pos.get(i.id);
    const label = tx(i.title) || i.id;
    return s('g', {class: ['g-node', on.has(i.id) && 'on', i.id === detail.start && 'start'].filter(Boolean).join(' '),
      transform: `translate(${p.x},${p.y})`, dataset: {inject: i.id}},
    s('title', `${i.id}${i.clock ? ' (' + i.clock + ')' : ''}: ${label}`),
    s('rect', {width: W, height: H, rx: 8}),
    names ? [s('text', {x: 10, y: 20, class: 'g-id'}, short(i.clock || '', 22)), s('text', {x: 10, y: 38, class: 'g-sub'}, short(tx(i.title), 26))]
      : [s('text', {x: 10, y: 20, class: 'g-id'}, short(i.id, 22)),
        s('text', {x: 10, y: 38, class: 'g-sub'}, short([i.clock, label].filter(Boolean).join(' · '), 26))]);
  });
  if (endPos) {
    nodes.push(s('g', {class: 'g-node g-end', transform: `translate(${endPos.x},${endPos.y})`},
      s('rect', {width: W, height: H, rx: 25}), s('text', {x: W / 2, y: 30, 'text-anchor': 'middle', class: 'g-id'}, t('view.end'))));
  }
  for (const r of ruleNodes) {
    const p = rulePos.get(r.id);
    nodes.push(s('g', {class: 'g-node g-rule', transform: `translate(${p.x},${p.y})`},
      s('title', `${r.id}: ${r.when}`),
      s('rect', {width: W, height: 26, rx: 13}), s('text', {x: 10, y: 17, class: 'g-sub'}, '⚡ ' + (names ? t('view.rule') : short(r.id, 22)))));
  }
  const svg = s('svg', {class: 'graph', viewBox: `0 0 ${width} ${height}`, width, height, role: 'img',
    'aria-label': `${t('lib.graph')}: ${injects.length} ${t('lib.injects').toLowerCase()}`},
  s('defs', s('marker', {id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse'},
    s('path', {d: 'M0,0 L10,5 L0,10 z', class: 'g-arrow'}))),
  edges, nodes);
  // A text version of the same graph for screen readers and for reading the conditions.
  const name = id => { const i = byId.get(id); return names ? (i ? [i.clock, tx(i.title)].filter(Boolean).join(' ') : '') : id; };
  const list = h('ul', {class: 'sr-only'}, injects.map(i => h('li',
    `${name(i.id)}${i.id === detail.start ? ' (' + t('view.start') + ')' : ''} → ${(i.next || []).map(b => name(b.goto) + (b.when && !names ? ` [${b.when}]` : '')).join(', ') || t('view.end')}`)));
  return h('figure', {class: 'graph-wrap'}, h('div', {class: 'graph-scroll', tabindex: 0, 'aria-label': t('lib.graph')}, svg), list);
}

function short(s, n) {
  return s.length > n ? s.slice(0, n - 1) + '…' : s;
}
