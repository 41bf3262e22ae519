/**
 * Starts a REAL Prometheus for tests (and bench suites): 127.0.0.1 on a random free port, a temporary data
 * directory, an optional rule file, optional scrape targets and optional OpenMetrics backfill through
 * `promtool tsdb create-blocks-from openmetrics`. Waits for /-/ready; `stop()` kills by PID and deletes the dir.
 *
 * Guard the calling test with `describe.runIf(requireBinaries(['prometheus', 'promtool']))`.
 *
 * Gotchas handled here (see /work/shared/BACKENDS.md):
 * - backfill timestamps are in SECONDS; samples of a series must be in time order; `# EOF` ends a file;
 * - one file per UTC day with `--max-block-duration=24h` is ~20x faster than one big file;
 * - the default retention (15d) deletes older blocks at start, so retention is set above the data's age;
 * - instant queries only look back 5 minutes: query backfilled data with an explicit `time=`.
 */
import { spawn, execFile, type ChildProcess } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const execFileP = promisify(execFile);

/** One series to backfill. Timestamps in seconds since epoch, ascending. */
export interface BackfillSeries {
  name: string;
  labels?: Record<string, string>;
  samples: readonly (readonly [number, number])[];
}

export interface ScrapeTarget {
  job: string;
  /** host:port entries; keep them on 127.0.0.1. */
  targets: string[];
  metricsPath?: string;
  params?: Record<string, string[]>;
  scrapeInterval?: string;
  scrapeTimeout?: string;
  /** Raw relabel_configs (e.g. the blackbox exporter's __param_target pattern). */
  relabelConfigs?: unknown[];
  labels?: Record<string, string>;
}

export interface PrometheusOptions {
  /** Rule file content (YAML text or an object); loaded as rules.yml. */
  rules?: string | object;
  scrapeTargets?: ScrapeTarget[];
  /** Extra raw scrape_configs entries, appended as they are. */
  scrapeConfigs?: unknown[];
  /** Alertmanager host:port targets. */
  alertmanagers?: string[];
  /** Series to backfill before the server starts (split per UTC day, one promtool run per day). */
  backfill?: BackfillSeries[];
  /** Ready-made OpenMetrics files (each ends with `# EOF`), backfilled before the start. */
  openMetricsFiles?: string[];
  scrapeInterval?: string; // default 1s
  evaluationInterval?: string; // default 1s
  retention?: string; // default 400d
  extraArgs?: string[];
  readyTimeoutMs?: number; // default 30 s
}

export interface PrometheusServer {
  /** http://127.0.0.1:PORT */
  url: string;
  port: number;
  dir: string;
  /** PID of the running process (undefined while killed). */
  readonly pid: number | undefined;
  /** Stop the process but keep the data dir (to simulate an outage). */
  kill(): Promise<void>;
  /** Start again on the same port and data dir; resolves when ready. */
  restart(): Promise<void>;
  /** Rewrite the rule file and reload the configuration (POST /-/reload). */
  reloadRules(rules: string | object): Promise<void>;
  /** Last lines of the server log (for failure messages). */
  log(lines?: number): Promise<string>;
  /** Kill and delete the data dir. Safe to call twice. */
  stop(): Promise<void>;
}

/** A free TCP port on 127.0.0.1 (bound then released; the caller binds it right after). */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

