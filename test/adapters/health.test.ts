/**
 * HTTP health probes (undici) against real HTTP/HTTPS servers on 127.0.0.1: 200 with named checks, 503,
 * hanging responses, malformed JSON, huge bodies (bounded read), control characters in check names,
 * redirects, TLS verification with and without a CA file, and bounded concurrency.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { createHealthProbe } from '../../src/adapters/health/index.js';
import { requireBinaries } from '../helpers/backend.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { serviceSchema } from '../../src/config/schema.js';
import { createAppStore } from '../../src/state/store.js';
import { startSources } from '../../src/state/sources.js';

type Ep = Parameters<ReturnType<typeof createHealthProbe>['probe']>[1][number];
const ep = (url: string, extra: Partial<Ep> = {}): Ep => ({
  url,
  timeout: '2s',
  followRedirects: false,
  ...extra,
});

interface HugeStats {
  bytesWritten: number;
  finished: boolean;
  closed: Promise<void>;
}

describe('HTTP health probe (real HTTP server)', () => {
  let server: http.Server;
  let base: string;
  let inFlight = 0;
  let maxInFlight = 0;
  let huge: HugeStats | null = null;
  const held: http.ServerResponse[] = [];

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const json = (code: number, body: unknown) => {
        res.writeHead(code, { 'content-type': 'application/json' });
        res.end(typeof body === 'string' ? body : JSON.stringify(body));
      };
      switch (req.url) {
        case '/health/':
          return json(200, { status: 'ok', checks: { database: 'ok', cache: 'degraded' } });
        case '/healthz':
          res.writeHead(200, { 'content-type': 'text/plain' });
          return res.end('ok');
        case '/all-ok':
          return json(200, { status: 'ok', checks: { database: 'ok', cache: { status: 'ok' } } });
        case '/down':
          return json(503, { status: 'fail', checks: { database: 'down', cache: 'ok' } });
        case '/spring':
          return json(200, {
            status: 'UP',
            components: { db: { status: 'UP' }, diskSpace: { status: 'DOWN' } },
          });
        case '/ietf':
          return json(200, {
            status: 'pass',
            checks: { 'db:responseTime': [{ status: 'pass' }, { status: 'warn' }] },
          });
        case '/malformed':
          return json(200, '{"status": "ok", "checks": {"database": ');
        case '/control':
          return json(200, {
            status: 'ok',
            checks: {
              '\u001b[31mdatabase\u001b[0m': 'ok',
              'ca\u0007che\r\n': 'degraded',
              '\u001b]52;c;ZXZpbA==\u0007queue': 'fail\u001b[2J',
            },
          });
        case '/redirect':
          res.writeHead(302, { location: '/health/' });
          return res.end();
        case '/hang':
          held.push(res);
          return; // never answers
        case '/stall-body':
          res.writeHead(200, { 'content-type': 'application/json' });
          res.write('{"status":');
          held.push(res);
          return;
        case '/huge': {
          const stats: HugeStats = { bytesWritten: 0, finished: false, closed: Promise.resolve() };
          stats.closed = new Promise((r) => res.on('close', () => r()));
          res.on('finish', () => (stats.finished = true));
          huge = stats;
          res.writeHead(200, { 'content-type': 'application/json' });
          const chunk = Buffer.alloc(64 * 1024, 'a');
          const total = 50 * 1024 * 1024;
          const pump = () => {
            while (stats.bytesWritten < total) {
              stats.bytesWritten += chunk.length;
              if (!res.write(chunk)) return void res.once('drain', pump);
            }
            res.end();
          };
          res.write('{"status":"ok","pad":"');
          pump();
          return;
        }
        case '/count':
          inFlight++;
          maxInFlight = Math.max(maxInFlight, inFlight);
          setTimeout(() => {
            inFlight--;
            json(200, { status: 'ok' });
          }, 20);
          return;
        default:
          res.writeHead(404);
          res.end();
      }
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    for (const r of held) r.destroy();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  it('200 with JSON checks: the degraded check is named, state warning, latency measured', async () => {
    const probe = createHealthProbe({ now: () => 1234 });
    const [r] = await probe.probe('accounts', [ep(`${base}/health/`, { name: 'health' })]);
    expect(r).toMatchObject({
      name: 'health',
      state: 'warning',
      statusCode: 200,
      at: 1234,
      checks: [
        { name: 'database', status: 'ok', ok: true },
        { name: 'cache', status: 'degraded', ok: false },
      ],
    });
    expect(r!.error).toBeUndefined();
    expect(r!.latencyMs).toBeGreaterThanOrEqual(0);
    await probe.close();
  });

  it('plain 200 is ok; all-ok checks are ok; Spring and IETF shapes are understood', async () => {
    const probe = createHealthProbe();
    const [plain, allOk, spring, ietf] = await probe.probe('svc', [
      ep(`${base}/healthz`),
      ep(`${base}/all-ok`),
      ep(`${base}/spring`),
      ep(`${base}/ietf`),
    ]);
    expect(plain).toMatchObject({ state: 'ok', statusCode: 200, checks: [] });
    expect(allOk!.state).toBe('ok');
    expect(allOk!.checks.map((c) => c.name)).toEqual(['database', 'cache']);
    expect(spring).toMatchObject({
      state: 'critical',
      checks: [
        { name: 'db', status: 'UP', ok: true },
        { name: 'diskSpace', status: 'DOWN', ok: false },
      ],
    });
    expect(ietf).toMatchObject({
      state: 'warning',
      checks: [{ name: 'db:responseTime', status: 'warn', ok: false }],
    });
    await probe.close();
  });

  it('503 is critical, with the failing check named and the HTTP status as the error', async () => {
    const probe = createHealthProbe();
    const [r] = await probe.probe('svc', [ep(`${base}/down`)]);
    expect(r).toMatchObject({
      state: 'critical',
      statusCode: 503,
      error: 'HTTP 503',
      checks: [
        { name: 'database', status: 'down', ok: false },
        { name: 'cache', status: 'ok', ok: true },
      ],
    });
    await probe.close();
  });

  it('a server that never answers, or stalls mid-body, times out at the endpoint deadline', async () => {
    const probe = createHealthProbe();
    const started = Date.now();
    const [hang, stall, fine] = await probe.probe('svc', [
      ep(`${base}/hang`, { timeout: '0.3s' }),
      ep(`${base}/stall-body`, { timeout: '0.3s' }),
      ep(`${base}/healthz`),
    ]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(hang).toMatchObject({ state: 'critical', error: 'timeout after 300 ms' });
    expect(stall).toMatchObject({ state: 'critical', error: 'timeout after 300 ms' });
    expect(fine!.state).toBe('ok');
    await probe.close();
  });

  it('malformed JSON is reported, not thrown', async () => {
    const probe = createHealthProbe();
    const [r] = await probe.probe('svc', [ep(`${base}/malformed`)]);
    expect(r!.state).toBe('warning');
    expect(r!.statusCode).toBe(200);
    expect(r!.error).toMatch(/^malformed JSON body: /);
    await probe.close();
  });

  it('a huge body is read only up to the bound, then the connection is dropped', async () => {
    const probe = createHealthProbe({ maxBodyBytes: 64 * 1024 });
    const [r] = await probe.probe('svc', [ep(`${base}/huge`)]);
    expect(r).toMatchObject({
      state: 'warning',
      statusCode: 200,
      error: 'body larger than 65536 bytes: read stopped, not parsed',
    });
    await huge!.closed;
    expect(huge!.finished).toBe(false);
    expect(huge!.bytesWritten).toBeLessThan(50 * 1024 * 1024);
    await probe.close();
  });

  it('control characters and escape sequences are stripped from check names and statuses', async () => {
    const probe = createHealthProbe();
    const [r] = await probe.probe('svc', [ep(`${base}/control`)]);
    expect(r!.checks).toEqual([
      { name: 'database', status: 'ok', ok: true },
      { name: 'cache', status: 'degraded', ok: false },
      { name: 'queue', status: 'fail', ok: false },
    ]);
    expect(r!.state).toBe('critical');
    expect(JSON.stringify(r)).not.toMatch(/[\u0000-\u001f\u007f-\u009f]/);
    await probe.close();
  });

  it('redirects are not followed unless followRedirects is set', async () => {
    const probe = createHealthProbe();
    const [kept, followed] = await probe.probe('svc', [
      ep(`${base}/redirect`),
      ep(`${base}/redirect`, { followRedirects: true }),
    ]);
    expect(kept).toMatchObject({
      state: 'warning',
      statusCode: 302,
      error: 'redirect HTTP 302 to /health/ not followed (followRedirects: false)',
    });
    expect(followed).toMatchObject({ state: 'warning', statusCode: 200 });
    expect(followed!.checks.map((c) => `${c.name}=${c.status}`)).toEqual(['database=ok', 'cache=degraded']);
    await probe.close();
  });

  it('connection refused is critical', async () => {
    const probe = createHealthProbe();
    const closed = http.createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((r) => closed.close(r));
    const [r] = await probe.probe('svc', [ep(`http://127.0.0.1:${port}/healthz`)]);
    expect(r).toMatchObject({ state: 'critical', error: 'connection refused' });
    await probe.close();
  });

  it('bounded concurrency: 60 endpoints, never more than 8 requests in flight, all answered', async () => {
    const probe = createHealthProbe({ concurrency: 8 });
    maxInFlight = 0;
    const results = await probe.probe(
      'svc',
      Array.from({ length: 60 }, (_, i) => ep(`${base}/count`, { name: `e${i}` })),
    );
    expect(results.map((r) => r.state)).toEqual(Array(60).fill('ok'));
    expect(maxInFlight).toBeLessThanOrEqual(8);
    expect(maxInFlight).toBeGreaterThan(1);
    await probe.close();
  });

  it('through the source loop: results and the latency history land in the store', async () => {
    const svc = serviceSchema.parse({
      name: 'accounts',
      health: [{ url: `${base}/health/`, name: 'health' }],
    });
    const config = { readOnly: true, services: [svc] } as Parameters<typeof createAppStore>[0]['config'];
    const store = createAppStore({
      config,
      mode: 'live',
      readOnly: true,
      contextName: 'test',
      configured: { health: true },
      now: Date.now(),
    });
    const probe = createHealthProbe();
    const loop = startSources({
      store,
      ports: { health: probe },
      config,
      now: Date.now,
      intervals: { healthMs: 60_000, clockMs: 60_000 },
    });
    await loop.refreshNow();
    await loop.refreshNow();
    loop.stop();
    const s = store.getState();
    expect(s.health.accounts![0]!.checks.find((c) => !c.ok)?.name).toBe('cache');
    expect(s.healthLatency.accounts!.length).toBeGreaterThanOrEqual(2);
    expect(s.sources.health.error).toBeNull();
    await probe.close();
  });
});

describe.runIf(requireBinaries(['openssl']))('HTTP health probe over TLS (OpenSSL certificates)', () => {
  let pki: Pki;
  let good: https.Server;
  let expired: https.Server;
  const urlOf = (s: https.Server) => `https://127.0.0.1:${(s.address() as AddressInfo).port}/healthz`;

  beforeAll(async () => {
    pki = createPki();
    const handler: http.RequestListener = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"status":"ok"}');
    };
    good = https.createServer({ key: pki.leaves.app!.key, cert: pki.leaves.app!.chain }, handler);
    expired = https.createServer({ key: pki.leaves.expired!.key, cert: pki.leaves.expired!.chain }, handler);
    await Promise.all([good, expired].map((s) => new Promise<void>((r) => s.listen(0, '127.0.0.1', r))));
  });
  afterAll(async () => {
    for (const s of [good, expired]) {
      s?.closeAllConnections();
      await new Promise((r) => s?.close(r));
    }
    pki?.cleanup();
  });

  it('verifies TLS against the configured CA file; without it or with an expired cert it is critical', async () => {
    const probe = createHealthProbe();
    const [trusted, untrusted, old] = await probe.probe('svc', [
      ep(urlOf(good), { caFile: pki.caFile }),
      ep(urlOf(good)),
      ep(urlOf(expired), { caFile: pki.caFile }),
    ]);
    expect(trusted).toMatchObject({ state: 'ok', statusCode: 200 });
    expect(untrusted!.state).toBe('critical');
    expect(untrusted!.error).toMatch(
      /^TLS: .*\((UNABLE_TO_GET_ISSUER_CERT_LOCALLY|UNABLE_TO_VERIFY_LEAF_SIGNATURE)\)$/,
    );
    expect(old).toMatchObject({
      state: 'critical',
      error: 'TLS: certificate has expired (CERT_HAS_EXPIRED)',
    });
    await probe.close();
  });

  it('a missing CA file is a clear error for that endpoint', async () => {
    const probe = createHealthProbe();
    const [r] = await probe.probe('svc', [ep(urlOf(good), { caFile: `${pki.dir}/nope.crt` })]);
    expect(r).toMatchObject({ state: 'unknown', error: `caFile ${pki.dir}/nope.crt: ENOENT` });
    await probe.close();
  });
});
