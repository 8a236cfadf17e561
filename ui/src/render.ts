// DOM building. Everything that comes from links, files or servers goes in with textContent
// (through displayText), never as HTML.
import type { HubView, HubsView, IniProblemView, Notice, PolicyView, ProposalView, UiError } from './types';
import {
  type CardState,
  type Fmt,
  type MenuItem,
  cardHint,
  displayText,
  expiryPhrase,
  flowLabel,
  hiddenToggleLabel,
  hubHue,
  hubInitial,
  managedDetail,
  parseTime,
  dayPhrase,
  problemLine,
  problemsSummary,
  proposalOrigin,
  sentence,
  signatureWarning,
  tokenRecipients,
  sincePhrase,
  sourceLabel,
  stateLabel,
  userMayAdd,
} from './view';

// ---------------------------------------------------------------------------------------------
// Helpers

type Props = { class?: string; id?: string; text?: string; attrs?: Record<string, string> };

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, props: Props = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  if (props.class) e.className = props.class;
  if (props.id) e.id = props.id;
  if (props.text !== undefined) e.textContent = props.text;
  for (const [k, v] of Object.entries(props.attrs ?? {})) e.setAttribute(k, v);
  for (const c of children) e.append(c);
  return e;
}

export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const e = document.getElementById(id);
  if (!e) throw new Error(`missing #${id}`);
  return e as T;
}

export function setText(id: string, text: string): void {
  byId(id).textContent = text;
}

export function show(e: HTMLElement, visible: boolean): void {
  e.hidden = !visible;
}

const SVG = 'http://www.w3.org/2000/svg';
const ICONS: Record<string, string[]> = {
  dots: ['M5 10h.01M10 10h.01M15 10h.01'],
  chevron: ['m8 5 5 5-5 5'],
  check: ['m5 10.5 3.2 3.2L15 7'],
  alert: ['M10 5.5v5.5M10 14v.01'],
  offline: ['M3 3l14 14', 'M6.5 9.6a5.5 5.5 0 0 1 7 0M3.6 6.8a9.6 9.6 0 0 1 3.2-1.9M12.8 5a9.6 9.6 0 0 1 3.6 1.9M10 14.5v.01'],
  warn: ['M10 3 18 17H2Z', 'M10 8v4M10 14.5v.01'],
  info: ['M10 9v5M10 6v.01'],
  lock: ['M5.5 9h9v7h-9z', 'M7.5 9V6.5a2.5 2.5 0 0 1 5 0V9'],
};

export function icon(name: keyof typeof ICONS | string, cls = 'icon'): SVGSVGElement {
  const svg = document.createElementNS(SVG, 'svg');
  svg.setAttribute('viewBox', '0 0 20 20');
  svg.setAttribute('aria-hidden', 'true');
  svg.setAttribute('class', cls);
  for (const d of ICONS[name] ?? []) {
    const p = document.createElementNS(SVG, 'path');
    p.setAttribute('d', d);
    svg.append(p);
  }
  return svg;
}

/** The avatar's letter is decoration (the avatar is aria-hidden): CSS draws it from
 *  data-initial, so it is not part of the text of the card it sits in. */
export function fillAvatar(e: HTMLElement, hub: HubView): void {
  e.textContent = '';
  e.dataset.initial = hubInitial(hub.name);
  e.style.setProperty('--hue', String(hubHue(hub.id)));
}

// ---------------------------------------------------------------------------------------------
// Header banners

export function renderBanners(container: HTMLElement, view: HubsView): void {
  container.replaceChildren();
  if (view.storage_warning) {
    container.append(
      el('div', { class: 'banner banner-warn', id: 'storage-warning', attrs: { role: 'note' } },
        icon('lock'),
        el('div', {},
          el('strong', { text: 'Sign-in secrets are stored in plain files on this computer. ' }),
          el('span', { text: displayText(view.storage_warning, 600) })),
      ),
    );
  }
  for (const w of view.warnings) {
    container.append(
      el('div', { class: 'banner banner-info', attrs: { role: 'note' } }, icon('info'), el('div', { text: displayText(w, 600) })),
    );
  }
}

/** What does not work on this computer (no session bus, a silent portal, no log file, …):
 *  one warning each, with its reason and what to do. */
