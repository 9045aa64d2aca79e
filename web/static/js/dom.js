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
    else if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'value' || k === 'checked' || k === 'selected' || k === 'disabled' || k === 'hidden') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  add(el, children);
  return el;
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
  if (attrs instanceof Node || typeof attrs === 'string' || Array.isArray(attrs)) {
    children.unshift(attrs);
    attrs = {};
  }
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
  root.replaceChildren();
  add(root, children);
  if (key) {
    const el = root.querySelector(`[data-k="${CSS.escape(key)}"]`);
    if (el) {
      el.focus({preventScroll: true});
      if (sel) { try { el.setSelectionRange(sel[0], sel[1]); } catch { /* not a text field */ } }
    }
  }
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
  return n.toLocaleString(lang === 'en' ? 'en-GB' : 'nl-NL', {maximumFractionDigits: 2});
}
