/**
 * `oncall status --json` for 200 services against local servers, next to a shell loop that asks the same
 * servers the same questions one service at a time with kubectl, curl and openssl (what an operator's
 * script does today). Servers, all on 127.0.0.1:
 *  - the Kubernetes protocol fake (test/fakes/kube-apiserver, HTTPS, token auth) with 200 Deployments;
 *  - one HTTP health server (/svc-NNN/healthz);
 *  - one TLS server with a certificate from a private CA (test/helpers/pki.ts, OpenSSL);
 *  - a minimal Prometheus HTTP API (/api/v1/query, query_range, alerts) answering empty results: the
 *    request pattern is the real one, the server does no PromQL work (the prometheus suite measures that
 *    against a real Prometheus).
 */
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from '../types.js';
import { benchEnv, median, snapshotDist } from '../pty.js';
import { writeConfig } from '../fixtures/config.js';
import { startFakeApiServer } from '../../test/fakes/kube-apiserver/index.js';
import { createPki } from '../../test/helpers/pki.js';
import { startSingleServer } from '../../test/helpers/tls-server.js';

const N = Number(process.env.BENCH_STATUS_SERVICES ?? 200);
const name = (i: number) => `svc-${String(i).padStart(3, '0')}`;

function listen(server: Server): Promise<number> {
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });
}

function promServer(): Server {
  let requests = 0;
  const s = createServer((req, res) => {
    requests++;
    const url = new URL(req.url ?? '/', 'http://127.0.0.1');
    let data: unknown = { resultType: 'vector', result: [] };
    if (url.pathname === '/api/v1/query_range') data = { resultType: 'matrix', result: [] };
    else if (url.pathname === '/api/v1/alerts') data = { alerts: [] };
    else if (url.pathname !== '/api/v1/query') {
      res.writeHead(404).end();
      return;
    }
    res
      .writeHead(200, { 'content-type': 'application/json' })
      .end(JSON.stringify({ status: 'success', data }));
  });
  (s as Server & { requests: () => number }).requests = () => requests;
  return s;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ ms: number; out: string; code: number }> {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0 && code !== 1 && code !== 2)
        reject(new Error(`${cmd} exited ${code}: ${err.slice(0, 300)}`));
      else resolve({ ms: performance.now() - t, out, code: code ?? -1 });
    });
  });
}

export const status: BenchSuite = {
  name: 'status',
  async run(): Promise<BenchRow[]> {
    const root = snapshotDist();
    const dir = mkdtempSync(join(tmpdir(), 'oncall-bench-status-'));
    const kube = await startFakeApiServer({ readyDelayMs: 0 });
    const pki = createPki();
    const tlsServer = await startSingleServer(pki, 'app');
    const health = createServer((req, res) => {
      res.writeHead(/^\/svc-\d+\/healthz$/.test(req.url ?? '') ? 200 : 404, {
        'content-type': 'application/json',
      });
      res.end('{"status":"ok"}');
    });
    const prom = promServer();
    try {
      const healthPort = await listen(health);
      const promPort = await listen(prom);
      for (let i = 0; i < N; i++) {
        const labels = { app: name(i) };
        kube.create({
          apiVersion: 'apps/v1',
          kind: 'Deployment',
          metadata: { name: name(i), namespace: 'default', labels },
          spec: {
            replicas: 1,
            selector: { matchLabels: labels },
            template: {
              metadata: { labels },
              spec: { containers: [{ name: 'app', image: `registry.local/${name(i)}:1.0` }] },
            },
          },
        });
      }
      await kube.waitForRollouts({ namespace: 'default', timeoutMs: 60_000 });
      const kubeconfig = kube.kubeconfig('viewer', { context: 'bench', namespace: 'default' });
      const tlsPort = tlsServer.port;
      const { file: config } = writeConfig(
        N,
        {
          prometheus: `http://127.0.0.1:${promPort}`,
          health: (i) => `http://127.0.0.1:${healthPort}/${name(i)}/healthz`,
          tls: () => ({ host: '127.0.0.1', port: tlsPort, sni: 'app.test', caFile: pki.caFile }),
          kubeconfig,
          dockerHost: `unix://${join(dir, 'none.sock')}`,
          context: 'bench',
        },
        { kubernetes: true, health: true, slo: true, certs: true },
      );
      const env = benchEnv({ XDG_STATE_HOME: dir, XDG_CACHE_HOME: join(dir, 'cache') });

      // oncall: warm-up once (code and config caches, as any second run), then 5 timed runs.
      const bin = join(root, 'dist', 'oncall.cjs');
      await run('node', [bin, '--config', config, 'status', '--json'], env);
      const oncallMs: number[] = [];
      let last = '';
      for (let i = 0; i < 5; i++) {
        const r = await run('node', [bin, '--config', config, 'status', '--json'], env);
        oncallMs.push(r.ms);
        last = r.out;
      }
      const report = JSON.parse(last) as {
        sources: Record<string, { updatedAt: string | null; error: string | null }>;
        services: unknown[];
      };
      const sourceErrors = Object.entries(report.sources)
        .filter(([, v]) => v.error)
        .map(([k, v]) => `${k}: ${v.error}`);

      // The shell loop: the same questions, one service after another.
      const script = join(dir, 'status.sh');
      writeFileSync(
        script,
        [
          'set -u',
          `for i in $(seq 0 ${N - 1}); do`,
          '  n=$(printf "svc-%03d" "$i")',
          `  kubectl --kubeconfig ${kubeconfig} --context bench -n default get deployment "$n" -o jsonpath='{.status.availableReplicas}/{.spec.replicas}' >/dev/null`,
          `  curl -s -o /dev/null -m 3 -w '%{http_code}' "http://127.0.0.1:${healthPort}/$n/healthz" >/dev/null`,
          `  curl -s -m 5 -G "http://127.0.0.1:${promPort}/api/v1/query" --data-urlencode "query=sum(rate(http_requests_total{service=\\"$n\\",code=~\\"5..\\"}[1h]))/sum(rate(http_requests_total{service=\\"$n\\"}[1h]))" >/dev/null`,
          `  openssl s_client -connect 127.0.0.1:${tlsPort} -servername app.test -CAfile ${pki.caFile} </dev/null 2>/dev/null | openssl x509 -noout -enddate >/dev/null`,
          'done',
          '',
        ].join('\n'),
      );
      const shell = await run('bash', [script], env);
      const ratio = median(oncallMs) / shell.ms;
      return [
        {
          group: 'status',
          measure: `oncall status --json, ${N} services (kubernetes, health, SLO, certificate each)`,
          value: median(oncallMs),
          unit: 'ms',
          baseline: { label: 'shell loop: kubectl + curl + openssl per service', value: shell.ms },
          ratio,
          target: '≤ 0.2× shell loop',
          pass: ratio <= 0.2 && sourceErrors.length === 0 && report.services.length === N,
          note:
            `median of 5 (caches warm); ${report.services.length} services reported` +
            (sourceErrors.length
              ? `; SOURCE ERRORS: ${sourceErrors.join('; ')}`
              : '; every source answered') +
            `; the Prometheus stand-in answers empty results (${(prom as Server & { requests: () => number }).requests()} requests)`,
        },
      ];
    } finally {
      health.close();
      prom.close();
      await tlsServer.close();
      await kube.stop();
      pki.cleanup();
    }
  },
};
