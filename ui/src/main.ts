// Entry point: picks the backend (the real Tauri one, or the fake one for previews) and starts.
import './styles.css';
import { App } from './app';

async function boot(): Promise<void> {
  const inTauri = (window as { __TAURI_INTERNALS__?: unknown }).__TAURI_INTERNALS__ !== undefined;
  const preview = new URLSearchParams(location.search).get('preview');
  // Outside Tauri only: `npx vite` (dev), or a built page opened with ?preview. Inside the app
  // the real backend is always used, whatever the address says.
  if (!inTauri && (import.meta.env.DEV || preview !== null)) {
    const { installFakeBackend } = await import('./fake-backend');
    installFakeBackend(preview ?? '');
  }
  await new App().start();
}

void boot();
