/**
 * The composite certificate probe: each configured entry goes to its source (live TLS against real servers,
 * the PEM bundle of a kubernetes.io/tls Secret through the cluster port, metrics through the metrics port),
 * levels use the service's thresholds, and 200 live endpoints run through one bounded pool.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinaries } from '../helpers/backend.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { startHangingServer, startSniServer, type RunningServer } from '../helpers/tls-server.js';
import { createCertProbe } from '../../src/adapters/certs/index.js';
import { serviceSchema, type CertificateConfig } from '../../src/config/schema.js';
import type { ClusterReadPort } from '../../src/adapters/ports.js';

/**
 * A cluster read port holding Secrets the way the API server returns them (base64 `data`), whose
 * readTlsSecret does what the real adapter must: type check, decode tls.crt, never touch tls.key.
 */
function clusterWithSecrets(
  secrets: Record<string, { type: string; data: Record<string, string> }>,
  seen: unknown[] = [],
): ClusterReadPort {
  const unsupported = () => Promise.reject(new Error('not used by the certificate probe'));
  return {
    kind: 'cluster',
    contextName: 'test',
    watch: () => () => undefined,
    get: unsupported,
    canI: unsupported,
    close: async () => undefined,
    async readTlsSecret(ref) {
      seen.push(ref);
      const s = secrets[`${ref.namespace}/${ref.name}`];
      if (!s) throw new Error(`secrets "${ref.name}" not found`);
      if (s.type !== 'kubernetes.io/tls') throw new Error(`type is ${s.type}, not kubernetes.io/tls`);
      const crt = s.data['tls.crt'];
      if (!crt) throw new Error('no tls.crt key');
      return { certPem: Buffer.from(crt, 'base64').toString('utf8') };
    },
  };
}

const b64 = (s: string) => Buffer.from(s).toString('base64');

