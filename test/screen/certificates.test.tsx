/**
 * The Certificates screen: 'c' from the Overview lists every certificate soonest first with source, chain
 * problems and runbook. Once over the sandbox, once in live mode over the real adapters (real TLS servers
 * with OpenSSL certificates), where `status --json` must say the same.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { renderApp, KEYS, type RenderedApp } from '../helpers/render-app.js';
import { requireBinaries } from '../helpers/backend.js';
import { createPki, type Pki } from '../helpers/pki.js';
import { startHangingServer, startSniServer, type RunningServer } from '../helpers/tls-server.js';
import { configSchema } from '../../src/config/schema.js';
import { statusJson } from '../../src/cli/status.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

describe('Certificates screen', () => {
  it("demo: 'c' lists every certificate soonest first; arrows select; Esc goes back", async () => {
    app = await renderApp();
    await app.waitForFrame('c certs');
    await app.press('c');
    const f = await app.waitForFrame('CERTIFICATES (5)');
    const rows = f
      .split('\n')
      .filter((l) => /\S+\.example\.test:\d+/.test(l) && /\b(OK|WARN|CRIT)\b/.test(l));
    expect(rows.map((l) => /(\S+)\.example\.test:\d+/.exec(l)![1])).toEqual([
      'orders-db',
      'search',
      'hooks',
      'checkout',
      'accounts',
    ]);
    expect(rows[0]).toMatch(/\b5d\s+CRIT\b/);
    expect(rows[1]).toMatch(/\b21d\s+WARN\b/);
    expect(f).toContain('CN=orders-db.example.test');
    await app.press(KEYS.down);
    await app.waitForFrame('CN=search.example.test');
    await app.press(KEYS.esc);
    await app.waitForFrame((fr) => fr.includes('SERVICE') && !fr.includes('CERTIFICATES'));
  });
});

describe.runIf(requireBinaries(['openssl']))('Certificates screen over real TLS servers (live mode)', () => {
  let pki: Pki;
  let sni: RunningServer;
  let refusedPort: number;

  beforeAll(async () => {
    pki = createPki();
    sni = await startSniServer(pki);
    const closed = await startHangingServer();
    refusedPort = closed.port;
    await closed.close();
  });
  afterAll(async () => {
    await sni?.close();
    pki?.cleanup();
  });

  it('shows unreadable first, then soonest expiry, chain problems and the runbook; status --json agrees', async () => {
    const tlsEntry = (n: string) => ({
      host: '127.0.0.1',
      port: sni.port,
      sni: `${n}.test`,
      caFile: pki.caFile,
    });
    const config = configSchema.parse({
      readOnly: true,
      services: [
        {
          name: 'web',
          runbook: 'https://runbooks.example.test/web#certificates',
          certificates: [tlsEntry('app'), tlsEntry('wrong'), { host: '127.0.0.1', port: refusedPort }],
        },
        { name: 'api', certificates: [tlsEntry('expired'), tlsEntry('shortint')] },
      ],
    });
    app = await renderApp({
      mode: 'live',
      config,
      readOnly: true,
      readOnlyReason: 'config readOnly',
      columns: 120,
      rows: 40,
    });
    await app.press('c');
    const f = await app.waitForFrame(/CERTIFICATES \(\d+\)/);
    const body = f.split('\n').filter((l) => /^\s*[›\s] (web|api)\s/.test(l));
    // The clock is real and a little after the certificates were made: every count is one below nominal.
    const p = sni.port;
    // Columns may be cut with "…" at this width: compare service, name start, days, level, problem start.
    const cells = body.map((l) => {
      const m = /^[›\s]*(\S+)\s+(.+?)\s+tls\s+(\S+)\s+(\S+)\s+(.*)$/.exec(l)!;
      return [m[1], m[2]!.replace(/\s+/g, ' ').trim(), m[3], m[4], m[5]!.trim()];
    });
    const expected = [
      ['web', `127.0.0.1:${refusedPort}`, 'ERR', '?', 'unreadable'],
      ['api', `expired.test@127.0.0.1:${p}`, 'EXP-31', 'CRIT', 'expired'],
      ['api', '[1] test short intermediate (shortint.test@', '9d', 'WARN', '–'],
      ['api', `shortint.test@127.0.0.1:${p}`, '89d', 'OK', '–'],
      ['web', `app.test@127.0.0.1:${p}`, '89d', 'OK', '–'],
      ['web', `wrong.test@127.0.0.1:${p}`, '89d', 'OK', 'hostname mismatch: "wrong.test"'],
      ['api', '[1] test intermediate (expired.test@', '1824d', 'OK', '–'],
      ['web', '[1] test intermediate (app.test@', '1824d', 'OK', '–'],
      ['web', '[1] test intermediate (wrong.test@', '1824d', 'OK', '–'],
      ['api', '[2] test root (expired.test@', '3649d', 'OK', '–'],
      ['api', '[2] test root (shortint.test@', '3649d', 'OK', '–'],
      ['web', '[2] test root (app.test@', '3649d', 'OK', '–'],
      ['web', '[2] test root (wrong.test@', '3649d', 'OK', '–'],
    ];
    expect(cells).toHaveLength(expected.length);
    cells.forEach((c, i) => {
      const [svc, name, days, level, problem] = expected[i]!;
      expect([c[0], c[2], c[3]]).toEqual([svc, days, level]);
      expect(c[1]).toMatch(new RegExp(`^${name!.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(c[4]!.startsWith(problem!) || problem!.startsWith(c[4]!.replace(/…$/, ''))).toBe(true);
    });
    expect(f).toContain(`could not be read — connection refused by 127.0.0.1:${refusedPort}`);
    expect(f).toContain('runbook https://runbooks.example.test/web#certificates');

    // Select the hostname-mismatch row: its details name the problem.
    for (let i = 0; i < 5; i++) await app.press(KEYS.down);
    await app.waitForFrame('problems: hostname mismatch: "wrong.test" is not in DNS:other.example');

    const status = statusJson(app.rt.store.getState());
    const web = status.services.find((s) => s.name === 'web')!;
    expect(web.certs[0]).toMatchObject({
      name: `127.0.0.1:${refusedPort}`,
      source: 'tls',
      level: 'unknown',
      notAfter: null,
      daysLeft: null,
      error: `connection refused by 127.0.0.1:${refusedPort}`,
    });
    expect(web.state).toBe('unknown');
    expect(web.reasons).toContain(
      `cert 127.0.0.1:${refusedPort} unreadable: connection refused by 127.0.0.1:${refusedPort}`,
    );
    const app0 = web.certs.find((c) => c.name === `app.test@127.0.0.1:${sni.port}`)!;
    expect(app0).toMatchObject({
      source: 'tls',
      daysLeft: 89,
      level: 'ok',
      notAfter: new Date(pki.leaves.app!.notAfter).toISOString(),
      chainPosition: 0,
      problems: [],
    });
    const api = status.services.find((s) => s.name === 'api')!;
    expect(api.state).toBe('critical');
    expect(api.reasons).toContain(`cert expired.test@127.0.0.1:${sni.port} expired`);
    expect(api.certs[0]).toMatchObject({ daysLeft: -31, level: 'critical', problems: ['expired'] });
  });
});