export function renderNotices(container: HTMLElement, notices: readonly Notice[]): void {
  container.replaceChildren(
    ...notices.map((n) =>
      el('div', { class: 'banner banner-warn notice', attrs: { role: 'note', 'data-notice': n.code } },
        icon('warn'),
        el('div', {}, ...errorBlock({ code: n.code, message: n.message, cause: n.cause, next_step: n.next_step }))),
    ),
  );
}

// ---------------------------------------------------------------------------------------------
// The organisation's policy

/** The "Managed by your organization" banner, and the ways to add hubs the policy allows: with
 *  `AllowUserHubs` off there is no Add button, and the empty state points to the administrator.
 *  (Links from the OS still reach the backend, which refuses them with the rule named.) */
export function renderPolicy(policy: PolicyView, dirs: readonly string[]): void {
  show(byId('managed-banner'), policy.managed);
  setText('managed-detail', policy.managed ? managedDetail(policy) : '');
  const may = userMayAdd(policy);
  show(byId('add-link'), may);
  show(byId('empty-add'), may);
  show(byId('empty-lead'), may);
  show(byId('empty-ways'), may);
  show(byId('empty-admin'), !may);
  show(byId('add-ways'), may);
  setText('empty-admin-dirs', dirs.length ? dirs.map((d) => displayText(d, 300)).join(' and ') : 'no hubs folder');
}

// ---------------------------------------------------------------------------------------------
// Hub cards

export type CardEls = {
  li: HTMLLIElement;
  signin: HTMLButtonElement;
  avatar: HTMLSpanElement;
  name: HTMLSpanElement;
  host: HTMLSpanElement;
  badge: HTMLSpanElement;
  state: HTMLSpanElement;
  stateIcon: HTMLSpanElement;
  stateMain: HTMLSpanElement;
  stateDetail: HTMLSpanElement;
  hint: HTMLSpanElement;
  menu: HTMLButtonElement;
};

export function createCard(hubId: string): CardEls {
  const avatar = el('span', { class: 'avatar', attrs: { 'aria-hidden': 'true' } });
  const name = el('span', { class: 'hub-name' });
  const host = el('span', { class: 'hub-host mono' });
  const badge = el('span', { class: 'badge' });
  const stateIcon = el('span', { class: 'state-icon', attrs: { 'aria-hidden': 'true' } });
  const stateMain = el('span', { class: 'hub-state-main' });
  const stateDetail = el('span', { class: 'hub-state-detail' });
  const stateId = `state-${cssId(hubId)}`;
  // Spaces between the parts: the flex and grid layouts do not render them, but text taken from
  // the card (copying it, or a checker reading the visible words) gets words, not "Hubhost.com".
  const sp = (): Text => document.createTextNode(' ');
  const state = el('span', { class: 'hub-state', id: stateId }, stateIcon, el('span', { class: 'hub-state-text' }, stateMain, sp(), stateDetail));
  const hint = el('span', { class: 'hub-hint', attrs: { 'aria-hidden': 'true' } });
  const signin = el('button', { class: 'hub-signin', attrs: { type: 'button' } },
    avatar,
    el('span', { class: 'hub-text' }, name, sp(), host, sp(), state),
    sp(),
    el('span', { class: 'hub-foot' }, badge, sp(), hint),
  );
  const menu = el('button', { class: 'hub-menu', attrs: { type: 'button', 'aria-haspopup': 'menu', 'aria-expanded': 'false', 'aria-controls': 'hub-menu' } }, icon('dots'));
  const li = el('li', { class: 'hub-card' }, signin, menu);
  li.dataset.hubId = hubId;
  return { li, signin, avatar, name, host, badge, state, stateIcon, stateMain, stateDetail, hint, menu };
}

function cssId(s: string): string {
  return s.replace(/[^A-Za-z0-9_-]/g, (c) => `_${c.codePointAt(0)?.toString(16)}`);
}

const STATE_ICON: Partial<Record<CardState['kind'], string>> = {
  signed_in: 'check',
  sign_in_required: 'alert',
  offline: 'offline',
  error: 'alert',
};

