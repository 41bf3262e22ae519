/**
 * Live TLS probe against real TLS servers on 127.0.0.1 serving OpenSSL-made certificates with exact dates.
 * The probe gets the PKI's clock (`pki.now`), so days and levels are exact.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinaries } from '../helpers/backend.js';
import { createPki, DAY_MS, type Pki } from '../helpers/pki.js';
import {
  startHangingServer,
  startSingleServer,
  startSniServer,
  type RunningServer,
} from '../helpers/tls-server.js';
import { probeTls } from '../../src/adapters/tls/index.js';
import type { CertView } from '../../src/domain/model.js';

describe.runIf(requireBinaries(['openssl']))('live TLS probe (real servers, OpenSSL certificates)', () => {
  let pki: Pki;
  let sni: RunningServer;
  let leafOnly: RunningServer;
  let hanging: RunningServer & { accepted: () => number };

  beforeAll(async () => {
    pki = createPki();
    sni = await startSniServer(pki);
    leafOnly = await startSingleServer(pki, 'warn', { leafOnly: true });
    hanging = await startHangingServer();
  });
  afterAll(async () => {
    await Promise.all([sni?.close(), leafOnly?.close(), hanging?.close()]);
    pki?.cleanup();
  });

  const probe = (name: string, extra: Partial<Parameters<typeof probeTls>[1]> = {}) =>
    probeTls(
      { host: '127.0.0.1', port: sni.port, sni: `${name}.test`, ca: pki.caCert },
      { now: pki.now, timeoutMs: 5000, ...extra },
    );
  const summary = (v: CertView) => ({ daysLeft: v.daysLeft, level: v.level, problems: v.problems });

  it('a 90-day leaf: full chain leaf → intermediate → root, each with its own expiry, no problems', async () => {
    const views = await probe('app');
    expect(views.map((v) => v.subject)).toEqual(['CN=app.test', 'CN=test intermediate', 'CN=test root']);
    expect(views.map((v) => v.chainPosition)).toEqual([0, 1, 2]);
    expect(views.map(summary)).toEqual([
      { daysLeft: 90, level: 'ok', problems: [] },
      { daysLeft: 1825, level: 'ok', problems: [] },
      { daysLeft: 3650, level: 'ok', problems: [] },
    ]);
    const leaf = views[0]!;
    expect(leaf.name).toBe(`app.test@127.0.0.1:${sni.port}`);
    expect(leaf.source).toBe('tls');
    expect(leaf.issuer).toBe('CN=test intermediate');
    expect(leaf.sans).toEqual(['DNS:app.test', 'IP:127.0.0.1']);
    expect(leaf.notAfter).toBe(pki.leaves.app!.notAfter);
    expect(leaf.notBefore).toBe(pki.leaves.app!.notBefore);
    expect(leaf.serial).toMatch(/^[0-9A-F]+$/);
    expect(views[1]!.name).toBe(`app.test@127.0.0.1:${sni.port} [1] test intermediate`);
  });

  it('levels and days for 20 d (warning), 3 d (critical) and expired (critical), same port by SNI', async () => {
    const [warn, soon, expired] = await Promise.all([probe('warn'), probe('soon'), probe('expired')]);
    expect(summary(warn[0]!)).toEqual({ daysLeft: 20, level: 'warning', problems: [] });
    expect(summary(soon[0]!)).toEqual({ daysLeft: 3, level: 'critical', problems: [] });
    expect(summary(expired[0]!)).toEqual({ daysLeft: -30, level: 'critical', problems: ['expired'] });
    expect(warn[0]!.notAfter - pki.now).toBe(20 * DAY_MS);
  });

  it('days follow the injected clock (rounded down), and per-service thresholds change the level', async () => {
    const later = await probe('app', { now: pki.now + 12 * 3600_000 });
    expect(summary(later[0]!)).toEqual({ daysLeft: 89, level: 'ok', problems: [] });
    const strict = await probe('app', { thresholds: { warnDays: 100, criticalDays: 90 } });
    expect(strict[0]!.level).toBe('critical');
    const loose = await probe('warn', { thresholds: { warnDays: 14, criticalDays: 2 } });
    expect(loose[0]!.level).toBe('ok');
    const edge = await probe('warn', { now: pki.now - 10 * DAY_MS });
    expect(summary(edge[0]!)).toEqual({ daysLeft: 30, level: 'warning', problems: ['not yet valid'] });
  });

  it('flags a hostname mismatch (still reports the expiry)', async () => {
    const views = await probe('wrong');
    expect(views[0]!.subject).toBe('CN=other.example');
    expect(views[0]!.daysLeft).toBe(90);
    expect(views[0]!.problems).toEqual(['hostname mismatch: "wrong.test" is not in DNS:other.example']);
  });

  it('flags a self-signed leaf, 30 days left is a warning', async () => {
    const views = await probe('self');
    expect(views).toHaveLength(1);
    expect(summary(views[0]!)).toEqual({ daysLeft: 30, level: 'warning', problems: ['self-signed'] });
  });

  it('an intermediate that expires before the leaf is reported at its own level', async () => {
    const views = await probe('shortint');
    expect(views.map((v) => [v.subject, v.daysLeft, v.level])).toEqual([
      ['CN=shortint.test', 90, 'ok'],
      ['CN=test short intermediate', 10, 'warning'],
      ['CN=test root', 3650, 'ok'],
    ]);
  });

  it('flags an incomplete chain (server sends the leaf without its intermediate)', async () => {
    const views = await probeTls(
      { host: '127.0.0.1', port: leafOnly.port, ca: pki.caCert },
      { now: pki.now },
    );
    expect(views).toHaveLength(1);
    expect(summary(views[0]!)).toEqual({
      daysLeft: 20,
      level: 'warning',
      problems: [
        'incomplete chain: the server sent no issuer for "CN=warn.test" (missing "CN=test intermediate")',
      ],
    });
  });

  it('without the private CA the chain ends at an untrusted issuer', async () => {
    const views = await probeTls({ host: '127.0.0.1', port: sni.port, sni: 'app.test' }, { now: pki.now });
    expect(views.map((v) => v.subject)).toEqual(['CN=app.test', 'CN=test intermediate']);
    expect(views[0]!.problems).toEqual([
      'incomplete chain: "CN=test root" (issuer of "CN=test intermediate") was neither sent nor trusted',
    ]);
  });

  it('a full chain up to a root that is not trusted is flagged as an untrusted root', async () => {
    const full = await startSingleServer(pki, 'app', { withRoot: true });
    try {
      const views = await probeTls({ host: '127.0.0.1', port: full.port }, { now: pki.now });
      expect(views.map((v) => v.subject)).toEqual(['CN=app.test', 'CN=test intermediate', 'CN=test root']);
      expect(views[0]!.problems).toEqual(['untrusted root: "CN=test root"']);
      const trusted = await probeTls(
        { host: '127.0.0.1', port: full.port, ca: pki.caCert },
        { now: pki.now },
      );
      expect(trusted[0]!.problems).toEqual([]);
    } finally {
      await full.close();
    }
  });

  it('no SNI: the IP is checked against the default certificate', async () => {
    const views = await probeTls({ host: '127.0.0.1', port: sni.port, ca: pki.caCert }, { now: pki.now });
    expect(views[0]!.subject).toBe('CN=self.test');
    expect(views[0]!.name).toBe(`127.0.0.1:${sni.port}`);
    expect(views[0]!.problems).toEqual(['self-signed']);
  });

  it('a server that accepts TCP and never finishes the handshake is reported as a timeout', async () => {
    const started = Date.now();
    const [hung, ok] = await Promise.all([
      probeTls({ host: '127.0.0.1', port: hanging.port, sni: 'app.test' }, { now: pki.now, timeoutMs: 400 }),
      probe('app'),
    ]);
    expect(Date.now() - started).toBeLessThan(4000);
    expect(hanging.accepted()).toBeGreaterThanOrEqual(1);
    expect(hung).toHaveLength(1);
    expect(hung[0]!.level).toBe('unknown');
    expect(hung[0]!.error).toBe(
      `timeout: TLS handshake with 127.0.0.1:${hanging.port} did not complete within 400 ms (TCP connected)`,
    );
    expect(ok[0]!.level).toBe('ok');
  });

  it('a refused connection is reported, not thrown', async () => {
    const closed = await startHangingServer();
    const port = closed.port;
    await closed.close();
    const views = await probeTls({ host: '127.0.0.1', port }, { now: pki.now, timeoutMs: 2000 });
    expect(views[0]!.error).toBe(`connection refused by 127.0.0.1:${port}`);
    expect(views[0]!.level).toBe('unknown');
  });
});