function escapeLabel(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function fmtLabels(labels: Record<string, string> | undefined): string {
  const entries = Object.entries(labels ?? {});
  if (!entries.length) return '';
  return `{${entries.map(([k, v]) => `${k}="${escapeLabel(v)}"`).join(',')}}`;
}

function fmtValue(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}

/**
 * OpenMetrics text for the given series, one string per UTC day (samples grouped by family, each series
 * in time order). Families are declared `unknown` so any sample name (`_total`, `_bucket`) is accepted.
 */
export function openMetricsByDay(series: BackfillSeries[]): string[] {
  const days = new Map<number, Map<string, string[]>>();
  for (const s of series) {
    const labels = fmtLabels(s.labels);
    let prev = -Infinity;
    for (const [ts, value] of s.samples) {
      if (ts < prev) throw new Error(`backfill: samples of ${s.name}${labels} are not in time order`);
      prev = ts;
      const day = Math.floor(ts / 86400);
      let fams = days.get(day);
      if (!fams) days.set(day, (fams = new Map()));
      let lines = fams.get(s.name);
      if (!lines) fams.set(s.name, (lines = []));
      lines.push(`${s.name}${labels} ${fmtValue(value)} ${ts}`);
    }
  }
  return [...days.keys()]
    .sort((a, b) => a - b)
    .map((day) => {
      const out: string[] = [];
      for (const [name, lines] of days.get(day)!) {
        out.push(`# TYPE ${name} unknown`);
        for (const l of lines) out.push(l);
      }
      out.push('# EOF', '');
      return out.join('\n');
    });
}

/** Prometheus rejects a global scrape_timeout above scrape_interval (default timeout 10s). */
function scrapeTimeoutFor(interval: string): string | undefined {
  const m = /^(\d+)(ms|s|m)$/.exec(interval);
  if (!m) return undefined;
  const ms = Number(m[1]) * (m[2] === 'ms' ? 1 : m[2] === 's' ? 1000 : 60_000);
  return ms < 10_000 ? interval : undefined;
}

function configYaml(opts: PrometheusOptions, hasRules: boolean): string {
  // JSON is valid YAML: no YAML emitter needed.
  const scrape = (opts.scrapeTargets ?? []).map((t) => ({
    job_name: t.job,
    ...(t.metricsPath ? { metrics_path: t.metricsPath } : {}),
    ...(t.params ? { params: t.params } : {}),
    ...(t.scrapeInterval ? { scrape_interval: t.scrapeInterval } : {}),
    ...(t.scrapeTimeout ? { scrape_timeout: t.scrapeTimeout } : {}),
    static_configs: [{ targets: t.targets, ...(t.labels ? { labels: t.labels } : {}) }],
    ...(t.relabelConfigs ? { relabel_configs: t.relabelConfigs } : {}),
  }));
  const cfg = {
    global: {
      scrape_interval: opts.scrapeInterval ?? '1s',
      scrape_timeout: scrapeTimeoutFor(opts.scrapeInterval ?? '1s'),
      evaluation_interval: opts.evaluationInterval ?? '1s',
    },
    ...(hasRules ? { rule_files: ['rules.yml'] } : {}),
    ...(opts.alertmanagers?.length
      ? { alerting: { alertmanagers: [{ static_configs: [{ targets: opts.alertmanagers }] }] } }
      : {}),
    scrape_configs: [...scrape, ...(opts.scrapeConfigs ?? [])],
  };
  return JSON.stringify(cfg, (_k, v: unknown) => (v === undefined ? undefined : v), 2);
}

async function backfill(dir: string, files: string[]): Promise<void> {
  const omDir = join(dir, 'om');
  await mkdir(omDir, { recursive: true });
  // Sequential: promtool is CPU-bound and the machine is small.
  for (let i = 0; i < files.length; i++) {
    const file = join(omDir, `part${String(i).padStart(4, '0')}.om`);
    await writeFile(file, files[i]!);
    try {
      await execFileP(
        'promtool',
        [
          'tsdb',
          'create-blocks-from',
          '--quiet',
          'openmetrics',
          '--max-block-duration=24h',
          file,
          join(dir, 'data'),
        ],
        { maxBuffer: 16 * 1024 * 1024 },
      );
    } catch (err) {
      const e = err as { stderr?: string; message: string };
      throw new Error(`promtool backfill of ${file} failed: ${e.stderr || e.message}`);
    }
  }
  await rm(omDir, { recursive: true, force: true });
}

async function waitReady(url: string, child: ChildProcess, timeoutMs: number, log: () => Promise<string>) {
  const deadline = Date.now() + timeoutMs;
  let lastErr = 'not ready';
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(
        `prometheus exited (${child.exitCode ?? child.signalCode}) before ready:\n${await log()}`,
      );
    }
    try {
      const res = await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) });
      await res.text();
      if (res.ok) return;
      lastErr = `HTTP ${res.status}`;
    } catch (err) {
      lastErr = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`prometheus at ${url} not ready after ${timeoutMs} ms (${lastErr}):\n${await log()}`);
}

