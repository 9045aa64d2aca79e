// The admin's view of the serving nodes (GET /api/cluster): every node with its last
// heartbeat and the sessions it owns, and every session's lease.

import {h} from './dom.js';
import {t, tx, addWords} from './i18n.js';

addWords({
  'cl.title': 'Servers',
  'cl.single': 'Eén server: de gegevens staan in SQLite, dus deze server bedient alle sessies.',
  'cl.shared': 'Servers op één gedeelde PostgreSQL-database: {0}.',
  'cl.node': 'Server',
  'cl.addr': 'Adres',
  'cl.seen': 'Laatste hartslag',
  'cl.state': 'Toestand',
  'cl.sessions': 'Sessies in beheer',
  'cl.alive': 'Bereikbaar',
  'cl.dead': 'Geen hartslag',
  'cl.self': ' (deze server)',
  'cl.thisServer': 'Deze server',
  'cl.ago': '{0} s geleden',
  'cl.now': 'zojuist',
  'cl.none': 'geen',
  'cl.leases': 'Beheer per sessie',
  'cl.noLeases': 'Er loopt nu geen sessie.',
  'cl.session': 'Sessie',
  'cl.owner': 'Beheerd door',
  'cl.epoch': 'Termijn',
  'cl.expires': 'Geldig tot',
  'cl.live': 'nog {0} s',
  'cl.expired': 'Verlopen: een andere server neemt over',
  'cl.unknownSession': 'Sessie buiten je lijst',
  'cl.noNotify': 'Meldingen van de database komen hier niet aan; deze server vraagt elke 100 ms zelf na.',
  'cl.error': 'De gegevens van de servers konden niet worden gelezen.',
}, {
  'cl.title': 'Servers',
  'cl.single': 'One server: the data is in SQLite, so this server runs every session.',
  'cl.shared': 'Servers on one shared PostgreSQL database: {0}.',
  'cl.node': 'Server',
  'cl.addr': 'Address',
  'cl.seen': 'Last heartbeat',
  'cl.state': 'State',
  'cl.sessions': 'Sessions it runs',
  'cl.alive': 'Reachable',
  'cl.dead': 'No heartbeat',
  'cl.self': ' (this server)',
  'cl.thisServer': 'This server',
  'cl.ago': '{0} s ago',
  'cl.now': 'just now',
  'cl.none': 'none',
  'cl.leases': 'Who runs each session',
  'cl.noLeases': 'No session is running now.',
  'cl.session': 'Session',
  'cl.owner': 'Run by',
  'cl.epoch': 'Term',
  'cl.expires': 'Valid until',
  'cl.live': '{0} s left',
  'cl.expired': 'Expired: another server takes over',
  'cl.unknownSession': 'Session not in your list',
  'cl.noNotify': 'Database notifications do not reach this server; it checks every 100 ms instead.',
  'cl.error': 'The servers’ data could not be read.',
});

const secs = (a, b) => Math.max(0, Math.round((new Date(a) - new Date(b)) / 1000));

/** clusterPanel draws the view v; sessions (from /api/sessions) name the sessions. */
export function clusterPanel(v, sessions) {
  const name = id => {
    const si = (sessions || []).find(x => x.id === id);
    return si ? `${tx(si.title) || t('cl.session')} (${si.code})` : t('cl.unknownSession');
  };
  const nodeName = id => id || t('cl.thisServer');
  return h('section', {class: 'card cluster', 'aria-labelledby': 'cluster-title', dataset: {k: 'cluster'}},
    h('h2', {id: 'cluster-title'}, t('cl.title')),
    h('p', v.shared ? t('cl.shared', v.nodes.length) : t('cl.single')),
    v.error ? h('p', {class: 'banner error', role: 'alert'}, t('cl.error')) : null,
    v.shared && !v.notify ? h('p', {class: 'banner'}, t('cl.noNotify')) : null,
    h('table', {class: 'cluster-nodes'},
      h('thead', h('tr', h('th', {scope: 'col'}, t('cl.node')), h('th', {scope: 'col'}, t('cl.addr')),
        h('th', {scope: 'col'}, t('cl.seen')), h('th', {scope: 'col'}, t('cl.state')), h('th', {scope: 'col'}, t('cl.sessions')))),
      h('tbody', v.nodes.map(n => h('tr', {class: n.alive ? 'alive' : 'dead', dataset: {node: n.id}},
        h('th', {scope: 'row'}, nodeName(n.id), n.self && n.id ? t('cl.self') : ''),
        h('td', n.addr || '–'),
        h('td', secs(v.time, n.seen) < 1 ? t('cl.now') : t('cl.ago', secs(v.time, n.seen))),
        h('td', h('span', {class: 'cluster-state'}, n.alive ? t('cl.alive') : t('cl.dead'))),
        h('td', n.sessions.length ? n.sessions.map(name).join(', ') : t('cl.none')))))),
    v.shared ? h('h3', t('cl.leases')) : null,
    !v.shared ? null : !v.leases.length ? h('p', {class: 'muted'}, t('cl.noLeases')) :
      h('table', {class: 'cluster-leases'},
        h('thead', h('tr', h('th', {scope: 'col'}, t('cl.session')), h('th', {scope: 'col'}, t('cl.owner')),
          h('th', {scope: 'col'}, t('cl.epoch')), h('th', {scope: 'col'}, t('cl.expires')))),
        h('tbody', v.leases.map(l => h('tr', {class: l.expired ? 'dead' : 'alive'},
          h('th', {scope: 'row'}, name(l.session)),
          h('td', nodeName(l.node)),
          h('td', String(l.epoch)),
          h('td', l.expired ? t('cl.expired') : t('cl.live', secs(l.expires, v.time))))))));
}
