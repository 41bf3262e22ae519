/**
 * Endpoint probes: 200 live TLS endpoints (200 listeners in a child process, OpenSSL-made certificates,
 * one SNI name each) probed as one batch through the certificate probe, next to what an operator does by
 * hand — a loop of `openssl s_client` over the same 200 endpoints — measured in the same run. Also a batch
 * where 10 of the 200 accept TCP and never answer the handshake: it must cost about one timeout, not ten.
 * And 200 HTTP health endpoints (JSON bodies with named checks) as one batch next to a `curl` loop.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { missingBinaries } from '../../test/helpers/backend.js';
import { createPki, type Pki } from '../../test/helpers/pki.js';
import { createCertProbe } from '../../src/adapters/certs/index.js';
import { createHealthProbe } from '../../src/adapters/health/index.js';
import { serviceSchema, type CertificateConfig } from '../../src/config/schema.js';
import type { BenchRow, BenchSuite } from '../types.js';

const GROUP = 'probes';
const ENDPOINTS = 200;
const HANGING = 10;
const RUNS = 3;
const NAMES = ['app', 'warn', 'soon', 'expired', 'wrong', 'shortint'];

// The servers run in their own process so their handshake work does not share the prober's event loop.
const SERVER_SCRIPT = `
const tls = require('tls'), net = require('net'), fs = require('fs'), path = require('path');
const [pki, count, hanging] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const f = (n) => fs.readFileSync(path.join(pki, n));
const ctx = new Map();
for (const n of ${JSON.stringify(NAMES)}) ctx.set(n, tls.createSecureContext({ key: f(n + '.key'), cert: f(n + '.chain.pem') }));
const listen = (srv) => new Promise((r) => srv.listen(0, '127.0.0.1', () => r(srv.address().port)));
(async () => {
  const ports = [], hangPorts = [];
  for (let i = 0; i < count; i++) {
    const srv = tls.createServer({ key: f('self.key'), cert: f('self.crt'),
      SNICallback: (name, cb) => cb(null, ctx.get(name.split('.')[0])) }, (s) => { s.on('error', () => {}); s.end(); });
    srv.on('tlsClientError', () => {});
    ports.push(await listen(srv));
  }
  for (let i = 0; i < hanging; i++) hangPorts.push(await listen(net.createServer((s) => s.on('error', () => {}))));
  const body = JSON.stringify({ status: 'ok', checks: { database: 'ok', cache: 'degraded', queue: 'ok' } });
  const httpPorts = [];
  for (let i = 0; i < count; i++)
    httpPorts.push(await listen(require('http').createServer((q, r) => {
      r.writeHead(200, { 'content-type': 'application/json' }); r.end(body); })));
  process.stdout.write(JSON.stringify({ ports, hangPorts, httpPorts }) + '\\n');
})();
`;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function startServers(
  pki: Pki,
): Promise<{ child: ChildProcess; ports: number[]; hangPorts: number[]; httpPorts: number[] }> {
  const child = spawn(process.execPath, ['-e', SERVER_SCRIPT, pki.dir, String(ENDPOINTS), String(HANGING)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    const rl = createInterface({ input: child.stdout! });
    rl.once('line', resolve);
    child.once('exit', (code) => reject(new Error(`TLS server process exited (${code}) before listening`)));
  });
  const parsed = JSON.parse(line) as { ports: number[]; hangPorts: number[]; httpPorts: number[] };
  return { child, ...parsed };
}

function curl(url: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn('curl', ['-s', '--max-time', '3', url], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('exit', () => resolve(out));
  });
}

function sClient(port: number, name: string, caFile: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      'openssl',
      ['s_client', '-connect', `127.0.0.1:${port}`, '-servername', name, '-CAfile', caFile, '-showcerts'],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    );
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.once('error', reject);
    p.once('exit', () => resolve(out));
  });
}

export const probes: BenchSuite = {
  name: 'probes',
  async run(): Promise<BenchRow[]> {
    const missing = missingBinaries(['openssl']);
    if (missing.length)
      return [
        {
          group: GROUP,
          measure: 'skipped',
          value: NaN,
          unit: '',
          note: `missing ${missing.join(', ')} — bash scripts/install-test-backends.sh`,
        },
      ];
    const pki = createPki();
    const servers = await startServers(pki);
    try {
      const entries: CertificateConfig[] = servers.ports.map((port, i) => ({
        host: '127.0.0.1',
        port,
        sni: `${NAMES[i % NAMES.length]}.test`,
        caFile: pki.caFile,
      }));
      const config = { services: [serviceSchema.parse({ name: 'bench' })] };
      const probe = createCertProbe({ config, concurrency: 32, timeoutMs: 1000 });
      await probe.probe('bench', entries.slice(0, 10), Date.now()); // warm-up (code paths, CA file cache)

      const batch: number[] = [];
      let leaves = 0;
      for (let r = 0; r < RUNS; r++) {
        const t0 = performance.now();
        const views = await probe.probe('bench', entries, Date.now());
        batch.push(performance.now() - t0);
        leaves = views.filter((v) => v.chainPosition === 0).length;
      }
      if (leaves !== ENDPOINTS) throw new Error(`expected ${ENDPOINTS} leaf certificates, got ${leaves}`);

      const withHanging = [
        ...entries,
        ...servers.hangPorts.map((port, i) => ({ host: '127.0.0.1', port, sni: `hang${i}.test` })),
      ];
      const t1 = performance.now();
      const hv = await probe.probe('bench', withHanging, Date.now());
      const hangMs = performance.now() - t1;
      const timeouts = hv.filter((v) => v.error?.startsWith('timeout:')).length;

      const loop: number[] = [];
      for (let r = 0; r < 2; r++) {
        const t0 = performance.now();
        let ok = 0;
        for (let i = 0; i < entries.length; i++) {
          const out = await sClient(servers.ports[i]!, `${NAMES[i % NAMES.length]}.test`, pki.caFile);
          if (out.includes('-----BEGIN CERTIFICATE-----')) ok++;
        }
        loop.push(performance.now() - t0);
        if (ok !== ENDPOINTS) throw new Error(`openssl s_client got ${ok} of ${ENDPOINTS} certificates`);
      }
      const b = median(batch);
      const l = median(loop);

      // HTTP health: 200 endpoints with JSON checks, one batch (fresh connections each run) vs a curl loop.
      const urls = servers.httpPorts.map((port) => `http://127.0.0.1:${port}/health/`);
      const healthBatch: number[] = [];
      let degraded = 0;
      for (let r = 0; r < RUNS; r++) {
        const hp = createHealthProbe({ concurrency: 32 });
        const t0 = performance.now();
        const res = await hp.probe(
          'bench',
          urls.map((url) => ({ url, timeout: '3s', followRedirects: false })),
        );
        healthBatch.push(performance.now() - t0);
        degraded = res.filter(
          (x) => x.state === 'warning' && x.checks.some((c) => c.name === 'cache' && !c.ok),
        ).length;
        await hp.close();
      }
      if (degraded !== ENDPOINTS) throw new Error(`expected ${ENDPOINTS} degraded results, got ${degraded}`);
      const t2 = performance.now();
      let curlOk = 0;
      for (const url of urls) if ((await curl(url)).includes('"cache":"degraded"')) curlOk++;
      const curlMs = performance.now() - t2;
      if (curlOk !== ENDPOINTS) throw new Error(`curl got ${curlOk} of ${ENDPOINTS} bodies`);
      const hb = median(healthBatch);

      return [
        {
          group: GROUP,
          measure: `${ENDPOINTS} HTTP health endpoints, one batch (pool 32)`,
          value: hb,
          unit: 'ms',
          baseline: { label: `curl loop ×${ENDPOINTS}`, value: curlMs },
          ratio: hb / curlMs,
          target: '< 1× the curl loop',
          pass: hb < curlMs,
          note: `median of ${RUNS} batches (new connections each), JSON checks parsed; one curl loop`,
        },
        {
          group: GROUP,
          measure: `${ENDPOINTS} TLS endpoints, one batch (pool 32)`,
          value: b,
          unit: 'ms',
          baseline: { label: `openssl s_client loop ×${ENDPOINTS}`, value: l },
          ratio: b / l,
          target: '< 1× the s_client loop',
          pass: b < l,
          note: `median of ${RUNS} batches, every chain certificate parsed; s_client median of 2 loops`,
        },
        {
          group: GROUP,
          measure: `${ENDPOINTS} + ${HANGING} hanging handshakes (1 s timeout)`,
          value: hangMs,
          unit: 'ms',
          baseline: { label: `${ENDPOINTS}-endpoint batch`, value: b },
          ratio: hangMs / b,
          target: `< batch + 2 × timeout (not + ${HANGING} × timeout)`,
          pass: timeouts === HANGING && hangMs < b + 2000,
          note: `${timeouts} of ${HANGING} reported as timeouts`,
        },
      ];
    } finally {
      servers.child.kill('SIGTERM');
      pki.cleanup();
    }
  },
};
