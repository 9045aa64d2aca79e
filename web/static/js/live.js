// One websocket to /api/ws that comes back by itself: after a drop it reconnects with
// "full jitter" backoff (the first try within 250 ms, each window twice the last, at most
// 4 s; PROTOCOL.md), so that a room that lost the server does not return in one millisecond.

/** Close codes after which reconnecting cannot help. */
const FINAL = new Set([1008, 4000, 4001, 4009, 4010]); // 4010: logged out (PROTOCOL.md)

/**
 * Live is a self-healing connection. hello() returns the first message of every connection
 * (join, resume or watch); onMessage gets every server message; onStatus gets "connecting",
 * "open" (after welcome) or "offline"; onClose(code) may return false to stop reconnecting.
 */
export class Live {
  constructor({hello, onMessage, onStatus, onClose}) {
    this.hello = hello;
    this.onMessage = onMessage;
    this.onStatus = onStatus || (() => {});
    this.onClose = onClose || (() => true);
    this.attempt = 0;
    this.ws = null;
    this.ready = false;
    this.stopped = false;
    this.timer = 0;
    this.offline = false;
    this.wake = () => { this.offline = false; if (!this.ws && !this.stopped) { clearTimeout(this.timer); this.connect(); } };
    // The browser knows it has no network (a tunnel, airplane mode): say so at once rather
    // than wait for the socket to time out, and try again when the network is back.
    this.sleep = () => {
      this.offline = true;
      clearTimeout(this.timer);
      const ws = this.ws;
      if (ws) ws.close(4999);
    };
  }

  start() {
    this.stopped = false;
    window.addEventListener('online', this.wake);
    window.addEventListener('offline', this.sleep);
    this.connect();
  }

  connect() {
    if (this.stopped) return;
    const url = (location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/ws';
    let ws;
    try { ws = new WebSocket(url); } catch { this.retry(); return; }
    this.ws = ws;
    this.ready = false;
    this.onStatus('connecting');
    ws.onopen = () => {
      const m = this.hello();
      if (!m) { ws.close(1000); return; }
      ws.send(JSON.stringify(m));
    };
    ws.onmessage = ev => {
      if (this.ws !== ws) return;
      let m;
      try { m = JSON.parse(ev.data); } catch { return; }
      if (m.type === 'welcome') {
        this.ready = true;
        this.attempt = 0;
        this.onStatus('open');
      }
      this.onMessage(m);
    };
    ws.onclose = ev => {
      if (this.ws !== ws) return;
      this.ws = null;
      this.ready = false;
      if (this.stopped) return;
      this.onStatus('offline');
      const again = this.onClose(ev.code, ev.reason);
      if (again === false || FINAL.has(ev.code)) { this.stop(); return; }
      this.retry();
    };
  }

  retry() {
    if (this.offline) return; // the 'online' event reconnects
    const windowMs = Math.min(4000, 250 * 2 ** this.attempt);
    this.attempt++;
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.connect(), Math.random() * windowMs);
  }

  /** send sends a message if the connection is up and welcomed; false otherwise. */
  send(m) {
    if (!this.ws || !this.ready || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(m));
    return true;
  }

  stop() {
    this.stopped = true;
    clearTimeout(this.timer);
    window.removeEventListener('online', this.wake);
    window.removeEventListener('offline', this.sleep);
    const ws = this.ws;
    this.ws = null;
    this.ready = false;
    if (ws) ws.close(1000);
  }
}
