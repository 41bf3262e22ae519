/**
 * HTTP health probes on undici: status code, latency, and JSON bodies parsed into named checks
 * ({"status":"ok","checks":{"database":"ok","cache":"degraded"}}, Spring-style "components", IETF-draft
 * arrays). Each endpoint has a deadline covering connect, headers and body; the body read stops at a bound;
 * redirects are not followed unless configured; TLS is verified (optionally against a caFile).
 * probe() never rejects: every failure is a result with state and error.
 */
import { readFile } from 'node:fs/promises';
import tls from 'node:tls';
import { Agent, interceptors, request, type Dispatcher } from 'undici';
import type { HealthProbePort } from '../ports.js';
import type { ServiceConfig } from '../../config/schema.js';
import type { HealthCheckResult, Level } from '../../domain/model.js';
import { parseDuration } from '../../domain/slo.js';
import { sanitizeText } from '../../domain/sanitize.js';
import { worst } from '../../domain/service-state.js';
import { createLimiter, type Limiter } from '../tls/limit.js';

type Endpoint = ServiceConfig['health'][number];

export interface HealthProbeOptions {
  /** Bytes of body read at most; the rest is discarded unread (default 64 KiB). */
  maxBodyBytes?: number;
  /** Requests in flight at once across every service (default 32). */
  concurrency?: number;
  /** Clock for `at` (the sandbox or tests may inject one). */
  now?: () => number;
  readTextFile?: (path: string) => Promise<string>;
  maxRedirections?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

const OK = new Set([
  'ok',
  'pass',
  'passed',
  'passing',
  'up',
  'healthy',
  'green',
  'true',
  'success',
  'ready',
  'available',
  'serving',
]);
const WARN = new Set(['warn', 'warning', 'degraded', 'yellow', 'partial', 'slow']);
const FAIL = new Set([
  'fail',
  'failed',
  'failing',
  'down',
  'error',
  'critical',
  'unhealthy',
  'red',
  'false',
  'outofservice',
  'unavailable',
  'notserving',
]);

export function classifyStatus(status: string): Level {
  const s = status.toLowerCase().replace(/[^a-z]/g, '');
  if (OK.has(s)) return 'ok';
  if (WARN.has(s)) return 'warning';
  if (FAIL.has(s)) return 'critical';
  return 'warning';
}

function statusOf(v: unknown): string | null {
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean') return v ? 'ok' : 'fail';
  if (Array.isArray(v)) {
    const items = v.map(statusOf).filter((x): x is string => x !== null);
    if (items.length === 0) return null;
    return items.reduce((a, b) =>
      worst(classifyStatus(a), classifyStatus(b)) === classifyStatus(a) ? a : b,
    );
  }
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>;
    for (const key of ['status', 'state', 'health']) if (typeof o[key] === 'string') return o[key] as string;
    if (typeof o.healthy === 'boolean') return o.healthy ? 'ok' : 'fail';
  }
  return null;
}

export interface ParsedBody {
  status: string | null;
  checks: HealthCheckResult['checks'];
}

/** Named checks from a JSON health body; names and statuses are stripped of control characters. */
export function parseHealthJson(json: unknown): ParsedBody {
  if (!json || typeof json !== 'object' || Array.isArray(json)) return { status: statusOf(json), checks: [] };
  const o = json as Record<string, unknown>;
  const status = statusOf(o);
  const checks: HealthCheckResult['checks'] = [];
  for (const key of ['checks', 'components', 'details', 'dependencies']) {
    const group = o[key];
    if (!group || typeof group !== 'object') continue;
    const entries: [string, unknown][] = Array.isArray(group)
      ? group.map((g, i) => [String((g as Record<string, unknown>)?.name ?? `#${i + 1}`), g])
      : Object.entries(group as Record<string, unknown>);
    for (const [rawName, value] of entries.slice(0, 100)) {
      const st = statusOf(value);
      if (st === null) continue;
      const name = sanitizeText(rawName, 64).trim() || '(unnamed)';
      const statusText = sanitizeText(st, 32).trim();
      checks.push({ name, status: statusText, ok: classifyStatus(statusText) === 'ok' });
    }
    if (checks.length) break;
  }
  return { status: status === null ? null : sanitizeText(status, 32).trim(), checks };
}

async function readBounded(
  body: Dispatcher.ResponseData['body'],
  max: number,
): Promise<{ text: string; truncated: boolean; bytes: number }> {
  const chunks: Buffer[] = [];
  let bytes = 0;
  for await (const chunk of body) {
    const b = chunk as Buffer;
    if (bytes + b.length > max) {
      chunks.push(b.subarray(0, max - bytes));
      bytes = max;
      body.destroy();
      return { text: Buffer.concat(chunks).toString('utf8'), truncated: true, bytes };
    }
    chunks.push(b);
    bytes += b.length;
  }
  return { text: Buffer.concat(chunks).toString('utf8'), truncated: false, bytes };
}

function errorMessage(err: unknown, timeoutMs: number, timedOut: boolean): string {
  if (timedOut) return `timeout after ${timeoutMs} ms`;
  const e = err as Error & { code?: string; cause?: Error & { code?: string } };
  const cause = e.cause && typeof e.cause === 'object' ? e.cause : undefined;
  const code = cause?.code ?? e.code;
  const msg = cause?.message ?? e.message;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ENOTFOUND') return `host not found (${msg})`;
  if (code && /CERT|SELF_SIGNED|ALTNAME|UNABLE_TO/.test(code)) return `TLS: ${msg} (${code})`;
  return code ? `${msg} (${code})` : msg;
}

