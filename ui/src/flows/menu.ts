// The card menu (the ⋯ button on each card): opening it next to its button, keyboard moves,
// closing it, and handing the chosen item to the action it names.
import { type MenuItem, displayText, menuItems } from '../view';
import { byId, renderMenu } from '../render';
import { isTab } from '../dialogs';
import type { HubList } from '../hub-list';

/** What the menu's items do. */
export type MenuActions = {
  signIn(id: string, device: boolean): void;
  signOut(id: string): void;
  recheck(id: string): void;
  details(id: string): void;
  hide(id: string): void;
  remove(id: string): void;
  forgetWebData(id: string): void;
};

export class CardMenu {
  private hubId: string | null = null;
  private buttons: HTMLButtonElement[] = [];
  private readonly menu = byId('hub-menu');

  constructor(
    private readonly hubs: HubList,
    private readonly actions: MenuActions,
  ) {}

  wire(): void {
    this.menu.addEventListener('keydown', (ev) => this.onKey(ev));
    document.addEventListener('pointerdown', (ev) => {
      if (this.hubId !== null && !this.menu.contains(ev.target as Node) && !(ev.target as Element).closest?.('.hub-menu')) {
        this.close(false);
      }
    });
    window.addEventListener('resize', () => this.close(false));
    window.addEventListener('scroll', () => this.close(false), true);
  }

  /** Makes a card's menu button open (and close) the menu for hub `id`. */
  attach(id: string, button: HTMLButtonElement): void {
    button.addEventListener('click', (ev) => {
      ev.stopPropagation();
      if (this.hubId === id) this.close(true);
      else this.open(id, button);
    });
    button.addEventListener('keydown', (ev) => {
      if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
        ev.preventDefault();
        this.open(id, button, ev.key === 'ArrowUp' ? -1 : 0);
      }
    });
  }

  private open(id: string, button: HTMLButtonElement, focusIndex = 0): void {
    const e = this.hubs.get(id);
    if (!e) return;
    this.close(false);
    this.hubId = id;
    this.buttons = renderMenu(this.menu, menuItems(e.hub, e.state), (item) => this.onPick(id, item));
    this.menu.setAttribute('aria-label', `Actions for ${displayText(e.hub.name)}`);
    button.setAttribute('aria-expanded', 'true');
    this.menu.hidden = false;
    const r = button.getBoundingClientRect();
    const mh = this.menu.offsetHeight;
    const mw = this.menu.offsetWidth;
    const below = r.bottom + 6 + mh <= window.innerHeight;
    this.menu.style.top = `${Math.max(8, below ? r.bottom + 6 : r.top - 6 - mh)}px`;
    this.menu.style.left = `${Math.max(8, Math.min(window.innerWidth - mw - 8, r.right - mw))}px`;
    const idx = focusIndex < 0 ? this.buttons.length - 1 : focusIndex;
    this.buttons[idx]?.focus();
  }

  /** Closes the menu if it is open; `refocus` puts focus back on its card's menu button. */
  close(refocus: boolean): void {
    if (this.hubId === null) return;
    const id = this.hubId;
    this.hubId = null;
    this.menu.hidden = true;
    this.menu.replaceChildren();
    const btn = this.hubs.get(id)?.card?.menu;
    btn?.setAttribute('aria-expanded', 'false');
    if (refocus) btn?.focus();
  }

  private onKey(ev: KeyboardEvent): void {
    if (isTab(ev)) return this.close(false); // Shift+Tab too, whatever key name the engine gives it
    const items = this.buttons;
    const i = items.indexOf(document.activeElement as HTMLButtonElement);
    const go = (n: number): void => {
      ev.preventDefault();
      items[(n + items.length) % items.length]?.focus();
    };
    switch (ev.key) {
      case 'ArrowDown':
        return go(i + 1);
      case 'ArrowUp':
        return go(i - 1);
      case 'Home':
        return go(0);
      case 'End':
        return go(items.length - 1);
      case 'Escape':
        ev.preventDefault();
        return this.close(true);
    }
  }

  private onPick(id: string, item: MenuItem): void {
    this.close(true);
    const e = this.hubs.get(id);
    if (!e) return;
    switch (item.action) {
      case 'signin':
        return this.actions.signIn(id, e.hub.flow === 'device');
      case 'signin_device':
        return this.actions.signIn(id, true);
      case 'signout':
        return this.actions.signOut(id);
      case 'recheck':
        return this.actions.recheck(id);
      case 'details':
        return this.actions.details(id);
      case 'hide':
        return this.actions.hide(id);
      case 'remove':
        return this.actions.remove(id);
      case 'forget_web':
        return this.actions.forgetWebData(id);
    }
  }
}
