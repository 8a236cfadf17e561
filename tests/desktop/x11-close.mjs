// Close a window the way a window manager's close button does: send it the X11 client message
// WM_PROTOCOLS / WM_DELETE_WINDOW (ICCCM 4.2.8.1). Xvfb runs no window manager, and neither
// WebDriver's "close window" nor `xdotool windowclose` (which destroys the window under the
// app) is what a user's click does. A few X11 requests over the display's Unix socket, with
// the display's MIT-MAGIC-COOKIE-1 from $XAUTHORITY (xvfb-run sets both).

import fs from 'node:fs';
import net from 'node:net';

function displayNumber() {
  const m = /:(\d+)/.exec(process.env.DISPLAY ?? '');
  if (!m) throw new Error(`DISPLAY is not a local X display: ${process.env.DISPLAY}`);
  return m[1];
}

/** The MIT-MAGIC-COOKIE-1 for `display` in the Xauthority file, if any. */
function cookie(display) {
  const file = process.env.XAUTHORITY;
  if (!file || !fs.existsSync(file)) return null;
  const b = fs.readFileSync(file);
  let at = 0;
  const field = () => {
    const len = b.readUInt16BE(at);
    const v = b.subarray(at + 2, at + 2 + len);
    at += 2 + len;
    return v;
  };
  while (at + 2 <= b.length) {
    at += 2; // family
    field(); // address
    const number = field().toString();
    const name = field().toString();
    const data = field();
    if (name === 'MIT-MAGIC-COOKIE-1' && (number === display || number === '')) return data;
  }
  return null;
}

const pad4 = (n) => (4 - (n % 4)) % 4;

class X11 {
  constructor(socket) {
    this.socket = socket;
    this.buffer = Buffer.alloc(0);
    this.waiters = [];
    socket.on('data', (d) => {
      this.buffer = Buffer.concat([this.buffer, d]);
      this.pump();
    });
  }

  /** Resolve with the next `n` bytes (or with a function of the buffer that says how many). */
  read(n) {
    return new Promise((resolve, reject) => {
      this.waiters.push({ n, resolve, reject });
      this.pump();
    });
  }

  pump() {
    while (this.waiters.length) {
      const w = this.waiters[0];
      const n = typeof w.n === 'function' ? w.n(this.buffer) : w.n;
      if (n === null || this.buffer.length < n) return;
      this.waiters.shift();
      const out = this.buffer.subarray(0, n);
      this.buffer = this.buffer.subarray(n);
      w.resolve(out);
    }
  }

  /** The next reply (32 bytes and its extra length); an X error is thrown. */
  async reply() {
    const r = await this.read((b) => (b.length < 32 ? null : 32 + (b[0] === 1 ? b.readUInt32LE(4) * 4 : 0)));
    if (r[0] === 0) throw new Error(`X11 error ${r[1]} (request ${r[10]})`);
    return r;
  }

  async internAtom(name) {
    const n = Buffer.byteLength(name);
    const req = Buffer.alloc(8 + n + pad4(n));
    req.writeUInt8(16, 0);
    req.writeUInt16LE(req.length / 4, 2);
    req.writeUInt16LE(n, 4);
    req.write(name, 8);
    this.socket.write(req);
    return (await this.reply()).readUInt32LE(8);
  }
}

/** Ask window `id` (an X window id, e.g. from `xdotool search`) to close, as a user would. */
export async function closeLikeAUser(id) {
  const display = displayNumber();
  const socket = net.connect(`/tmp/.X11-unix/X${display}`);
  await new Promise((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const x = new X11(socket);
  try {
    const auth = cookie(display);
    const name = auth ? 'MIT-MAGIC-COOKIE-1' : '';
    const data = auth ?? Buffer.alloc(0);
    const setup = Buffer.alloc(12 + name.length + pad4(name.length) + data.length + pad4(data.length));
    setup.write('l', 0);
    setup.writeUInt16LE(11, 2);
    setup.writeUInt16LE(name.length, 6);
    setup.writeUInt16LE(data.length, 8);
    setup.write(name, 12);
    data.copy(setup, 12 + name.length + pad4(name.length));
    socket.write(setup);
    const head = await x.read(8);
    await x.read(head.readUInt16LE(6) * 4);
    if (head[0] !== 1) throw new Error('the X server refused the connection');
    const protocols = await x.internAtom('WM_PROTOCOLS');
    const deleteWindow = await x.internAtom('WM_DELETE_WINDOW');
    const send = Buffer.alloc(44);
    send.writeUInt8(25, 0); // SendEvent, propagate = false
    send.writeUInt16LE(11, 2);
    send.writeUInt32LE(Number(id), 4); // destination
    send.writeUInt32LE(0, 8); // event mask: to the window's owner
    send.writeUInt8(33, 12); // ClientMessage
    send.writeUInt8(32, 13); // format
    send.writeUInt32LE(Number(id), 16);
    send.writeUInt32LE(protocols, 20);
    send.writeUInt32LE(deleteWindow, 24);
    socket.write(send);
    // GetInputFocus: its reply means the server has handled the SendEvent before it.
    const sync = Buffer.alloc(4);
    sync.writeUInt8(43, 0);
    sync.writeUInt16LE(1, 2);
    socket.write(sync);
    await x.reply();
  } finally {
    socket.destroy();
  }
}
