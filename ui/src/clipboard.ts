// Copying text to the clipboard, and the "Copied" feedback on the button that asked for it.
import { announce } from './notify';

/** Copies text: the async clipboard first, then the old selection-based way (older WebKitGTK). */
export async function copyText(text: string): Promise<boolean> {
  try {
    if (navigator.clipboard?.writeText) {
      await navigator.clipboard.writeText(text);
      return true;
    }
  } catch {
    // fall through
  }
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.setAttribute('readonly', '');
  ta.className = 'offscreen';
  const host = document.querySelector('dialog[open]') ?? document.body;
  host.append(ta);
  ta.select();
  let ok = false;
  try {
    ok = document.execCommand('copy');
  } catch {
    ok = false;
  }
  ta.remove();
  return ok;
}

/** Copies text and says so on `button` for a moment (and to screen readers). */
export async function copyFromButton(text: string, button: HTMLButtonElement): Promise<void> {
  const ok = await copyText(text);
  const label = button.dataset.label ?? button.textContent ?? '';
  button.dataset.label = label;
  button.textContent = ok ? 'Copied' : 'Copy failed';
  announce(ok ? 'Copied to the clipboard.' : 'Could not copy. Select the text and copy it yourself.');
  setTimeout(() => (button.textContent = label), 1600);
}
