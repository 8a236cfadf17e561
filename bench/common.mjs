// Shared by the benchmark scripts (scripts/bench.sh): statistics, timing of child processes,
// process trees, and the result rows bench/report.mjs turns into tables.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function quantile(values, q) {
  const sorted = [...values].sort((a, b) => a - b);
  if (!sorted.length) return NaN;
  // Nearest rank: p50 of 20 is the 10th value, p95 of 20 the 19th.
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
}
export const median = (values) => quantile(values, 0.5);

export function tempDir(name) {
  return fs.mkdtempSync(path.join(os.tmpdir(), `hublink-bench-${name}-`));
}

/** Run `cmd args` to its end; resolves with {code, stdout, stderr, ms} (wall time). */
export function timed(cmd, args, { env = process.env, input } = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => { stdout += d; });
    child.stderr.on('data', (d) => { stderr += d; });
    child.on('error', reject);
    child.on('exit', (code) => {
      const ms = performance.now() - started;
      child.on('close', () => resolve({ code, stdout, stderr, ms }));
    });
    child.stdin.end(input);
  });
}

/** Every descendant of `pid` (children, their children, …), from /proc. */
export function descendants(pid) {
  const children = new Map();
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(entry));
    } catch {
      // Gone meanwhile.
    }
  }
  const out = [];
  const todo = [...(children.get(pid) ?? [])];
  while (todo.length) {
    const p = todo.pop();
    out.push(p);
    todo.push(...(children.get(p) ?? []));
  }
  return out;
}

/** Proportional set size of a process and all its descendants, in kB (smaps_rollup). */
export function treePss(pid) {
  let total = 0;
  const parts = [];
  for (const p of [pid, ...descendants(pid)]) {
    try {
      const rollup = fs.readFileSync(`/proc/${p}/smaps_rollup`, 'utf8');
      const kb = Number(rollup.match(/^Pss:\s+(\d+) kB/m)[1]);
      const name = fs.readFileSync(`/proc/${p}/comm`, 'utf8').trim();
      parts.push({ pid: p, name, kb });
      total += kb;
    } catch {
      // Gone meanwhile.
    }
  }
  return { kb: total, parts };
}

export function threadCount(pid) {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(status.match(/^Threads:\s+(\d+)/m)[1]);
}

/**
 * One result row. `target`: {ratio: x} (Hublink ≤ x × baseline), {max: v} (Hublink ≤ v, in
 * `unit`) or {below: v} (Hublink < v). `baseline` may be null (no side-by-side baseline);
 * `error` says why a measure could not be taken.
 */
export function row(table, measure, { baseline = null, baselineNote = '', hublink, unit, target, note = '', error = null }) {
  return { table, measure, baseline, baselineNote, hublink, unit, target, note, error };
}

/** Append rows to the results file scripts/bench.sh collects (one JSON object per line). */
export function emit(rows) {
  const file = process.env.BENCH_RESULTS;
  const text = rows.map((r) => JSON.stringify(r)).join('\n');
  if (file) fs.appendFileSync(file, `${text}\n`);
  else console.log(text);
}

/** The load average now, for the record: measurements on a busy machine are slower. */
export function load() {
  return os.loadavg()[0].toFixed(2);
}
