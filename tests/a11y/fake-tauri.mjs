// A stand-in for the Tauri IPC, installed into the page before its own scripts run
// (page.addInitScript). It answers the welcome page's commands from a fixture, lets the test
// emit the backend's events (hubs-changed, links-pending, login-progress) and finish or fail a
// running login. Only what @tauri-apps/api uses: __TAURI_INTERNALS__.invoke / transformCallback
// / unregisterCallback / metadata, and __TAURI_EVENT_PLUGIN_INTERNALS__.unregisterListener.
//
// `installFakeTauri` is serialised into the page: it must not use anything from this module.

/** Runs in the page. `fx` is a fixture from fixtures.mjs (plain JSON). */
export function installFakeTauri(fx) {
  const callbacks = new Map();
  const listeners = new Map(); // event name -> callback ids
  const logins = new Map(); // hub id -> { resolve, reject }
  const calls = [];
  let nextId = 1;
  let nextSeq = 1; // links from the OS are numbered in arrival order (src-tauri's pending links)
  const never = new Promise(() => {});
  const clone = (v) => (v === undefined ? v : JSON.parse(JSON.stringify(v)));
  const uiError = (code, message, cause = '', next_step = '') => ({ code, message, cause, next_step });

  function emit(event, payload) {
    for (const id of listeners.get(event) ?? []) callbacks.get(id)?.({ event, id, payload });
  }

  const handlers = {
    list_hubs: () => {
      if (fx.listError) throw fx.listError;
      return clone(fx.view);
    },
    // A state of 'pending' (or none) never answers: the card stays "Checking…".
    check_hub: ({ hubId }) => {
      const s = fx.states[hubId];
      return !s || s === 'pending' ? never : clone(s);
    },
    take_pending_links: () => fx.pending.splice(0),
    startup_notices: () => [],
    prepare_add: ({ input }) => {
      const p = fx.proposals[input];
      if (!p) throw fx.badLink ?? uiError('bad_link', 'This is not a usable authentication link', 'It should start with hublink://add? or https://', 'Copy the whole link again.');
      if (p.error) throw p.error;
      return clone(p);
    },
    confirm_add: ({ proposalId }) => {
      const p = Object.values(fx.proposals).find((x) => x.proposal_id === proposalId);
      if (!p) throw uiError('internal', 'This confirmation has expired');
      const hub = fx.view.hubs.find((h) => h.id === p.hub_id);
      return { hub: clone(hub ?? { id: p.hub_id, name: p.name, host: p.host }), already_present: !!hub };
    },
    discard_proposal: () => null,
    login: ({ hubId }) => new Promise((resolve, reject) => logins.set(hubId, { resolve, reject })),
    cancel_login: ({ hubId }) => {
      logins.get(hubId)?.reject(uiError('cancelled', 'Sign-in cancelled', 'You cancelled the sign-in.', 'Choose the hub again to sign in.'));
      logins.delete(hubId);
      return null;
    },
    logout: () => 'Signed out.',
    remove_hub: () => null,
    set_hidden: () => null,
    open_in_browser: () => null,
    open_hub: () => null,
    get_preferences: () => ({ start_at_login: false, keep_running: true, renew_warning_days: 3 }),
    set_preferences: () => null,
    forget_web_data: () => 0,
  };

  async function invoke(cmd, args = {}) {
    calls.push({ cmd, args });
    switch (cmd) {
      case 'plugin:event|listen': {
        const ids = listeners.get(args.event) ?? [];
        ids.push(args.handler);
        listeners.set(args.event, ids);
        return args.handler;
      }
      case 'plugin:event|unlisten': {
        const ids = listeners.get(args.event) ?? [];
        listeners.set(args.event, ids.filter((id) => id !== args.eventId));
        return null;
      }
      case 'plugin:event|emit':
        emit(args.event, args.payload);
        return null;
    }
    const h = handlers[cmd];
    if (!h) throw uiError('internal', `the fake IPC does not know the command ${cmd}`);
    return h(args);
  }

  window.__TAURI_INTERNALS__ = {
    invoke,
    transformCallback(cb, once = false) {
      const id = nextId++;
      callbacks.set(id, (data) => {
        if (once) callbacks.delete(id);
        return cb?.(data);
      });
      return id;
    },
    unregisterCallback: (id) => callbacks.delete(id),
    runCallback: (id, data) => callbacks.get(id)?.(data),
    callbacks,
    convertFileSrc: (p) => p,
    metadata: { currentWindow: { label: 'main' }, currentWebview: { windowLabel: 'main', label: 'main' } },
    plugins: {},
  };
  window.__TAURI_EVENT_PLUGIN_INTERNALS__ = { unregisterListener: (_event, id) => callbacks.delete(id) };

  // For the test, through page.evaluate.
  window.__fake = {
    calls,
    emit,
    progress: (p) => emit('login-progress', p),
    finishLogin(hubId, result) {
      logins.get(hubId)?.resolve(result);
      logins.delete(hubId);
    },
    failLogin(hubId, error) {
      logins.get(hubId)?.reject(error);
      logins.delete(hubId);
    },
    /** Queues a link "clicked" in the OS and tells the page. */
    clickLink(link) {
      fx.pending.push({ seq: nextSeq++, link });
      emit('links-pending', null);
    },
  };
}
