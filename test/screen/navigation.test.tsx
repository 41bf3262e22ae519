import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { keyBytes } from '../helpers/keys.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

describe('Overview', () => {
  it('lists every service worst first with the header, and j/k move the selection', async () => {
    app = await renderApp();
    // Data arrives from several sources: wait until the worst service has settled on top.
    const f = await app.waitForFrame(/›\s*orders-db\s+CRIT/);
    const rows = f.split('\n');
    expect(rows[0]).toMatch(/^oncall ctx sandbox-prod-eu1 \[PRODUCTION\] \[DEMO\]/);
    const order = rows
      .filter((r) => /^[› ] \S/.test(r) && !/SERVICE/.test(r))
      .map((r) => r.slice(2).split(/\s+/)[0]);
    expect(order[0]).toBe('orders-db'); // critical (certificate in 5 days) before the still-developing incident
    expect(order).toHaveLength(6);
    expect(order.indexOf('webhooks')).toBeGreaterThan(order.indexOf('search'));
    await app.press('j');
    await app.waitForFrame(new RegExp(`›\\s*${order[1]}`));
    await app.press('k');
    await app.waitForFrame(new RegExp(`›\\s*${order[0]}`));
  });

  it('/ filters by name, Esc clears', async () => {
    app = await renderApp();
    await app.press('/');
    await app.type('ledg');
    const f = await app.waitForFrame('filter: ledg█');
    expect(f).toMatch(/›\s*ledger/);
    expect(f).not.toContain('webhooks');
    await app.press(KEYS.esc);
    await app.waitForFrame((x) => x.includes('webhooks') && x.includes('ledger'));
  });

  it('a filter that matches nothing says so', async () => {
    app = await renderApp();
    await app.press('/');
    await app.type('zzz');
    await app.waitForFrame('no service matches "zzz"');
  });

  it('a failing source is shown as stale with the reason, and recovers', async () => {
    app = await renderApp();
    const metrics = app.rt.read.metrics!;
    const original = metrics.sloRatios.bind(metrics);
    metrics.sloRatios = async () => {
      throw new Error('connect ECONNREFUSED 127.0.0.1:9090 (token=abc123secret)');
    };
    const stale = await app.waitForFrame(
      /metrics: stale 2m — connect ECONNREFUSED 127\.0\.0\.1:9090 \(token=\[REDACTED\]\)/,
      { advanceMs: 10_000 },
    );
    expect(stale).not.toContain('abc123secret');
    metrics.sloRatios = original;
    await app.waitForFrame('all sources fresh', { advanceMs: 1000 });
  });
});

describe('Help and Audit', () => {
  it('? shows every binding of the screen it was opened from, with disabled reasons', async () => {
    app = await renderApp({ readOnly: true, readOnlyReason: 'read-only mode (--read-only)' });
    await app.press('?');
    const f = await app.waitForFrame('KEYS on overview');
    expect(f).toContain('Open the selected service');
    expect(f).toMatch(/^r\s+Roll .*\n\s+disabled: read-only mode \(--read-only\)$/m);
    // Longer than the screen: it scrolls, and says where you are.
    expect(f).toMatch(/lines 1–\d+ of \d+ · j\/k, PgDn\/PgUp scroll/);
    await app.press(keyBytes('pagedown'), keyBytes('pagedown'), keyBytes('pagedown'));
    const scrolled = await app.waitForFrame(/lines (?!1–)\d+–\d+ of/);
    expect(scrolled).toContain(':ns all');
    await app.press(KEYS.esc);
    await app.waitForFrame((x) => !x.includes('KEYS on'));
  });

  it('a shows the audit records, newest first', async () => {
    app = await renderApp();
    await app.press('a');
    await app.waitForFrame('no audit records yet');
  });
});

describe('terminal size', () => {
  it('below 80×24 the screen says so instead of drawing a broken layout', async () => {
    app = await renderApp({ columns: 70, rows: 24 });
    await app.waitForFrame('terminal too small (need 80×24, have 70×24)');
  });
});
