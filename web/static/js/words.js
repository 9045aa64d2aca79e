// Names for what the data calls by id: lenses, roles, who decided, injects, endings, state
// variables. Nothing here ever shows an id: where a label is missing the words say so.

import {t, tx, addWords} from './i18n.js';

addWords({
  'by.majority': 'meerderheid van de zaal',
  'by.facilitator': 'de begeleider',
  'by.participant': 'de deelnemer zelf',
  'by.none': 'niemand (geen antwoorden)',
  'by.role': 'de rol {0}',
  'words.unnamed': '(zonder naam)',
}, {
  'by.majority': 'majority of the room',
  'by.facilitator': 'the facilitator',
  'by.participant': 'the participant',
  'by.none': 'nobody (no answers)',
  'by.role': 'the role {0}',
  'words.unnamed': '(unnamed)',
});

/** lensName is the title of a lens, from the library's list of lenses. */
export function lensName(lenses, id) {
  const l = (lenses || []).find(l => l.id === id);
  return l ? tx(l.title) : t('words.unnamed');
}

/** byText says in words who decides or decided: majority, role:ID, facilitator ... */
export function byText(by, roles) {
  if (!by) return '';
  if (by.startsWith('role:')) {
    const r = (roles || []).find(r => r.id === by.slice(5));
    return t('by.role', r ? tx(r.name) : t('words.unnamed'));
  }
  const k = 'by.' + by;
  return t(k) === k ? t('words.unnamed') : t(k);
}

/** injectName is an inject's clock and title. */
export function injectName(sc, id) {
  const i = sc && sc.injects.find(x => x.id === id);
  if (!i) return t('words.unnamed');
  return [i.clock, tx(i.title)].filter(Boolean).join(' · ') || t('words.unnamed');
}

/** endingName is the title of an ending. */
export function endingName(sc, id) {
  const e = sc && sc.endings.find(x => x.id === id);
  return e ? tx(e.title) : t('words.unnamed');
}

/** varName is the label of a state variable, from the scenario source. */
export function varName(src, name) {
  const v = src && src.state && src.state.find(v => v.name === name);
  return v && tx(v.label) ? tx(v.label) : t('words.unnamed');
}