export async function startPrometheus(opts: PrometheusOptions = {}): Promise<PrometheusServer> {
  const dir = await mkdtemp(join(tmpdir(), 'oncall-prom-'));
  let child: ChildProcess | undefined;
  let port = 0;
  let stopped = false;
  const logFile = join(dir, 'prometheus.log');
  const log = async (lines = 30) => {
    try {
      return (await readFile(logFile, 'utf8')).split('\n').slice(-lines).join('\n');
    } catch (err) {
      return `(no log: ${(err as Error).message})`;
    }
  };
  const writeRules = async (rules: string | object) =>
    writeFile(join(dir, 'rules.yml'), typeof rules === 'string' ? rules : JSON.stringify(rules, null, 2));

  try {
    await mkdir(join(dir, 'data'), { recursive: true });
    if (opts.rules !== undefined) await writeRules(opts.rules);
    await writeFile(join(dir, 'prometheus.yml'), configYaml(opts, opts.rules !== undefined));
    const files = [
      ...(opts.openMetricsFiles ?? []),
      ...(opts.backfill ? openMetricsByDay(opts.backfill) : []),
    ];
    if (files.length) await backfill(dir, files);
  } catch (err) {
    await rm(dir, { recursive: true, force: true });
    throw err;
  }

  const launch = async () => {
    const { openSync, closeSync } = await import('node:fs');
    const fd = openSync(logFile, 'a');
    try {
      child = spawn(
        'prometheus',
        [
          `--config.file=${join(dir, 'prometheus.yml')}`,
          `--storage.tsdb.path=${join(dir, 'data')}`,
          `--storage.tsdb.retention.time=${opts.retention ?? '400d'}`,
          `--web.listen-address=127.0.0.1:${port}`,
          '--web.enable-lifecycle',
          '--rules.alert.resend-delay=1s',
          ...(opts.extraArgs ?? []),
        ],
        { stdio: ['ignore', fd, fd], detached: false },
      );
    } finally {
      closeSync(fd);
    }
    const c = child;
    c.on('error', () => undefined); // spawn errors surface through waitReady's exit check / log
    await waitReady(`http://127.0.0.1:${port}`, c, opts.readyTimeoutMs ?? 30_000, () => log());
  };

  // If the test process exits without stop() (a crash, a killed worker), do not leave Prometheus behind.
  const onExit = () => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  };
  process.once('exit', onExit);

  const kill = async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null || c.signalCode !== null) return;
    const exited = new Promise<void>((r) => c.once('exit', () => r()));
    c.kill('SIGTERM');
    const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };

  // A port found free may be taken before prometheus binds it: retry a few times on early exit.
  let lastErr: Error | undefined;
  for (let attempt = 0; attempt < 4; attempt++) {
    port = await freePort();
    try {
      await launch();
      lastErr = undefined;
      break;
    } catch (err) {
      lastErr = err as Error;
      await kill();
    }
  }
  if (lastErr) {
    process.removeListener('exit', onExit);
    await rm(dir, { recursive: true, force: true });
    throw lastErr;
  }

  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    dir,
    get pid() {
      return child?.pid;
    },
    kill,
    async restart() {
      if (stopped) throw new Error('prometheus server was stopped; start a new one');
      await kill();
      await launch();
    },
    async reloadRules(rules) {
      await writeRules(rules);
      const res = await fetch(`${url}/-/reload`, { method: 'POST' });
      const body = await res.text();
      if (!res.ok) throw new Error(`reload failed: HTTP ${res.status} ${body}`);
    },
    log,
    async stop() {
      stopped = true;
      process.removeListener('exit', onExit);
      await kill();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
