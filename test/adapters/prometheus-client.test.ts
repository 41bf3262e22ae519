/**
 * The Prometheus client and the metrics source under faults. Parsing and error bodies are checked against a
 * REAL Prometheus; faults a real server will not produce on demand (500s, a response slower than the
 * timeout, auth, a private CA) come from small local node servers, and a switchable proxy in front of the
 * real Prometheus drives the whole path: port → startSources() → store → header staleness line.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PrometheusClient, PrometheusError } from '../../src/adapters/prometheus/client.js';
import { createPrometheusMetrics } from '../../src/adapters/prometheus/index.js';
import { configSchema } from '../../src/config/schema.js';
import { startSources } from '../../src/state/sources.js';
import { createAppStore } from '../../src/state/store.js';
import { staleness } from '../../src/state/selectors.js';
import { selfSignedCert } from '../helpers/pki.js';
import { requireBinaries } from '../helpers/backend.js';
import { freePort, startPrometheus, type PrometheusServer } from '../helpers/prometheus-server.js';

type Handler = (req: IncomingMessage, res: ServerResponse, body: string) => void;

async function serve(handler: Handler): Promise<{ url: string; server: Server; hits: () => number }> {
  let hits = 0;
  const server = createServer((req, res) => {
    hits++;
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => handler(req, res, body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}`, server, hits: () => hits };
}

const close = (s: Server) =>
  new Promise<void>((r) => {
    s.closeAllConnections();
    s.close(() => r());
  });

const ok = (res: ServerResponse, data: unknown) =>
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data }));

async function failure(p: Promise<unknown>): Promise<PrometheusError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof PrometheusError) return err;
    throw err;
  }
  throw new Error('expected a PrometheusError');
}

describe('Prometheus client faults (local node servers)', () => {
  const servers: Server[] = [];
  afterAll(async () => {
    for (const s of servers) await close(s);
  });

  it('retries a 5xx with backoff and succeeds when the server recovers', async () => {
    let n = 0;
    const s = await serve((_req, res) => {
      if (++n <= 2) res.writeHead(503, { 'content-type': 'text/plain' }).end('overloaded');
      else
        ok(res, {
          resultType: 'vector',
          result: [{ metric: { service: 'a' }, value: [1700000000, '0.25'] }],
        });
    });
    servers.push(s.server);
    const c = new PrometheusClient({ url: s.url, retries: 2, backoffMs: 10 });
    const v = await c.queryVector('up');
    expect(v).toEqual([{ metric: { service: 'a' }, timestamp: 1700000000, value: 0.25 }]);
    expect(s.hits()).toBe(3);
    expect(c.requestCount).toBe(3);
    await c.close();
  });

  it('gives up after the retries with the status, the Prometheus error body and no token', async () => {
    const token = 's3cr3t-token-value';
    const s = await serve((req, res) => {
      // A server that echoes the credentials back in its error body.
      res.writeHead(500, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'error',
          errorType: 'internal',
          error: `boom for ${req.headers.authorization}`,
        }),
      );
    });
    servers.push(s.server);
    const c = new PrometheusClient({ url: s.url, retries: 2, backoffMs: 5, bearerToken: token });
    const e = await failure(c.queryVector('up'));
    expect(e.status).toBe(500);
    expect(e.errorType).toBe('internal');
    expect(e.message).toMatch(/internal: boom for Bearer \[redacted\] \(HTTP 500\) \(after 3 attempts\)/);
    expect(e.message).not.toContain(token);
    expect(s.hits()).toBe(3);
    await c.close();
  });

  it('does not retry a 4xx and surfaces errorType/error', async () => {
    const s = await serve((_req, res) =>
      res.writeHead(422, { 'content-type': 'application/json' }).end(
        JSON.stringify({
          status: 'error',
          errorType: 'execution',
          error: 'query \u001b[2Jtoo many samples',
        }),
      ),
    );
    servers.push(s.server);
    const c = new PrometheusClient({ url: s.url, backoffMs: 5 });
    const e = await failure(c.query('x'));
    expect(e.message).toMatch(/execution: query too many samples \(HTTP 422\)$/);
    expect(e.message).not.toContain('\u001b');
    expect(s.hits()).toBe(1);
    await c.close();
  });

  it('times out a response slower than the timeout, without retrying', async () => {
    const s = await serve((_req, res) => {
      const t = setTimeout(() => ok(res, { resultType: 'vector', result: [] }), 3000);
      res.on('close', () => clearTimeout(t));
    });
    servers.push(s.server);
    const c = new PrometheusClient({ url: s.url, timeoutMs: 300, backoffMs: 5 });
    const started = Date.now();
    const e = await failure(c.queryVector('up'));
    expect(e.kind).toBe('timeout');
    expect(e.message).toMatch(/timed out after 0\.3s/);
    expect(Date.now() - started).toBeLessThan(2500);
    expect(s.hits()).toBe(1);
    await c.close();
  });

  it('reports a refused connection after retrying, with the address and no credentials', async () => {
    const port = await freePort();
    const c = new PrometheusClient({
      url: `http://user:pw-abc123@127.0.0.1:${port}/prom`,
      retries: 1,
      backoffMs: 5,
    });
    const e = await failure(c.alerts());
    expect(e.kind).toBe('connection');
    expect(e.message).toContain(`http://127.0.0.1:${port}/prom/api/v1/alerts`);
    expect(e.message).toMatch(/ECONNREFUSED/);
    expect(e.message).toMatch(/after 2 attempts/);
    expect(e.message).not.toContain('pw-abc123');
    expect(c.requestCount).toBe(2);
    await c.close();
  });

  it('sends bearer and basic credentials, keeps a path prefix, POSTs queries as a form', async () => {
    const seen: { auth?: string; path?: string; body: string; method?: string }[] = [];
    const s = await serve((req, res, body) => {
      seen.push({ auth: req.headers.authorization, path: req.url, body, method: req.method });
      ok(res, { resultType: 'scalar', result: [1700000000, '+Inf'] });
    });
    servers.push(s.server);
    const bearer = new PrometheusClient({ url: `${s.url}/prometheus/`, bearerToken: 'tok' });
    const r = await bearer.query('1/0', 1700000000.5);
    expect(r).toEqual({
      resultType: 'scalar',
      result: { metric: {}, timestamp: 1700000000, value: Infinity },
    });
    const basic = new PrometheusClient({ url: s.url, basicAuth: { username: 'ops', password: 'pw' } });
    await basic.query('1');
    expect(seen[0]).toMatchObject({ auth: 'Bearer tok', path: '/prometheus/api/v1/query', method: 'POST' });
    expect(new URLSearchParams(seen[0]!.body).get('time')).toBe('1700000000.5');
    expect(seen[1]!.auth).toBe(`Basic ${Buffer.from('ops:pw').toString('base64')}`);
    await bearer.close();
    await basic.close();
  });

  it('rejects a non-Prometheus answer and a malformed sample clearly', async () => {
    const s = await serve((req, res) => {
      if (req.url?.includes('query'))
        ok(res, { resultType: 'vector', result: [{ metric: {}, value: [1, 'abc'] }] });
      else res.writeHead(200, { 'content-type': 'text/html' }).end('<html>login</html>');
    });
    servers.push(s.server);
    const c = new PrometheusClient({ url: s.url });
    expect((await failure(c.alerts())).message).toMatch(/not a Prometheus API response: <html>login/);
    expect((await failure(c.query('x'))).message).toMatch(/unexpected sample value "abc"/);
    await c.close();
  });
});

describe.runIf(requireBinaries(['openssl']))('Prometheus client with a private CA', () => {
  let dir: string;
  let server: ReturnType<typeof createHttpsServer>;
  let url: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'oncall-prom-ca-'));
    selfSignedCert({
      keyFile: join(dir, 'key.pem'),
      certFile: join(dir, 'cert.pem'),
      cn: 'prom.test',
      days: 2,
      san: 'IP:127.0.0.1',
    });
    server = createHttpsServer(
      { key: readFileSync(join(dir, 'key.pem')), cert: readFileSync(join(dir, 'cert.pem')) },
      (_req, res) => ok(res, { alerts: [] }),
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `https://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails without the CA and works with caFile from the config', async () => {
    const plain = new PrometheusClient({ url, retries: 0 });
    const e = await failure(plain.alerts());
    expect(e.kind).toBe('connection');
    expect(e.message).toMatch(/self[- ]signed|unable to verify|SELF_SIGNED/i);
    await plain.close();
    writeFileSync(join(dir, 'token'), 'file-token\n');
    const port = await createPrometheusMetrics(
      configSchema.parse({
        prometheus: { url, caFile: join(dir, 'cert.pem'), bearerTokenFile: join(dir, 'token') },
        services: [{ name: 'a' }],
      }),
    );
    expect(await port.alerts(['a'])).toEqual([]);
    await port.close();
  });

  it('names the unreadable credential file', async () => {
    await expect(
      createPrometheusMetrics(
        configSchema.parse({
          prometheus: { url, bearerTokenFile: join(dir, 'missing-token') },
          services: [{ name: 'a' }],
        }),
      ),
    ).rejects.toThrow(/prometheus\.bearerTokenFile: cannot read .*missing-token: ENOENT/);
  });
});

describe.runIf(requireBinaries(['prometheus', 'promtool']))(
  'the metrics source through the store (real Prometheus)',
  () => {
    let prom: PrometheusServer;
    let exporter: Awaited<ReturnType<typeof serve>>;
    let proxy: Awaited<ReturnType<typeof serve>>;
    let mode: 'pass' | '500' | 'slow' = 'pass';
    let requests = 0;

    beforeAll(async () => {
      requests = 0;
      exporter = await serve((_req, res) => {
        requests += 10;
        res
          .writeHead(200, { 'content-type': 'text/plain' })
          .end(
            `# TYPE http_requests_total counter\nhttp_requests_total{service="web",code="200"} ${requests}\nhttp_requests_total{service="web",code="500"} 0\n`,
          );
      });
      const target = exporter.url.replace('http://', '');
      prom = await startPrometheus({ scrapeTargets: [{ job: 'web', targets: [target] }] });
      proxy = await serve((req, res, body) => {
        if (mode === '500') {
          res.writeHead(500, { 'content-type': 'text/plain' }).end('upstream exploded');
          return;
        }
        const forward = () => {
          const up = httpRequest(
            `${prom.url}${req.url}`,
            { method: req.method, headers: { ...req.headers, host: `127.0.0.1:${prom.port}` } },
            (r) => {
              res.writeHead(r.statusCode ?? 502, r.headers);
              r.pipe(res);
            },
          );
          up.on('error', (err) => res.writeHead(502).end(err.message));
          up.end(body);
        };
        if (mode === 'slow') {
          const t = setTimeout(forward, 3000);
          res.on('close', () => clearTimeout(t));
        } else forward();
      });
    }, 60_000);

    afterAll(async () => {
      await prom?.stop();
      for (const s of [exporter, proxy]) if (s) await close(s.server);
    });

    function setup(url: string) {
      const config = configSchema.parse({
        prometheus: { url, timeout: '1s' },
        services: [{ name: 'web', slo: { objective: 99.9, metric: 'http_requests_total' } }],
      });
      let t = Date.now();
      const now = () => t;
      const store = createAppStore({
        config,
        mode: 'live',
        readOnly: true,
        contextName: 'test',
        configured: { metrics: true },
        now: t,
      });
      return {
        config,
        store,
        tick: (ms: number) => (t += ms),
        now,
        start: async () => {
          const metrics = await createPrometheusMetrics(config, { retries: 1, backoffMs: 10 });
          const sources = startSources({
            store,
            ports: { metrics },
            config,
            now,
            intervals: { metricsMs: 3_600_000, clockMs: 3_600_000 },
          });
          return { metrics, sources };
        },
      };
    }

    it('marks metrics stale with the reason when Prometheus stops, and recovers when it returns', async () => {
      const env = setup(prom.url);
      const { metrics, sources } = await env.start();
      try {
        await sources.refreshNow();
        const good = env.store.getState().sources.metrics;
        expect(good.error).toBeNull();
        expect(good.updatedAt).toBe(env.now());
        expect(env.store.getState().slo.web).toBeDefined();

        await prom.kill();
        env.tick(90_000);
        await sources.refreshNow();
        const bad = env.store.getState().sources.metrics;
        expect(bad.error).toMatch(/ECONNREFUSED/);
        expect(bad.updatedAt).toBe(good.updatedAt);
        expect(staleness(env.store.getState(), env.now()).join(' ')).toMatch(
          /metrics: stale \dm — .*ECONNREFUSED/,
        );

        await prom.restart();
        env.tick(10_000);
        await sources.refreshNow();
        const back = env.store.getState().sources.metrics;
        expect(back.error).toBeNull();
        expect(back.updatedAt).toBe(env.now());
        expect(staleness(env.store.getState(), env.now())).toEqual([]);
      } finally {
        sources.stop();
        await metrics.close();
      }
    });

    it('500s and a response beyond the timeout mark it stale; it recovers when they stop', async () => {
      const env = setup(proxy.url);
      const { metrics, sources } = await env.start();
      try {
        mode = 'pass';
        await sources.refreshNow();
        expect(env.store.getState().sources.metrics.error).toBeNull();
        const firstOk = env.store.getState().sources.metrics.updatedAt;

        mode = '500';
        env.tick(60_000);
        await sources.refreshNow();
        expect(env.store.getState().sources.metrics.error).toMatch(
          /HTTP 500: upstream exploded \(after 2 attempts\)/,
        );

        mode = 'slow';
        env.tick(60_000);
        await sources.refreshNow();
        const slow = env.store.getState().sources.metrics;
        expect(slow.error).toMatch(/timed out after 1\.0s/);
        expect(slow.updatedAt).toBe(firstOk);
        expect(staleness(env.store.getState(), env.now()).join(' ')).toMatch(
          /metrics: stale \dm — .*timed out/,
        );

        mode = 'pass';
        env.tick(60_000);
        await sources.refreshNow();
        expect(env.store.getState().sources.metrics).toMatchObject({ error: null, updatedAt: env.now() });
      } finally {
        mode = 'pass';
        sources.stop();
        await metrics.close();
      }
    });
  },
);
