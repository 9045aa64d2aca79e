// paraat's single-page app: hash routes, the header with the language switch, the home page.

import {h, render} from './dom.js';
import {t, lang, setLang, onLang} from './i18n.js';
import {joinPage, playPage} from './participant.js';
import {studyLibrary, studyPlay, studyResult} from './study.js';
import {facHome, facNew, facConsole, facDebrief} from './facilitator.js';
import {viewerPage, checkPage} from './viewer.js';
import {projectorPage} from './projector.js';

const routes = [
  [/^\/?$/, homePage],
  [/^\/join(?:\/([^/]+))?$/, joinPage],
  [/^\/play$/, playPage],
  [/^\/study$/, studyLibrary],
  [/^\/study\/([^/]+)$/, studyPlay],
  [/^\/study\/([^/]+)\/result$/, studyResult],
  [/^\/fac$/, facHome],
  [/^\/fac\/new\/([^/]+)$/, facNew],
  [/^\/fac\/s\/([^/]+)$/, facConsole],
  [/^\/fac\/s\/([^/]+)\/debrief$/, facDebrief],
  [/^\/fac\/s\/([^/]+)\/projector$/, projectorPage],
  [/^\/view\/([^/]+)$/, viewerPage],
  [/^\/check$/, checkPage],
];

const main = document.getElementById('main');
let page = null; // {stop(), rerender()} of the current route

function header() {
  const nav = document.getElementById('nav');
  const link = (href, key) => h('a', {href, 'aria-current': location.hash.startsWith(href) && href !== '#/' ? 'page' : null}, t(key));
  render(nav, link('#/join', 'nav.join'), link('#/study', 'nav.study'), link('#/fac', 'nav.fac'));
  const btn = document.getElementById('lang');
  btn.textContent = t('lang.switch');
  btn.setAttribute('aria-label', t('lang.label'));
  btn.setAttribute('lang', lang() === 'nl' ? 'en' : 'nl');
  document.getElementById('brand').setAttribute('title', t('app.tagline'));
  document.documentElement.lang = lang();
}

/** go navigates to a hash route. */
export function go(route) {
  if (location.hash === '#' + route) route_();
  else location.hash = '#' + route;
}

function route_() {
  if (page && page.stop) page.stop();
  page = null;
  const path = decodeURIComponent(location.hash.replace(/^#/, '')) || '/';
  header();
  document.body.classList.remove('presenter');
  for (const [re, f] of routes) {
    const m = path.match(re);
    if (m) {
      main.replaceChildren();
      page = f(main, ...m.slice(1)) || null;
      return;
    }
  }
  render(main, h('h1', '404'), h('p', h('a', {href: '#/'}, t('nav.home'))));
}

function homePage(root) {
  const tile = (href, title, text) => h('a', {class: 'tile', href}, h('h2', title), h('p', text));
  const draw = () => render(root,
    h('h1', {class: 'home-title'}, 'paraat'),
    h('p', {class: 'lead'}, t('app.tagline')),
    h('div', {class: 'tiles'},
      tile('#/join', t('home.join'), t('home.joinText')),
      tile('#/study', t('home.study'), t('home.studyText')),
      tile('#/fac', t('home.fac'), t('home.facText'))));
  draw();
  return {rerender: draw};
}

// The server serves this page for /join/{code}: turn the path into a route.
const joinPath = location.pathname.match(/^\/join\/([^/]+)$/);
if (joinPath) history.replaceState(null, '', '/#/join/' + joinPath[1]);

document.getElementById('lang').addEventListener('click', () => setLang(lang() === 'nl' ? 'en' : 'nl'));
onLang(() => {
  header();
  if (page && page.rerender) page.rerender();
  else route_();
});
window.addEventListener('hashchange', route_);
route_();