describe.runIf(requireBinaries(['openssl']))('composite certificate probe', () => {
  let pki: Pki;
  let sni: RunningServer;
  let hanging: RunningServer;

  beforeAll(async () => {
    pki = createPki();
    sni = await startSniServer(pki);
    hanging = await startHangingServer();
  });
  afterAll(async () => {
    await Promise.all([sni?.close(), hanging?.close()]);
    pki?.cleanup();
  });

  const tlsEntry = (name: string): CertificateConfig => ({
    host: '127.0.0.1',
    port: sni.port,
    sni: `${name}.test`,
    caFile: pki.caFile,
  });
  const config = (extra: Record<string, unknown> = {}) => ({
    services: [
      serviceSchema.parse({ name: 'web', certThresholds: { warnDays: 100, criticalDays: 25 }, ...extra }),
      serviceSchema.parse({
        name: 'api',
        kubernetes: { context: 'prod', namespace: 'shop', deployment: 'api' },
      }),
    ],
  });

  it('live TLS entries: levels follow the service thresholds (web: warn ≤ 100 d, critical ≤ 25 d)', async () => {
    const probe = createCertProbe({ config: config() });
    const entries = ['app', 'warn', 'soon', 'expired'].map(tlsEntry);
    const web = await probe.probe('web', entries, pki.now);
    const leaves = web.filter((v) => v.chainPosition === 0);
    expect(leaves.map((v) => [v.subject, v.daysLeft, v.level])).toEqual([
      ['CN=app.test', 90, 'warning'],
      ['CN=warn.test', 20, 'critical'],
      ['CN=soon.test', 3, 'critical'],
      ['CN=expired.test', -30, 'critical'],
    ]);
    const api = await probe.probe('api', entries, pki.now);
    expect(api.filter((v) => v.chainPosition === 0).map((v) => v.level)).toEqual([
      'ok',
      'warning',
      'critical',
      'critical',
    ]);
  });

  it('a missing caFile is reported on that entry only', async () => {
    const probe = createCertProbe({ config: config() });
    const views = await probe.probe(
      'api',
      [
        { host: '127.0.0.1', port: sni.port, sni: 'app.test', caFile: `${pki.dir}/missing.crt` },
        tlsEntry('app'),
      ],
      pki.now,
    );
    expect(views[0]).toMatchObject({ level: 'unknown', error: `caFile ${pki.dir}/missing.crt: ENOENT` });
    expect(views[1]).toMatchObject({ subject: 'CN=app.test', level: 'ok' });
  });

  it('kubernetes.io/tls Secrets: every certificate of the bundle, the key never read', async () => {
    const seen: unknown[] = [];
    const cluster = clusterWithSecrets(
      {
        'shop/api-tls': {
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(pki.leaves.soon!.chain), 'tls.key': b64(pki.leaves.soon!.key) },
        },
        'shop/reversed': {
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(pki.intCert + pki.leaves.app!.cert), 'tls.key': b64('x') },
        },
        'shop/self': {
          type: 'kubernetes.io/tls',
          data: { 'tls.crt': b64(pki.leaves.self!.cert + pki.leaves.self!.key) },
        },
        'shop/garbage': { type: 'kubernetes.io/tls', data: { 'tls.crt': b64('not a certificate') } },
      },
      seen,
    );
    const probe = createCertProbe({ config: config(), cluster: () => cluster });
    const views = await probe.probe(
      'api',
      [
        { secret: { namespace: 'shop', name: 'api-tls' } },
        { secret: { namespace: 'shop', name: 'reversed' } },
        { secret: { namespace: 'shop', name: 'self' } },
        { secret: { namespace: 'shop', name: 'garbage' } },
        { secret: { namespace: 'shop', name: 'gone' } },
      ],
      pki.now,
    );
    expect(seen[0]).toEqual({ context: 'prod', namespace: 'shop', name: 'api-tls' });
    expect(views.map((v) => [v.name, v.source, v.subject, v.daysLeft, v.level, v.problems, v.error])).toEqual(
      [
        ['secret shop/api-tls', 'kubernetes-secret', 'CN=soon.test', 3, 'critical', [], undefined],
        [
          'secret shop/api-tls [1] test intermediate',
          'kubernetes-secret',
          'CN=test intermediate',
          1825,
          'ok',
          [],
          undefined,
        ],
        [
          'secret shop/reversed',
          'kubernetes-secret',
          'CN=test intermediate',
          1825,
          'ok',
          ['chain order: "CN=test intermediate" is not signed by the next certificate "CN=app.test"'],
          undefined,
        ],
        ['secret shop/reversed [1] app.test', 'kubernetes-secret', 'CN=app.test', 90, 'ok', [], undefined],
        ['secret shop/self', 'kubernetes-secret', 'CN=self.test', 30, 'warning', ['self-signed'], undefined],
        [
          'secret shop/garbage',
          'kubernetes-secret',
          '',
          0,
          'unknown',
          ['Secret shop/garbage: Secret shop/garbage tls.crt: no "BEGIN CERTIFICATE" block found'],
          'Secret shop/garbage: Secret shop/garbage tls.crt: no "BEGIN CERTIFICATE" block found',
        ],
        [
          'secret shop/gone',
          'kubernetes-secret',
          '',
          0,
          'unknown',
          ['Secret shop/gone: secrets "gone" not found'],
          'Secret shop/gone: secrets "gone" not found',
        ],
      ],
    );
    expect(JSON.stringify(views)).not.toContain('PRIVATE KEY');
  });

  it('sources that are not there are named per entry', async () => {
    const probe = createCertProbe({ config: config() });
    const views = await probe.probe(
      'api',
      [
        { secret: { namespace: 'shop', name: 'api-tls' } },
        { metric: 'probe_ssl_earliest_cert_expiry{instance="x"}', name: 'x' },
      ],
      pki.now,
    );
    expect(views.map((v) => [v.name, v.level, v.error])).toEqual([
      ['secret shop/api-tls', 'unknown', 'no Kubernetes cluster is configured or reachable'],
      ['x', 'unknown', 'no Prometheus is configured'],
    ]);
  });

  it('200 endpoints in one bounded pool; hanging handshakes are cut off as timeouts', async () => {
    const probe = createCertProbe({ config: config(), concurrency: 16, timeoutMs: 500 });
    const names = ['app', 'warn', 'soon', 'expired', 'wrong', 'self', 'shortint'];
    const entries: CertificateConfig[] = Array.from({ length: 200 }, (_, i) =>
      i % 40 === 39
        ? { host: '127.0.0.1', port: hanging.port, sni: `h${i}.test` }
        : tlsEntry(names[i % names.length]!),
    );
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, probe.limiter.active)), 1);
    const views = await probe.probe('api', entries, pki.now);
    clearInterval(sampler);
    const leaves = views.filter((v) => v.chainPosition === 0 || v.error);
    expect(leaves).toHaveLength(200);
    const timeouts = views.filter((v) => v.error?.startsWith('timeout: TLS handshake'));
    expect(timeouts).toHaveLength(5);
    expect(leaves.filter((v) => v.subject === 'CN=warn.test').every((v) => v.daysLeft === 20)).toBe(true);
    expect(peak).toBeLessThanOrEqual(16);
    expect(peak).toBeGreaterThan(1);
    expect(probe.limiter.active).toBe(0);
    expect(probe.limiter.waiting).toBe(0);
  });
});
