// What a participant reads of an inject: the clock label in the reader's language, and the
// text written for the participant's own role when the scenario has one.

import {tx} from './i18n.js';

/** clockOf is an inject's clock label in the reader's language. */
export function clockOf(i) {
  return i.clock_text ? tx(i.clock_text) : (i.clock || '');
}

/** injectText is an inject's text for a participant of role (none: the common text). */
export function injectText(i, role) {
  const own = role && (i.role_texts || []).find(rt => rt.roles.includes(role));
  return tx(own ? own.text : i.text);
}
