/**
 * Cold start → first frame under an 80×24 pseudo-terminal, interleaved in one run with the floor
 * (`node -e "console.log('oncall')"`), the unbundled build and (when built) the single executable.
 * NODE_EXTRA_CA_CERTS is unset for every child. The app runs a live config of 20 services naming every
 * source (kubernetes, prometheus, containers, health, certificates): its first frame must come from the
 * config alone, and a traced build of the same bundle reports which packages were evaluated before it.
 */
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from '../types.js';
import { benchEnv, median, runPty, snapshotDist } from '../pty.js';
import { deadEndpoints, writeConfig } from '../fixtures/config.js';

/** The footer (the frame's last line; Ink writes a frame in one write, so the frame is complete). */
const FRAME_MARKER = 'Enter open';
/** Packages that talk to backends: none may be evaluated before the first frame. */
export const BACKEND_PACKAGES = [
  '@kubernetes/client-node',
  'dockerode',
  'docker-modem',
  'node-vault',
  'undici',
  'ssh2',
  'openid-client',
  'ws',
  'jsonpath-plus',
  'js-yaml',
  'tar-fs',
];

interface Variant {
  label: string;
  cmd: string[];
  env?: NodeJS.ProcessEnv;
  marker: string;
  ms: number[];
  rss: number[];
  failures: string[];
}

function node22(): string | null {
  if (process.env.BENCH_NODE22 === '0') return null;
  try {
    const out = execFileSync('npx', ['-y', 'node@22', '-p', 'process.execPath'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
      timeout: 60_000,
    }).trim();
    return existsSync(out) ? out : null;
  } catch (err) {
    process.stderr.write(
      `bench: Node 22 not available (${(err as Error).message.split('\n')[0]}); skipping its rows\n`,
    );
    return null;
  }
}

