/**
 * A small typed Prometheus HTTP API client on undici (one keep-alive Pool per server):
 * /api/v1/query, /api/v1/query_range, /api/v1/alerts, /api/v1/rules.
 *
 * - a per-attempt timeout; retries with exponential backoff on 5xx and connection errors (not on 4xx,
 *   not on timeouts: a slow server is reported, not hammered);
 * - bearer token, basic auth, custom CA;
 * - Prometheus error bodies (`errorType`, `error`) surfaced in the message;
 * - every string that came from the server is sanitised; credentials never appear in messages.
 */
import { Pool, errors as undiciErrors } from 'undici';
import { sanitizeText } from '../../domain/sanitize.js';

export type Labels = Record<string, string>;

export interface InstantSample {
  metric: Labels;
  /** Seconds since epoch (as Prometheus reports it). */
  timestamp: number;
  value: number;
}

export interface RangeSeries {
  metric: Labels;
  /** [seconds since epoch, value] in time order. */
  values: [number, number][];
}

export type QueryResult =
  | { resultType: 'vector'; result: InstantSample[] }
  | { resultType: 'matrix'; result: RangeSeries[] }
  | { resultType: 'scalar'; result: InstantSample }
  | { resultType: 'string'; result: { timestamp: number; value: string } };

export interface PromAlert {
  labels: Labels;
  annotations: Labels;
  state: 'firing' | 'pending' | 'inactive';
  activeAt?: number; // ms since epoch
  value?: number;
}

export interface PromRule {
  type: 'alerting' | 'recording';
  name: string;
  query: string;
  health: string;
  lastError?: string;
  state?: string;
  labels: Labels;
  annotations: Labels;
  alerts: PromAlert[];
}

export interface PromRuleGroup {
  name: string;
  file: string;
  rules: PromRule[];
}

export type PrometheusErrorKind = 'timeout' | 'connection' | 'http' | 'prometheus' | 'parse';

