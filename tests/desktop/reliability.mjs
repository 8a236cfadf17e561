// Figures the desktop tests measure (cases tried and survived, link order, timings), merged
// by key into target/reliability/desktop.json for scripts/reliability.sh and docs/RELIABILITY.md.
// The core's loopback tests write their own keys into the same file.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const FIGURES = path.join(root, 'target/reliability/desktop.json');

export function recordFigures(key, value) {
  let all = {};
  try { all = JSON.parse(fs.readFileSync(FIGURES, 'utf8')); } catch { /* first figures */ }
  all[key] = { ...value, measured_at: new Date().toISOString() };
  fs.mkdirSync(path.dirname(FIGURES), { recursive: true });
  fs.writeFileSync(FIGURES, `${JSON.stringify(all, null, 2)}\n`);
}