export const startup: BenchSuite = {
  name: 'start-up',
  async run(): Promise<BenchRow[]> {
    const root = snapshotDist();
    const runs = Math.max(15, Number(process.env.BENCH_RUNS ?? 15));
    const { file: config } = writeConfig(20, deadEndpoints);
    const state = mkdtempSync(join(tmpdir(), 'oncall-bench-state-'));
    // The code cache lives in its own directory: the warm-up round fills it (as any first run would).
    const env = benchEnv({ XDG_STATE_HOME: state, XDG_CACHE_HOME: join(state, 'cache'), ONCALL_CONFIG: '' });
    const envNoCache = { ...env, ONCALL_NO_CACHE: '1' };
    const sea = join(root, 'dist', 'oncall-sea');
    const n22 = node22();
    const variants: Variant[] = [
      { label: 'node -e (floor)', cmd: ['node', '-e', "console.log('oncall')"], marker: 'oncall' },
      {
        label: 'bundle',
        cmd: ['node', join(root, 'dist/oncall.cjs'), '--config', config],
        marker: FRAME_MARKER,
      },
      {
        label: 'bundle, no code cache',
        cmd: ['node', join(root, 'dist/oncall.cjs'), '--config', config],
        marker: FRAME_MARKER,
        env: envNoCache,
      },
      {
        label: 'unbundled',
        cmd: ['node', join(root, 'dist/unbundled/bin/oncall.js'), '--config', config],
        marker: FRAME_MARKER,
      },
      ...(existsSync(sea) ? [{ label: 'SEA', cmd: [sea, '--config', config], marker: FRAME_MARKER }] : []),
      ...(n22
        ? [
            { label: 'node22 -e (floor)', cmd: [n22, '-e', "console.log('oncall')"], marker: 'oncall' },
            {
              label: 'node22 bundle',
              cmd: [n22, join(root, 'dist/oncall.cjs'), '--config', config],
              marker: FRAME_MARKER,
            },
          ]
        : []),
    ].map((v) => ({ ...v, ms: [], rss: [], failures: [] }));

    // One warm-up round (page cache, Node 22's compile cache), then interleaved timed rounds.
    for (let round = -1; round < runs; round++) {
      for (let k = 0; k < variants.length; k++) {
        const v = variants[(k + Math.max(0, round)) % variants.length]!;
        const r = await runPty(v.cmd, { until: v.marker, kill: true, env: v.env ?? env, timeoutS: 20 });
        if (round < 0) continue;
        if (r.matchMs === null) v.failures.push(`no frame (exit ${r.exitCode})`);
        else {
          v.ms.push(r.matchMs);
          if (r.rss !== null) v.rss.push(r.rss / 1024);
        }
      }
    }

    // Which packages were evaluated before the first frame, and which after (adapters load then).
    const traceFile = join(state, 'trace.json');
    await runPty(['node', join(root, 'dist/bench-oncall-trace.cjs'), '--config', config], {
      until: FRAME_MARKER,
      kill: true,
      lingerS: 3,
      env: { ...env, ONCALL_TRACE_MARKER: FRAME_MARKER, ONCALL_TRACE_FILE: traceFile },
    });
    const trace = existsSync(traceFile)
      ? (JSON.parse(readFileSync(traceFile, 'utf8')) as { atFrame: string[] | null; all: [string, number][] })
      : null;

    const get = (label: string) => variants.find((v) => v.label === label);
    const floor = get('node -e (floor)')!;
    const floorMs = median(floor.ms);
    const rows: BenchRow[] = [];
    const note = (v: Variant) =>
      [
        `${v.ms.length} runs`,
        v.ms.length ? `min ${Math.min(...v.ms).toFixed(0)} max ${Math.max(...v.ms).toFixed(0)} ms` : '',
        v.failures.length ? `failures: ${v.failures.join('; ')}` : '',
      ]
        .filter(Boolean)
        .join(', ');
    rows.push({
      group: 'start-up',
      measure: 'node -e (the floor)',
      value: floorMs,
      unit: 'ms',
      note: note(floor),
    });
    const frameRow = (label: string, measure: string, base: Variant, target?: number): void => {
      const v = get(label);
      if (!v) return;
      const ms = median(v.ms);
      const baseMs = median(base.ms);
      rows.push({
        group: 'start-up',
        measure,
        value: ms,
        unit: 'ms',
        baseline: { label: base.label, value: baseMs },
        ratio: ms / baseMs,
        ...(target !== undefined
          ? { target: `≤ ${target}× floor`, pass: v.failures.length === 0 && ms / baseMs <= target }
          : {}),
        note: note(v),
      });
      const rss = median(v.rss);
      rows.push({
        group: 'start-up',
        measure: `${measure}: peak RSS`,
        value: rss,
        unit: 'MB',
        baseline: { label: `${base.label} RSS`, value: median(base.rss) },
        ...(target !== undefined ? { target: '≤ 80 MB', pass: rss <= 80 } : {}),
      });
    };
    frameRow('bundle', 'first frame, bundle (dist/oncall.cjs, caches warm)', floor, 4.5);
    frameRow('bundle, no code cache', 'first frame, bundle, caches off (first run)', floor);
    frameRow('unbundled', 'first frame, unbundled build', floor);
    if (get('SEA')) frameRow('SEA', 'first frame, single executable (SEA)', floor, 4.5);
    else
      rows.push({
        group: 'start-up',
        measure: 'first frame, single executable (SEA)',
        value: NaN,
        unit: 'ms',
        note: 'dist/oncall-sea not built (npm run build:sea)',
      });
    const f22 = get('node22 -e (floor)');
    if (f22) frameRow('node22 bundle', 'first frame, bundle on Node 22 (compile cache)', f22);

    const atFrame = trace?.atFrame ?? null;
    const all = trace?.all.map(([p]) => p) ?? [];
    const backendBefore = atFrame ? atFrame.filter((p) => BACKEND_PACKAGES.includes(p)) : [];
    const backendAfter = all.filter((p) => BACKEND_PACKAGES.includes(p) && !backendBefore.includes(p));
    rows.push({
      group: 'start-up',
      measure: 'backend libraries evaluated before first frame',
      value: atFrame ? backendBefore.length : NaN,
      unit: 'pkgs',
      target: 'none',
      pass: atFrame !== null && backendBefore.length === 0,
      note: atFrame
        ? `before the frame: ${atFrame.length} packages (${atFrame.join(', ')})` +
          (backendBefore.length ? `; BACKEND: ${backendBefore.join(', ')}` : '') +
          `; backend libraries evaluated after the frame: ${backendAfter.join(', ') || 'none (no adapter in this build imports one yet)'}`
        : 'the traced run produced no first frame',
    });
    return rows;
  },
};