export function updateCard(c: CardEls, hub: HubView, state: CardState, now: Date, fmt: Fmt = {}): void {
  const name = displayText(hub.name, 120);
  c.li.dataset.hubName = hub.name;
  c.li.dataset.state = state.kind;
  c.li.dataset.source = hub.source;
  fillAvatar(c.avatar, hub);
  c.name.textContent = name;
  c.host.textContent = displayText(hub.host, 200);
  c.badge.textContent = sourceLabel(hub.source);
  c.badge.className = `badge ${hub.source === 'link' ? 'badge-link' : 'badge-admin'}`;
  const label = stateLabel(state, now, fmt);
  c.state.dataset.tone = label.tone;
  c.stateMain.textContent = displayText(label.text, 160);
  c.stateDetail.textContent = label.detail ? displayText(label.detail, 300) : '';
  c.stateDetail.hidden = !label.detail;
  c.state.title = label.detail ? `${label.text}\n${label.detail}` : label.text;
  const iconName = STATE_ICON[state.kind];
  c.stateIcon.replaceChildren(iconName ? icon(iconName) : el('span', { class: 'spinner spinner-small' }));
  const hint = cardHint(state);
  c.hint.replaceChildren();
  if (hint) c.hint.append(el('span', { class: 'hint-text', text: hint }), icon('chevron'));
  // The card's visible words in their visible order, ending with what a click does ("Sign in",
  // "Details"): WCAG 2.5.3, the name contains the visible label.
  const parts = [c.host.textContent, c.stateMain.textContent, c.stateDetail.hidden ? '' : c.stateDetail.textContent, c.badge.textContent, hint];
  const words = parts
    .filter((p): p is string => !!p)
    .reduce((acc, p, i) => `${acc}${i === 0 ? ', ' : /[.…!?:]$/.test(acc) ? ' ' : '. '}${p}`, name);
  c.signin.setAttribute('aria-label', /[.…!?]$/.test(words) ? words : `${words}.`);
  c.signin.setAttribute('aria-disabled', state.kind === 'signing_in' ? 'true' : 'false');
  c.menu.setAttribute('aria-label', `More actions for ${name}`);
}

// ---------------------------------------------------------------------------------------------
// Hidden hubs

export function renderHidden(
  box: HTMLElement,
  hidden: HubView[],
  shown: boolean,
  onUnhide: (hub: HubView) => void,
): void {
  show(box, hidden.length > 0);
  const toggle = byId<HTMLButtonElement>('hidden-toggle');
  const list = byId<HTMLUListElement>('hidden-list');
  toggle.textContent = hiddenToggleLabel(hidden.length, shown);
  toggle.setAttribute('aria-expanded', String(shown));
  list.hidden = !shown;
  list.replaceChildren(
    ...hidden.map((hub) => {
      // The visible "Show again" first in the name (WCAG 2.5.3), then which hub.
      const btn = el('button', { class: 'btn btn-small', text: 'Show again', attrs: { type: 'button', 'aria-label': `Show again: ${displayText(hub.name)}` } });
      btn.addEventListener('click', () => onUnhide(hub));
      const li = el('li', { class: 'hidden-item' },
        el('span', { class: 'hidden-name', text: displayText(hub.name, 120) }),
        el('span', { class: 'mono muted small', text: displayText(hub.host) }),
        el('span', { class: 'spacer' }),
        btn);
      li.dataset.hiddenHubId = hub.id; // not data-hub-id: that marks cards only
      return li;
    }),
  );
}

// ---------------------------------------------------------------------------------------------
// The three ways to get a link

export function renderWays(dirs: readonly string[]): void {
  for (const ol of document.querySelectorAll<HTMLOListElement>('ol[data-ways]')) {
    const folder =
      dirs.length === 0
        ? [el('span', { class: 'mono', text: 'Documents/Hublink/Hubs' })]
        : dirs.flatMap((d, i) => [...(i ? [document.createTextNode(' or ')] : []), el('span', { class: 'mono path', text: displayText(d, 300) })]);
    ol.replaceChildren(
      el('li', {},
        el('strong', { text: 'From the hub itself. ' }),
        document.createTextNode('Open the hub in your browser and choose '),
        el('em', { text: 'Client authentication link' }),
        document.createTextNode(' in its menu. Copy the link and paste it here.')),
      el('li', {},
        el('strong', { text: 'From your administrator. ' }),
        document.createTextNode('They may send it by mail or chat: just click it, and Hublink asks you to confirm.')),
      el('li', {},
        el('strong', { text: 'As a hubs.ini file. ' }),
        document.createTextNode('Your administrator places it in '),
        ...folder,
        document.createTextNode('. Its hubs appear here by themselves.')),
    );
  }
}

