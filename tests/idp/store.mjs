// Storage for oidc-provider models. Unlike the bundled memory adapter (one
// module-wide LRU), each IdP instance gets its own store, so several IdPs can
// run in one process, and the store can be enumerated (to revoke every refresh
// token) and optionally persisted to a file (to restart the IdP between steps
// of a test without losing sessions and tokens).

import fs from 'node:fs';

// Models whose records belong to a grant and die with it (revokeByGrantId).
const GRANTABLE = new Set([
  'AccessToken',
  'AuthorizationCode',
  'RefreshToken',
  'DeviceCode',
  'BackchannelAuthenticationRequest',
]);

export class Store {
  #items = new Map(); // "Model:id" -> { payload, expiresAt (ms) | null }
  #file;
  #meta;

  // `meta` is saved alongside the records (signing keys, cookie keys).
  constructor({ file, items, meta } = {}) {
    this.#file = file;
    this.#meta = meta ?? {};
    for (const [key, entry] of items ?? []) this.#items.set(key, entry);
  }

  get(model, id) {
    const key = `${model}:${id}`;
    const entry = this.#items.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt !== null && entry.expiresAt <= Date.now()) {
      this.#items.delete(key);
      return undefined;
    }
    return entry.payload;
  }

  set(model, id, payload, expiresIn) {
    const expiresAt = typeof expiresIn === 'number' ? Date.now() + expiresIn * 1000 : null;
    this.#items.set(`${model}:${id}`, { payload, expiresAt });
    this.persist();
  }

  delete(model, id) {
    if (this.#items.delete(`${model}:${id}`)) this.persist();
  }

  // Live records of one model as [id, payload] pairs.
  list(model) {
    const prefix = `${model}:`;
    const out = [];
    for (const key of [...this.#items.keys()]) {
      if (!key.startsWith(prefix)) continue;
      const id = key.slice(prefix.length);
      const payload = this.get(model, id);
      if (payload) out.push([id, payload]);
    }
    return out;
  }

  find(model, predicate) {
    return this.list(model).find(([, payload]) => predicate(payload))?.[1];
  }

  revokeByGrantId(grantId) {
    let changed = false;
    for (const [key, { payload }] of [...this.#items]) {
      const model = key.slice(0, key.indexOf(':'));
      if (GRANTABLE.has(model) && payload.grantId === grantId) {
        this.#items.delete(key);
        changed = true;
      }
    }
    if (changed) this.persist();
  }

  entries() {
    return [...this.#items];
  }

  // Written synchronously on every change: the files are small and a test may
  // SIGKILL the server at any moment.
  persist() {
    if (!this.#file) return;
    writeJsonAtomic(this.#file, { ...this.#meta, items: this.entries() });
  }

  // The oidc-provider `adapter` option: a class constructed once per model.
  adapter() {
    const store = this;
    return class StoreAdapter {
      constructor(model) {
        this.model = model;
      }

      async upsert(id, payload, expiresIn) {
        store.set(this.model, id, payload, expiresIn);
      }

      async find(id) {
        return store.get(this.model, id);
      }

      async findByUid(uid) {
        return store.find(this.model, (p) => p.uid === uid);
      }

      async findByUserCode(userCode) {
        return store.find(this.model, (p) => p.userCode === userCode);
      }

      async consume(id) {
        const payload = store.get(this.model, id);
        if (payload) {
          payload.consumed = Math.floor(Date.now() / 1000);
          store.persist();
        }
      }

      async destroy(id) {
        store.delete(this.model, id);
      }

      async revokeByGrantId(grantId) {
        store.revokeByGrantId(grantId);
      }
    };
  }
}

export function readJson(file) {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (err) {
    if (err.code === 'ENOENT') return {};
    throw new Error(`cannot read state file ${file}: ${err.message}`);
  }
}

export function writeJsonAtomic(file, value) {
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, JSON.stringify(value), { mode: 0o600 });
  fs.renameSync(tmp, file);
}