export class PrometheusError extends Error {
  constructor(
    message: string,
    readonly kind: PrometheusErrorKind,
    readonly status?: number,
    readonly errorType?: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

export interface PrometheusClientOptions {
  /** Base URL, e.g. http://127.0.0.1:9090 or https://prom.example.test/prometheus (a path prefix is kept). */
  url: string;
  /** Per-attempt timeout (headers and body). Default 10 s. */
  timeoutMs?: number;
  /** Retries after the first attempt on 5xx / connection errors. Default 2. */
  retries?: number;
  /** First backoff delay; doubles each retry (with jitter), capped at maxBackoffMs. Default 200 ms. */
  backoffMs?: number;
  maxBackoffMs?: number;
  bearerToken?: string;
  basicAuth?: { username: string; password: string };
  /** PEM text of extra CA certificate(s) for https. */
  ca?: string;
  /** Keep-alive connections in the pool. Default 4. */
  connections?: number;
  /** Called once per HTTP attempt (for request counting in tests and benchmarks). */
  onRequest?: (path: string) => void;
}

const MAX_BODY_BYTES = 64 * 1024 * 1024;

function parseNumber(text: unknown): number {
  if (typeof text === 'number') return text;
  if (text === '+Inf' || text === 'Inf') return Infinity;
  if (text === '-Inf') return -Infinity;
  if (text === 'NaN') return NaN;
  const n = Number(text);
  if (typeof text !== 'string' || text.trim() === '' || Number.isNaN(n))
    throw new PrometheusError(`unexpected sample value ${sanitizeText(JSON.stringify(text), 40)}`, 'parse');
  return n;
}

function cleanLabels(raw: unknown): Labels {
  const out: Labels = {};
  if (!raw || typeof raw !== 'object') return out;
  for (const [k, v] of Object.entries(raw as Record<string, unknown>)) {
    out[sanitizeText(k, 128)] = sanitizeText(v, 1024);
  }
  return out;
}

function parsePair(raw: unknown): [number, number] {
  if (!Array.isArray(raw) || raw.length !== 2)
    throw new PrometheusError('unexpected sample shape (expected [time, "value"])', 'parse');
  return [parseNumber(raw[0]), parseNumber(raw[1])];
}

export function parseQueryData(data: unknown): QueryResult {
  const d = data as { resultType?: unknown; result?: unknown };
  if (!d || typeof d !== 'object') throw new PrometheusError('query response has no data', 'parse');
  switch (d.resultType) {
    case 'vector': {
      if (!Array.isArray(d.result)) throw new PrometheusError('vector result is not a list', 'parse');
      return {
        resultType: 'vector',
        result: d.result.map((s: { metric?: unknown; value?: unknown }) => {
          const [timestamp, value] = parsePair(s.value);
          return { metric: cleanLabels(s.metric), timestamp, value };
        }),
      };
    }
    case 'matrix': {
      if (!Array.isArray(d.result)) throw new PrometheusError('matrix result is not a list', 'parse');
      return {
        resultType: 'matrix',
        result: d.result.map((s: { metric?: unknown; values?: unknown }) => ({
          metric: cleanLabels(s.metric),
          values: Array.isArray(s.values) ? s.values.map(parsePair) : [],
        })),
      };
    }
    case 'scalar': {
      const [timestamp, value] = parsePair(d.result);
      return { resultType: 'scalar', result: { metric: {}, timestamp, value } };
    }
    case 'string': {
      const r = d.result as unknown[];
      if (!Array.isArray(r) || r.length !== 2) throw new PrometheusError('unexpected string result', 'parse');
      return {
        resultType: 'string',
        result: { timestamp: parseNumber(r[0]), value: sanitizeText(r[1]) },
      };
    }
    default:
      throw new PrometheusError(
        `unknown resultType ${sanitizeText(JSON.stringify(d.resultType), 40)}`,
        'parse',
      );
  }
}

function parseAlert(raw: unknown): PromAlert {
  const a = (raw ?? {}) as Record<string, unknown>;
  const state = a.state === 'firing' || a.state === 'pending' ? a.state : 'inactive';
  const activeAt = typeof a.activeAt === 'string' ? Date.parse(a.activeAt) : NaN;
  let value: number | undefined;
  try {
    value = a.value === undefined ? undefined : parseNumber(a.value);
  } catch (err) {
    void err; // a malformed alert value is not worth failing the list for
    value = undefined;
  }
  return {
    labels: cleanLabels(a.labels),
    annotations: cleanLabels(a.annotations),
    state,
    activeAt: Number.isFinite(activeAt) ? activeAt : undefined,
    value,
  };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class PrometheusClient {
  private readonly pool: Pool;
  private readonly prefix: string;
  private readonly origin: string;
  private readonly timeoutMs: number;
  private readonly retries: number;
  private readonly backoffMs: number;
  private readonly maxBackoffMs: number;
  private readonly headers: Record<string, string>;
  private readonly secrets: string[];
  private readonly onRequest?: (path: string) => void;
  /** HTTP attempts made so far (retries included). */
  requestCount = 0;

  constructor(opts: PrometheusClientOptions) {
    let u: URL;
    try {
      u = new URL(opts.url);
    } catch (err) {
      void err;
      throw new PrometheusError(`prometheus.url is not a URL: ${sanitizeText(opts.url, 200)}`, 'parse');
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new PrometheusError(`prometheus.url must be http:// or https:// (got ${u.protocol})`, 'parse');
    let basic = opts.basicAuth;
    if (u.username || u.password) {
      // Credentials in the URL: move them into a header and out of every message.
      basic ??= { username: decodeURIComponent(u.username), password: decodeURIComponent(u.password) };
      u.username = '';
      u.password = '';
    }
    this.origin = u.origin;
    this.prefix = u.pathname.replace(/\/+$/, '');
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.retries = opts.retries ?? 2;
    this.backoffMs = opts.backoffMs ?? 200;
    this.maxBackoffMs = opts.maxBackoffMs ?? 2000;
    this.onRequest = opts.onRequest;
    this.headers = { accept: 'application/json', 'user-agent': 'oncall' };
    this.secrets = [];
    if (opts.bearerToken) {
      this.headers.authorization = `Bearer ${opts.bearerToken}`;
      this.secrets.push(opts.bearerToken);
    } else if (basic) {
      const enc = Buffer.from(`${basic.username}:${basic.password}`).toString('base64');
      this.headers.authorization = `Basic ${enc}`;
      if (basic.password) this.secrets.push(basic.password, enc);
    }
    this.pool = new Pool(this.origin, {
      connections: opts.connections ?? 4,
      keepAliveTimeout: 30_000,
      headersTimeout: this.timeoutMs,
      bodyTimeout: this.timeoutMs,
      connect: opts.ca ? { ca: opts.ca } : undefined,
    });
  }

  /** Where this client talks to (no credentials). */
  get baseUrl(): string {
    return `${this.origin}${this.prefix}`;
  }

  /** Remove every credential from a message, then sanitise it. */
  redact(message: string): string {
    let out = message;
    for (const s of this.secrets) if (s) out = out.split(s).join('[redacted]');
    return sanitizeText(out, 400);
  }

  async query(expr: string, time?: number): Promise<QueryResult> {
    const form: Record<string, string> = { query: expr };
    if (time !== undefined) form.time = String(time);
    return parseQueryData(await this.call('POST', '/api/v1/query', form));
  }

  /** An instant query that must return a vector. */
  async queryVector(expr: string, time?: number): Promise<InstantSample[]> {
    const r = await this.query(expr, time);
    if (r.resultType !== 'vector')
      throw new PrometheusError(
        `expected a vector, got ${r.resultType} for ${sanitizeText(expr, 120)}`,
        'parse',
      );
    return r.result;
  }

  async queryRange(expr: string, start: number, end: number, stepSeconds: number): Promise<RangeSeries[]> {
    const r = parseQueryData(
      await this.call('POST', '/api/v1/query_range', {
        query: expr,
        start: String(start),
        end: String(end),
        step: String(stepSeconds),
      }),
    );
    if (r.resultType !== 'matrix')
      throw new PrometheusError(`expected a matrix, got ${r.resultType}`, 'parse');
    return r.result;
  }

  async alerts(): Promise<PromAlert[]> {
    const data = (await this.call('GET', '/api/v1/alerts')) as { alerts?: unknown };
    return Array.isArray(data?.alerts) ? data.alerts.map(parseAlert) : [];
  }

  async rules(type?: 'alert' | 'record'): Promise<PromRuleGroup[]> {
    const data = (await this.call('GET', '/api/v1/rules', type ? { type } : undefined)) as {
      groups?: unknown;
    };
    if (!Array.isArray(data?.groups)) return [];
    return data.groups.map((g: Record<string, unknown>) => ({
      name: sanitizeText(g.name, 200),
      file: sanitizeText(g.file, 400),
      rules: (Array.isArray(g.rules) ? g.rules : []).map((r: Record<string, unknown>) => ({
        type: r.type === 'alerting' ? 'alerting' : 'recording',
        name: sanitizeText(r.name, 200),
        query: sanitizeText(r.query, 2000),
        health: sanitizeText(r.health, 40),
        lastError: r.lastError ? sanitizeText(r.lastError, 400) : undefined,
        state: r.state === undefined ? undefined : sanitizeText(r.state, 40),
        labels: cleanLabels(r.labels),
        annotations: cleanLabels(r.annotations),
        alerts: Array.isArray(r.alerts) ? r.alerts.map(parseAlert) : [],
      })),
    }));
  }

  private closing: Promise<void> | null = null;

  /** Close the pool (idempotent: the runtime and a test may both close). */
  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }

  /** One API call with retries; returns `data` of a success envelope or throws a PrometheusError. */
  private async call(
    method: 'GET' | 'POST',
    path: string,
    params?: Record<string, string>,
  ): Promise<unknown> {
    let attempt = 0;
    for (;;) {
      try {
        return await this.once(method, path, params);
      } catch (err) {
        const e = err as PrometheusError;
        const retryable =
          e instanceof PrometheusError &&
          (e.kind === 'connection' ||
            (e.status !== undefined && e.status >= 500 && e.errorType !== 'timeout'));
        if (!retryable || attempt >= this.retries) {
          if (attempt > 0 && e instanceof PrometheusError)
            throw new PrometheusError(
              `${e.message} (after ${attempt + 1} attempts)`,
              e.kind,
              e.status,
              e.errorType,
            );
          throw err;
        }
        const base = Math.min(this.maxBackoffMs, this.backoffMs * 2 ** attempt);
        await sleep(base / 2 + Math.random() * (base / 2));
        attempt++;
      }
    }
  }

  private async once(
    method: 'GET' | 'POST',
    path: string,
    params?: Record<string, string>,
  ): Promise<unknown> {
    const qs = params ? new URLSearchParams(params).toString() : '';
    const fullPath = `${this.prefix}${path}${method === 'GET' && qs ? `?${qs}` : ''}`;
    const where = `${this.origin}${this.prefix}${path}`;
    this.requestCount++;
    this.onRequest?.(path);
    const ac = new AbortController();
    const timer = setTimeout(() => ac.abort(), this.timeoutMs);
    let status: number;
    let text: string;
    let contentType = '';
    try {
      const res = await this.pool.request({
        method,
        path: fullPath,
        headers:
          method === 'POST'
            ? { ...this.headers, 'content-type': 'application/x-www-form-urlencoded' }
            : this.headers,
        body: method === 'POST' ? qs : undefined,
        signal: ac.signal,
      });
      status = res.statusCode;
      const ct = res.headers['content-type'];
      contentType = Array.isArray(ct) ? (ct[0] ?? '') : (ct ?? '');
      const len = Number(res.headers['content-length'] ?? 0);
      if (len > MAX_BODY_BYTES) {
        res.body.destroy();
        throw new PrometheusError(`${where}: response too large (${len} bytes)`, 'http', status);
      }
      text = await res.body.text();
    } catch (err) {
      if (err instanceof PrometheusError) throw err;
      const e = err as Error & { code?: string };
      if (
        ac.signal.aborted ||
        e instanceof undiciErrors.HeadersTimeoutError ||
        e instanceof undiciErrors.BodyTimeoutError
      )
        throw new PrometheusError(
          `${where}: timed out after ${(this.timeoutMs / 1000).toFixed(1)}s`,
          'timeout',
        );
      const code = e.code ?? (e.cause as { code?: string } | undefined)?.code;
      throw new PrometheusError(
        this.redact(`${where}: ${code ? `${code} ` : ''}${e.message || 'connection failed'}`),
        'connection',
      );
    } finally {
      clearTimeout(timer);
    }

    let body: { status?: string; data?: unknown; errorType?: unknown; error?: unknown } | undefined;
    if (contentType.includes('json') || text.startsWith('{')) {
      try {
        body = JSON.parse(text);
      } catch (err) {
        void err; // handled below as "not JSON"
        body = undefined;
      }
    }
    if (body && body.status === 'error') {
      const errorType = sanitizeText(body.errorType ?? 'error', 40);
      throw new PrometheusError(
        this.redact(`${where}: ${errorType}: ${String(body.error ?? 'unknown error')} (HTTP ${status})`),
        'prometheus',
        status,
        errorType,
      );
    }
    if (status < 200 || status >= 300) {
      throw new PrometheusError(
        this.redact(`${where}: HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`),
        'http',
        status,
      );
    }
    if (!body || body.status !== 'success')
      throw new PrometheusError(
        this.redact(`${where}: not a Prometheus API response: ${text.slice(0, 120)}`),
        'parse',
        status,
      );
    return body.data;
  }
}