// ---------------------------------------------------------------------------------------------
// hubs.ini problems

export function renderProblems(details: HTMLDetailsElement, problems: readonly IniProblemView[], dirs: readonly string[], setOpen: boolean | null): void {
  show(details, problems.length > 0);
  if (setOpen !== null) details.open = setOpen;
  setText('problems-count', problemsSummary(problems));
  byId('problem-list').replaceChildren(
    ...problems.map((p) => {
      const li = el('li', { class: `problem ${p.warning ? 'problem-warning' : 'problem-error'}` },
        el('span', { class: `tag ${p.warning ? 'tag-warn' : 'tag-error'}`, text: p.warning ? 'warning' : 'error' }),
        el('span', { class: 'mono problem-text', text: displayText(problemLine(p), 600) }));
      li.dataset.warning = String(p.warning);
      return li;
    }),
  );
  setText('problems-dirs', dirs.length ? dirs.map((d) => displayText(d, 300)).join(', ') : 'none');
}

// ---------------------------------------------------------------------------------------------
// Dialog contents

export function fillConfirm(p: ProposalView): void {
  setText('confirm-title', p.already_present ? 'This hub is already added' : 'Add this hub?');
  show(byId('confirm-present'), p.already_present);
  // The signature: a good one is said plainly; a bad one comes first, and Add becomes "Add anyway".
  const bad = p.signature_problem !== null;
  const issued = p.issued_by_organization && !bad;
  show(byId('confirm-signature-problem'), bad);
  setText('confirm-signature-text', bad ? signatureWarning(displayText(p.signature_problem ?? '', 600)) : '');
  show(byId('confirm-issued'), issued);
  byId('confirm-dialog').setAttribute(
    'aria-describedby',
    [...(bad ? ['confirm-signature-problem'] : []), 'confirm-host-block', ...(issued ? ['confirm-issued'] : [])].join(' '),
  );
  const add = byId('confirm-add');
  add.classList.toggle('btn-primary', !bad);
  add.classList.toggle('btn-warn', bad);
  setText('confirm-name', displayText(p.name, 120));
  setText('confirm-host', displayText(p.host, 300));
  show(byId('confirm-idn'), p.international_host);
  byId('confirm-host').classList.toggle('idn', p.international_host);
  setText('confirm-url', displayText(p.url, 600));
  const web = p.auth === 'web';
  // A web hub signs in on its own page (SAML or OpenID Connect at the hub); the session check
  // is the one address besides the hub that the confirmation must show.
  setText('confirm-issuer', web ? `The hub’s own sign-in page; session checked at ${displayText(p.session_check ?? '', 600)}` : displayText(p.issuer, 600));
  show(byId('confirm-client-label'), !web);
  setText('confirm-client', web ? '' : displayText(p.client_id, 200));
  const flow = web ? 'in a Hublink window' : flowLabel(p.flow);
  byId('confirm-flow').replaceChildren(
    document.createTextNode(flow[0]?.toUpperCase() + flow.slice(1)),
    ...(p.mfa_required ? [el('span', { class: 'tag tag-mfa', text: 'second factor required' })] : []),
  );
  const token = tokenRecipients(p.token);
  show(byId('confirm-token-label'), token !== '');
  show(byId('confirm-token'), token !== '');
  setText('confirm-token', token);
  setText('confirm-origin', proposalOrigin(p));
  setText('confirm-origin-detail', p.origin_detail ? ` ${displayText(p.origin_detail, 400)}` : '');
  const hasIgnored = p.ignored.length > 0;
  show(byId('confirm-ignored-label'), hasIgnored);
  show(byId('confirm-ignored'), hasIgnored);
  byId('confirm-ignored').replaceChildren(
    document.createTextNode('Unknown parameters, not used: '),
    ...p.ignored.flatMap((x, i) => [...(i ? [document.createTextNode(', ')] : []), el('code', { class: 'mono', text: displayText(x, 100) })]),
  );
  show(byId('confirm-add'), !p.already_present);
  show(byId('confirm-fine'), !p.already_present);
  setText('confirm-cancel', p.already_present ? 'OK' : 'Cancel');
  show(byId('confirm-error'), false);
}

