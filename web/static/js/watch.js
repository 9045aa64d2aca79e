// What a watcher (the console, the projector) knows of a live session between messages:
// the session, and per world the deadlines of open questions in local time, the decisions,
// ties and reveals. A watcher object has the fields sess, agg, worlds, offset and pausedAt;
// these functions fold the server's messages into it.

/** worldOf returns the watcher's record of world id, made on first use. */
export function worldOf(st, id) {
  return st.worlds[id] = st.worlds[id] || {deadlines: {}, decisions: {}, ties: {}, revealed: {}};
}

/** applySnapshot starts over from a snapshot message. */
export function applySnapshot(st, m) {
  st.sess = m.session;
  st.agg = m.aggregates;
  st.worlds = {};
  const now = Date.now();
  for (const wv of m.worlds || []) {
    const w = worldOf(st, wv.id);
    for (const q of wv.questions) {
      if (q.state === 'open' && typeof q.remaining_ms === 'number') w.deadlines[q.id] = now + q.remaining_ms;
      if (q.decision) w.decisions[q.id] = q.decision;
      if (q.tie) w.ties[q.id] = q.tie;
      if (q.revealed) w.revealed[q.id] = true;
    }
  }
  if (st.sess.paused) st.pausedAt = now;
}

/** applyEvent folds one event message in. */
export function applyEvent(st, m) {
  if (m.sent) st.offset = Date.parse(m.sent) - Date.now();
  if (!st.sess) return;
  const w = m.world ? worldOf(st, m.world) : null;
  switch (m.kind) {
    case 'started': st.sess.phase = 'running'; break;
    case 'paused': st.sess.paused = true; st.pausedAt = Date.now(); break;
    case 'resumed': {
      const shift = Date.now() - st.pausedAt;
      for (const wd of Object.values(st.worlds)) for (const q of Object.keys(wd.deadlines)) wd.deadlines[q] += shift;
      st.sess.paused = false;
      break;
    }
    case 'ended': st.sess.phase = 'ended'; break;
    case 'open': if (w && m.deadline) w.deadlines[m.question] = Date.parse(m.deadline) - st.offset; break;
    case 'close': if (w) delete w.deadlines[m.question]; break;
    case 'decide': case 'decided':
      if (w && m.answer) {
        w.decisions[m.question] = m.answer;
        if (m.tie) w.ties[m.question] = m.tie; else delete w.ties[m.question];
      }
      break;
    case 'reveal': if (w) w.revealed[m.question] = true; break;
    case 'inject': if (w) w.deadlines = {}; break;
  }
}

/** timeLeft is what is left of question q's time in world w, or null without a deadline. */
export function timeLeft(st, w, q) {
  const dl = st.worlds[w] && st.worlds[w].deadlines[q];
  if (!dl) return null;
  return dl - (st.sess && st.sess.paused ? st.pausedAt : Date.now());
}
