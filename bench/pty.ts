/** Node side of bench/pty.py: run a command under an 80×24 pseudo-terminal and read its timings. */
import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The repository root, whether this runs from bench/*.ts (vitest/tsx) or bundled as dist/bench.mjs. */
export function repoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json'))) {
    const up = resolve(dir, '..');
    if (up === dir) throw new Error('bench: cannot find the repository root');
    dir = up;
  }
  return dir;
}

export interface PtyResult {
  /** Spawn → first output matching `until`, ms (null if it never came). */
  matchMs: number | null;
  /** Peak RSS of the child in KiB when the match was seen (or at exit). */
  rss: number | null;
  exitCode: number | null;
  bytes: number;
  steps: number[];
}

export interface PtyOptions {
  until?: string;
  timeoutS?: number;
  cols?: number;
  rows?: number;
  env?: NodeJS.ProcessEnv;
  cwd?: string;
  kill?: boolean;
  lingerS?: number;
  log?: string;
}

export function runPty(cmd: string[], o: PtyOptions = {}): Promise<PtyResult> {
  const args = [
    join(repoRoot(), 'bench', 'pty.py'),
    '--cols',
    String(o.cols ?? 80),
    '--rows',
    String(o.rows ?? 24),
  ];
  if (o.until) args.push('--until', o.until);
  args.push('--timeout', String(o.timeoutS ?? 20));
  if (o.kill) args.push('--kill');
  if (o.lingerS) args.push('--linger', String(o.lingerS));
  if (o.log) args.push('--log', o.log);
  args.push('--', ...cmd);
  return new Promise((resolvePromise, reject) => {
    execFile(
      'python3',
      args,
      { env: o.env ?? process.env, cwd: o.cwd ?? repoRoot(), maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) return reject(new Error(`pty.py ${cmd.join(' ')}: ${err.message} ${stderr}`));
        try {
          resolvePromise(JSON.parse(stdout) as PtyResult);
        } catch (e) {
          reject(
            new Error(
              `pty.py ${cmd.join(' ')}: unreadable output ${JSON.stringify(stdout)}: ${(e as Error).message}`,
            ),
          );
        }
      },
    );
  });
}

export function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

export function percentile(xs: number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** The environment every timed child gets: NODE_EXTRA_CA_CERTS unset (it adds ~50 ms to Node 20 starts). */
export function benchEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra };
  delete env.NODE_EXTRA_CA_CERTS;
  delete env.NODE_OPTIONS;
  env.TERM = 'xterm-256color';
  return env;
}

/**
 * A private copy of the built artefacts: other work in the same checkout may rebuild dist/ while the bench
 * runs, which would change what is measured midway (and invalidate the caches keyed by the build).
 * node_modules is linked so the unbundled build still resolves its packages.
 */
let snapshot: string | null = null;
export function snapshotDist(): string {
  if (snapshot) return snapshot;
  const root = repoRoot();
  const dir = mkdtempSync(join(tmpdir(), 'oncall-bench-dist-'));
  cpSync(join(root, 'dist'), join(dir, 'dist'), { recursive: true });
  cpSync(join(root, 'package.json'), join(dir, 'package.json'));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  snapshot = dir;
  return dir;
}