export function fillDetails(hub: HubView, state: CardState, now: Date, fmt: Fmt = {}): void {
  setText('details-title', displayText(hub.name, 120));
  fillAvatar(byId('details-avatar'), hub);
  const label = stateLabel(state, now, fmt);
  const st = byId('details-state');
  st.textContent = displayText(label.text, 200);
  st.dataset.tone = label.tone;
  const rows: [string, string, boolean][] = [];
  const add = (k: string, v: string | null | undefined, mono = false): void => {
    if (v) rows.push([k, v, mono]);
  };
  add('Host', hub.host, true);
  add('Address', hub.url, true);
  add('Sign-in provider', hub.issuer, true);
  add('Client ID', hub.client_id, true);
  add('Sign-in', `${flowLabel(hub.flow)}${hub.mfa_required ? ', second factor required' : ''}`);
  add('Source', `${sourceLabel(hub.source)}${hub.source_detail ? ` (${hub.source_detail})` : ''}`);
  if (state.kind === 'signed_in') add('Signed in as', state.user);
  else if (hub.last?.user) add('Last user', hub.last.user);
  if (label.detail) add('Reason', label.detail);
  const last = parseTime(hub.last?.signed_in_at ?? (state.kind === 'offline' ? state.last_signed_in : null));
  if (last) add('Last sign-in', sincePhrase(last.toISOString(), now, fmt) ?? '');
  const endIso = state.kind === 'signed_in' ? state.session_ends_at ?? null : hub.last?.session_ends_at ?? null;
  const end = parseTime(endIso);
  if (end) add('Session', `until ${dayPhrase(end, now, fmt)}; then sign in again`);
  const expIso = state.kind === 'signed_in' ? state.expires_at : hub.last?.expires_at ?? null;
  const exp = parseTime(expIso);
  if (exp) add(hub.auth === 'web' ? 'Session cookie' : 'Access token', `${expiryPhrase(expIso, now, fmt)} (${dayPhrase(exp, now, fmt)}), renewed silently`);
  add('Hub ID', hub.id, true);
  byId('details-list').replaceChildren(
    ...rows.flatMap(([k, v, mono]) => [el('dt', { text: k }), el('dd', { class: mono ? 'mono breakable' : 'breakable', text: displayText(v, 600) })]),
  );
}

export function renderMenu(menu: HTMLElement, items: MenuItem[], onPick: (item: MenuItem) => void): HTMLButtonElement[] {
  const buttons = items.map((item) => {
    const b = el('button', { class: `menu-item${item.danger ? ' danger' : ''}`, text: item.label, attrs: { type: 'button', role: 'menuitem', tabindex: '-1' } });
    b.dataset.action = item.action;
    b.addEventListener('click', () => onPick(item));
    return b;
  });
  const sepBefore = items.findIndex((i) => i.action === 'details');
  const nodes: Node[] = [];
  buttons.forEach((b, i) => {
    if (i === sepBefore && i > 0) nodes.push(el('div', { class: 'menu-sep', attrs: { role: 'separator' } }));
    nodes.push(b);
  });
  menu.replaceChildren(...nodes);
  return buttons;
}

/** message / cause / "What to do:" next step, as nodes for an inline error box. */
export function errorBlock(err: UiError): Node[] {
  return [
    el('strong', { class: 'err-message', text: sentence(displayText(err.message, 300)) }),
    ...(err.cause.trim() ? [el('div', { class: 'err-cause', text: displayText(err.cause, 1000) })] : []),
    ...(err.next_step.trim()
      ? [el('div', { class: 'err-next' }, el('strong', { text: 'What to do: ' }), document.createTextNode(displayText(err.next_step, 1000)))]
      : []),
  ];
}
