// The HTTP API (PROTOCOL.md): JSON in and out, the CSRF token on every state change.

let csrf = '';

/** ApiError is a refusal of the server with its stable code. */
export class ApiError extends Error {
  constructor(code, message, status) {
    super(message);
    this.code = code;
    this.status = status;
  }
}

/** setCSRF keeps the token of the facilitator's login. */
export function setCSRF(token) { csrf = token || ''; }

/** api calls the server and returns the decoded answer, or throws an ApiError. */
export async function api(method, path, body, contentType) {
  const headers = {};
  if (method !== 'GET') headers['X-CSRF-Token'] = csrf;
  let payload;
  if (body !== undefined) {
    headers['Content-Type'] = contentType || 'application/json';
    payload = contentType ? body : JSON.stringify(body);
  }
  let resp;
  try {
    resp = await fetch(path, {method, headers, body: payload, credentials: 'same-origin'});
  } catch {
    throw new ApiError('network', 'no connection', 0);
  }
  if (resp.status === 204) return null;
  let data = null;
  try { data = await resp.json(); } catch { data = null; }
  if (!resp.ok) {
    const e = data && data.error;
    throw new ApiError(e ? e.code : 'internal', e ? e.message : resp.statusText, resp.status);
  }
  return data;
}

let me = undefined;

/** whoami returns the logged-in facilitator ({user, admin, csrf}) or null. */
export async function whoami(fresh) {
  if (me !== undefined && !fresh) return me;
  try {
    me = await api('GET', '/api/me');
    setCSRF(me.csrf);
  } catch (e) {
    if (e.code !== 'unauthorized') throw e;
    me = null;
  }
  return me;
}

/** login logs a facilitator in. */
export async function login(name, password) {
  me = await api('POST', '/api/login', {name, password});
  setCSRF(me.csrf);
  return me;
}

/** logout ends the login. */
export async function logout() {
  try { await api('POST', '/api/logout'); } finally { me = null; setCSRF(''); }
}

let library = null;

/** scenarios returns the library list and lenses, fetched once. */
export async function scenarios() {
  if (!library) library = await api('GET', '/api/scenarios');
  return library;
}

const details = new Map();

/** scenario returns a scenario's detail (no citations), fetched once, with the options in
 * the order a session shows them: seed is the session's id (absent: a preview's order). */
export async function scenario(id, seed) {
  const k = id + '\u0000' + (seed || '');
  const q = seed ? '?seed=' + encodeURIComponent(seed) : '';
  if (!details.has(k)) details.set(k, await api('GET', '/api/scenarios/' + encodeURIComponent(id) + q));
  return details.get(k);
}
