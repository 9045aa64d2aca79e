// DOM building without innerHTML: every text goes in as textContent, so names, free text
// and scenario texts can never become markup.

const SVGNS = 'http://www.w3.org/2000/svg';

function build(el, attrs, children) {
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'text') el.textContent = String(v);
    else if (k === 'class') el.setAttribute('class', Array.isArray(v) ? v.filter(Boolean).join(' ') : v);
    else if (k === 'dataset') Object.assign(el.dataset, v);
    else if (k === 'style') Object.assign(el.style, v); // CSSOM, allowed under a strict CSP
    else if (k.startsWith('on') && typeof v === 'function') {
      // One dispatcher per event type, the handler kept on the element: when a later view
      // is merged into this element (morph), it takes over the newer handler.
      const type = k.slice(2);
      if (!el._on) el._on = {};
      if (!el._on[type]) el.addEventListener(type, dispatch);
      el._on[type] = v;
    }
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
}

function dispatch(e) {
  const f = this._on && this._on[e.type];
  if (f) return f.call(this, e);
}

function add(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false || c === '') continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** h builds an HTML element: h('p', {class: 'x'}, 'text', child). */
export function h(tag, attrs, ...children) {
  if (attrs instanceof Node || typeof attrs === 'string' || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
  return build(document.createElement(tag), attrs, children);
}

/** s builds an SVG element. */
export function s(tag, attrs, ...children) {
  return build(document.createElementNS(SVGNS, tag), attrs, children);
}

/** announce tells screen-reader users about a change (an aria-live region). */
export function announce(text, urgent) {
  const el = document.getElementById(urgent ? 'alert' : 'announce');
  if (!el) return;
  el.textContent = '';
  // A new text node after a tick, so that the same words twice are announced twice.
  setTimeout(() => { el.textContent = text; }, 50);
}

/**
 * render replaces the children of root and keeps the keyboard focus on the element with the
 * same data-k, so that a live update does not throw a user out of the control they are in.
 */
export function render(root, ...children) {
  // While a pointer is down the page holds still: a button replaced between mousedown and
  // mouseup would swallow the click. The latest view is drawn once the pointer is up.
  // A pointer held longer than a click (a release outside the window) does not hold it up.
  if (pressed && Date.now() - pressedAt < 1500) {
    queued.set(root, children);
    return;
  }
  queued.delete(root);
  draw(root, children);
}

let pressed = false;
let pressedAt = 0;
const queued = new Map();
document.addEventListener('pointerdown', () => { pressed = true; pressedAt = Date.now(); }, true);
const release = () => {
  pressed = false;
  // After the click that this release causes, which may draw the page itself.
  setTimeout(() => {
    for (const [root, children] of queued) {
      queued.delete(root);
      draw(root, children);
    }
  }, 0);
};
document.addEventListener('pointerup', release, true);
document.addEventListener('pointercancel', release, true);
window.addEventListener('blur', release);

function draw(root, children) {
  const active = document.activeElement;
  const key = active && root.contains(active) ? active.dataset.k : undefined;
  let sel = null;
  if (key && (active.tagName === 'TEXTAREA' || active.tagName === 'INPUT') && typeof active.selectionStart === 'number') {
    try { sel = [active.selectionStart, active.selectionEnd]; } catch { sel = null; }
  }
  const fresh = document.createElement('div');
  add(fresh, children);
  morphChildren(root, fresh);
  if (key && document.activeElement !== active) {
    const el = root.querySelector(`[data-k="${CSS.escape(key)}"]`);
    if (el) {
      el.focus({preventScroll: true});
      if (sel) { try { el.setSelectionRange(sel[0], sel[1]); } catch { /* not a text field */ } }
    }
  }
}

// ---- morph: a new view merged into the page ----
//
// A live page is drawn again whenever the server says something. Replacing the whole tree
// would move what sits under a finger (a tap lands on a node that has just gone), reset
// scroll positions and folded sections, and make screen readers start over. morph instead
// walks the new tree against the old one and changes only what differs: text, attributes,
// form properties and handlers. An element marked with the property _own (it manages its
// own children, like a ranking being dragged) is replaced as a whole.

const PROPS = ['value', 'checked', 'selected', 'disabled', 'hidden'];

function sameKind(a, b) {
  if (a.nodeType !== b.nodeType || a.nodeName !== b.nodeName) return false;
  if (a.nodeType !== 1) return true;
  if (a._own || b._own) return false;
  for (const k of ['data-k', 'id', 'data-question', 'data-world', 'data-option', 'data-participant', 'data-id', 'type']) {
    if (a.getAttribute(k) !== b.getAttribute(k)) return false;
  }
  return true;
}

function morphChildren(old, fresh) {
  const olds = [...old.childNodes];
  const news = [...fresh.childNodes];
  let i = 0;
  for (; i < news.length; i++) {
    const n = news[i];
    const o = olds[i];
    if (o && sameKind(o, n)) {
      morphNode(o, n);
    } else if (o) {
      old.replaceChild(n, o);
    } else {
      old.appendChild(n);
    }
  }
  for (; i < olds.length; i++) olds[i].remove();
}

function morphNode(o, n) {
  if (o.nodeType !== 1) {
    if (o.nodeValue !== n.nodeValue) o.nodeValue = n.nodeValue;
    return;
  }
  for (const a of [...o.attributes]) {
    // A folded section keeps the reader's choice, whatever the new view says.
    if (a.name === 'open' && o.nodeName === 'DETAILS') continue;
    if (a.name === 'style') continue;
    if (!n.hasAttribute(a.name)) o.removeAttribute(a.name);
  }
  for (const a of [...n.attributes]) {
    if (a.name === 'style') continue;
    if (o.getAttribute(a.name) !== a.value) o.setAttribute(a.name, a.value);
  }
  // Styles through the CSSOM: the Content-Security-Policy refuses style attributes.
  if (o.style && n.style && o.style.cssText !== n.style.cssText) o.style.cssText = n.style.cssText;
  if (n._on) {
    for (const type of Object.keys(n._on)) if (!o._on || !o._on[type]) o.addEventListener(type, dispatch);
    o._on = n._on;
  } else if (o._on) {
    o._on = null;
  }
  // Children first: a select's value needs its options.
  morphChildren(o, n);
  for (const p of PROPS) {
    if (p in n && o[p] !== n[p] && !(p === 'value' && o === document.activeElement)) o[p] = n[p];
  }
}

/** own marks an element that manages its own children: a later view replaces it whole. */
export function own(el) {
  el._own = true;
  return el;
}

/** uuid returns a random UUID v4; crypto.randomUUID exists only on https and localhost. */
export function uuid() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const x = [...b].map(v => v.toString(16).padStart(2, '0')).join('');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/** store reads and writes JSON in localStorage, and survives a browser that refuses it. */
export const store = {
  get(key) {
    try { return JSON.parse(localStorage.getItem(key)); } catch { return null; }
  },
  set(key, value) {
    try {
      if (value === null || value === undefined) localStorage.removeItem(key);
      else localStorage.setItem(key, JSON.stringify(value));
    } catch { /* private mode: the page still works, it just cannot resume */ }
  },
};

/** fmtTime shows milliseconds as m:ss. */
export function fmtTime(ms) {
  const s = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

/** fmtNum shows a number with at most two decimals in the page's language. */
export function fmtNum(n, lang) {
  if (typeof n !== 'number') return String(n);
  // No separator in four-digit numbers: a year reads 2030, not 2.030; 12.500 keeps it.
  return n.toLocaleString(lang === 'en' ? 'en-GB' : 'nl-NL', {maximumFractionDigits: 2, useGrouping: Math.abs(n) >= 10000});
}
