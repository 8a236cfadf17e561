// Turns the result rows of one benchmark run (JSON lines, see row() in common.mjs) into
// markdown tables — measure | baseline | Hublink | ratio | target | met? — and lists every
// target that is missed with its gap. Usage: node bench/report.mjs RESULTS.jsonl

import fs from 'node:fs';

const TITLES = {
  desktop: 'The desktop app vs a bare Tauri 2 window (both release builds, Xvfb, real Secret Service)',
  sessions: 'Sessions through the `hublink` command (real IdP, Chromium sign-ins, real Secret Service)',
  engine: 'The engine (release build)',
};

function value(v, unit) {
  if (v === null || v === undefined) return '—';
  const digits = v < 10 && unit !== '' ? 2 : 0;
  return `${v.toFixed(digits)}${unit ? ` ${unit}` : ''}`;
}

function judge(r) {
  const ratio = r.baseline ? r.hublink / r.baseline : null;
  const t = r.target;
  if (!t) return { ratio, target: '—', met: null };
  if (t.ratio !== undefined) return { ratio, target: `≤ ${t.ratio}x`, met: ratio !== null && ratio <= t.ratio };
  if (t.max !== undefined) return { ratio, target: `≤ ${value(t.max, r.unit)}`, met: r.hublink <= t.max };
  return { ratio, target: `< ${value(t.below, r.unit)}`, met: r.hublink < t.below };
}

function gap(r, j) {
  const t = r.target;
  if (t.ratio !== undefined) return `${j.ratio.toFixed(2)}x the baseline, target ≤ ${t.ratio}x (${value(r.hublink, r.unit)} vs ${value(r.baseline, r.unit)}; ${value(r.hublink - t.ratio * r.baseline, r.unit)} over)`;
  const limit = t.max ?? t.below;
  return `${value(r.hublink, r.unit)}, target ${j.target} (${value(r.hublink - limit, r.unit)} over)`;
}

/** The measure without its `; median of N` tail. */
const short = (measure) => measure.replace(/; (median|p\d+) of \d+$/, '');

const rows = fs.readFileSync(process.argv[2], 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l));
const missed = [];
for (const table of Object.keys(TITLES)) {
  const mine = rows.filter((r) => r.table === table);
  if (!mine.length) continue;
  console.log(`\n### ${TITLES[table]}\n`);
  console.log('| measure | baseline | Hublink | ratio | target | met? |');
  console.log('|---|---|---|---|---|---|');
  const notes = [];
  for (const r of mine) {
    if (r.error) {
      console.log(`| ${r.measure} | — | — | — | — | **failed** |`);
      missed.push(`- ${short(r.measure)}: could not be measured: ${r.error}`);
      continue;
    }
    const j = judge(r);
    const baseline = r.baseline === null ? '—' : `${value(r.baseline, r.unit)}${r.baselineNote ? ` — ${r.baselineNote}` : ''}`;
    const met = j.met === null ? '—' : j.met ? 'yes' : '**no**';
    console.log(`| ${r.measure} | ${baseline} | ${value(r.hublink, r.unit)} | ${j.ratio === null ? '—' : `${j.ratio.toFixed(2)}x`} | ${j.target} | ${met} |`);
    if (r.note) notes.push(`- ${short(r.measure)}: ${r.note}`);
    if (j.met === false) missed.push(`- ${short(r.measure)}: ${gap(r, j)}`);
  }
  if (notes.length) console.log(`\n${notes.join('\n')}`);
}
console.log(missed.length ? `\n### Targets missed\n\n${missed.join('\n')}` : '\nEvery target is met.');