export function createHealthProbe(
  opts: HealthProbeOptions = {},
): HealthProbePort & { readonly limiter: Limiter; close(): Promise<void> } {
  const maxBody = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const now = opts.now ?? Date.now;
  const readText = opts.readTextFile ?? ((p: string) => readFile(p, 'utf8'));
  const limiter = createLimiter(opts.concurrency ?? 32);
  const agents = new Map<string, Agent>();
  const dispatchers = new Map<string, Dispatcher>();

  async function dispatcherFor(ep: Endpoint): Promise<Dispatcher> {
    const key = `${ep.caFile ?? ''}\u0000${ep.followRedirects ? 1 : 0}`;
    const known = dispatchers.get(key);
    if (known) return known;
    const agentKey = ep.caFile ?? '';
    let agent = agents.get(agentKey);
    if (!agent) {
      const ca = ep.caFile ? await readText(ep.caFile) : undefined;
      // One secure context per CA file: passing `ca` per connection rebuilds it each time (~10 ms).
      const secureContext = ca ? tls.createSecureContext({ ca }) : undefined;
      agent = new Agent({
        connect: { ...(secureContext ? { secureContext } : {}), rejectUnauthorized: true },
        keepAliveTimeout: 4000,
      });
      agents.set(agentKey, agent);
    }
    const d: Dispatcher = ep.followRedirects
      ? agent.compose(interceptors.redirect({ maxRedirections: opts.maxRedirections ?? 5 }))
      : agent;
    dispatchers.set(key, d);
    return d;
  }

  async function probeOne(ep: Endpoint): Promise<HealthCheckResult> {
    const name = sanitizeText(ep.name ?? ep.url, 64);
    const timeoutMs = Math.round(parseDuration(ep.timeout ?? '3s') * 1000);
    const base = { url: ep.url, name, checks: [] as HealthCheckResult['checks'] };
    let dispatcher: Dispatcher;
    try {
      dispatcher = await dispatcherFor(ep);
    } catch (err) {
      return {
        ...base,
        state: 'unknown',
        error: `caFile ${ep.caFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
        at: now(),
      };
    }
    const started = performance.now();
    const ac = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ac.abort(new Error(`timeout after ${timeoutMs} ms`));
    }, timeoutMs);
    try {
      const res = await request(ep.url, {
        method: 'GET',
        dispatcher,
        signal: ac.signal,
        headers: { accept: 'application/json, text/plain;q=0.9, */*;q=0.5', 'user-agent': 'oncall-health' },
      });
      const body = await readBounded(res.body, maxBody);
      const latencyMs = Math.round(performance.now() - started);
      const code = res.statusCode;
      let state: Level =
        code >= 200 && code < 300 ? 'ok' : code >= 300 && code < 400 ? 'warning' : 'critical';
      const notes: string[] = [];
      if (code >= 300 && code < 400) {
        const loc = res.headers.location;
        notes.push(
          `redirect HTTP ${code}${loc ? ` to ${sanitizeText(String(loc), 120)}` : ''} not followed${ep.followRedirects ? ' (too many redirects)' : ' (followRedirects: false)'}`,
        );
      } else if (code >= 400) notes.push(`HTTP ${code}`);
      let checks: HealthCheckResult['checks'] = [];
      const ctype = String(res.headers['content-type'] ?? '');
      const looksJson = /json/i.test(ctype) || /^\s*[{[]/.test(body.text);
      if (body.truncated) {
        if (state === 'ok') state = 'warning';
        notes.push(`body larger than ${maxBody} bytes: read stopped, not parsed`);
      } else if (looksJson && body.text.trim()) {
        try {
          const parsed = parseHealthJson(JSON.parse(body.text));
          checks = parsed.checks;
          if (parsed.status !== null) state = worst(state, classifyStatus(parsed.status));
          for (const c of checks) state = worst(state, classifyStatus(c.status));
          if (parsed.status !== null && classifyStatus(parsed.status) !== 'ok' && checks.every((c) => c.ok))
            notes.push(`status ${parsed.status}`);
        } catch (err) {
          if (state === 'ok') state = 'warning';
          notes.push(`malformed JSON body: ${sanitizeText((err as Error).message, 120)}`);
        }
      }
      return {
        ...base,
        state,
        statusCode: code,
        latencyMs,
        checks,
        ...(notes.length ? { error: notes.join('; ') } : {}),
        at: now(),
      };
    } catch (err) {
      return {
        ...base,
        state: 'critical',
        latencyMs: Math.round(performance.now() - started),
        error: sanitizeText(errorMessage(err, timeoutMs, timedOut), 300),
        at: now(),
      };
    } finally {
      clearTimeout(timer);
    }
  }

  return {
    kind: 'health',
    limiter,
    probe(_service, endpoints) {
      return Promise.all(endpoints.map((ep) => limiter.run(() => probeOne(ep))));
    },
    async close() {
      await Promise.all([...agents.values()].map((a) => a.close()));
      agents.clear();
      dispatchers.clear();
    },
  };
}
