/**
 * The `:` command line: parsing and its errors (pure), and in the demo (sandbox world): `:` opens at the
 * bottom, Esc cancels, bad commands say why and change nothing, `:ctx` lists the sandbox's two simulated
 * contexts with the current one marked, switching asks first (y/N for staging, the typed name for a
 * production context; Esc cancels), the header and PRODUCTION banner follow, and `:ns` opens the Workloads
 * screen on the active context.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { parseCommand } from '../../src/screens/CommandLine.js';
import { parseConfigText } from '../../src/config/load.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

const headerLine = (f: string) => f.split('\n')[0] ?? '';

describe('parseCommand', () => {
  it.each([
    ['ctx', { kind: 'ctx-list' }],
    [':ctx', { kind: 'ctx-list' }],
    ['  context  ', { kind: 'ctx-list' }],
    ['ctx prod-eu1', { kind: 'ctx-switch', context: 'prod-eu1' }],
    [
      'ctx arn:aws:eks:eu-west-1:1:cluster/x',
      { kind: 'ctx-switch', context: 'arn:aws:eks:eu-west-1:1:cluster/x' },
    ],
    ['ns all', { kind: 'ns', namespace: null }],
    ['ns -A', { kind: 'ns', namespace: null }],
    ['ns payments', { kind: 'ns', namespace: 'payments' }],
    ['namespace kube-system', { kind: 'ns', namespace: 'kube-system' }],
  ])('%s', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it.each([
    ['', /no command typed \(commands: ctx, ctx NAME, ns NAME, ns all\)/],
    ['   ', /no command typed/],
    ['pods', /unknown command "pods" \(try ctx, ctx NAME, ns NAME, ns all\)/],
    ['ctx a b', /:ctx takes one context name, got 2: a b/],
    ['ns', /:ns needs a namespace name, or "all"/],
    ['ns a b', /:ns takes one namespace, got 2/],
    ['ns Payments', /invalid namespace "Payments": lowercase letters, digits and "-"/],
    ['ns -bad', /invalid namespace "-bad"/],
    [`ns ${'a'.repeat(64)}`, /invalid namespace/],
  ])('%j is refused with a clear message', (text, error) => {
    const r = parseCommand(text);
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(error);
  });
});

describe('command line in the demo (sandbox contexts)', () => {
  it('opens with :, Esc cancels, a bad command explains itself and changes nothing', async () => {
    const a = (app = await renderApp());
    await a.waitForFrame(/checkout-api/);
    await a.press(':');
    await a.waitForFrame(/^:█/m);
    expect(a.frame()).toContain('Enter run · Esc cancel · ctx, ctx NAME, ns NAME, ns all');
    await a.type('ctx');
    await a.waitForFrame(/^:ctx█/m);
    await a.press(KEYS.esc);
    await a.waitForFrame((f) => !f.includes(':ctx█') && f.includes('help'));
    expect(a.rt.store.getState().ui.stack).toEqual(['overview']);

    await a.press(':');
    await a.type('frobnicate now');
    await a.press(KEYS.enter);
    await a.waitForFrame('unknown command "frobnicate" (try ctx, ctx NAME, ns NAME, ns all)');
    expect(a.rt.store.getState().ui.stack).toEqual(['overview']);
    expect(a.rt.store.getState().contextName).toBe('sandbox-prod-eu1');

    await a.press(':');
    await a.type('ctx nowhere');
    await a.press(KEYS.enter);
    await a.waitForFrame(':ctx: unknown context "nowhere" (known: sandbox-prod-eu1, sandbox-staging-eu1)');
    expect(a.rt.store.getState().ui.contextSwitch ?? null).toBeNull();

    // Backspace edits; on an empty line it closes the command line.
    await a.press(':');
    await a.type('nx');
    await a.press(KEYS.backspace, KEYS.backspace);
    await a.waitForFrame(/^:█/m);
    await a.press(KEYS.backspace);
    await a.waitForFrame((f) => !/^:█/m.test(f));
    expect(a.rt.store.getState().ui.command ?? null).toBeNull();
  });

  it(':ctx lists the two sandbox contexts, switches with y/N to staging and with the typed name back to production', async () => {
    const a = (app = await renderApp());
    await a.waitForFrame(/checkout-api/);
    expect(headerLine(a.frame())).toMatch(/ctx sandbox-prod-eu1 \[PRODUCTION\] \[DEMO\]/);

    await a.press(':');
    await a.type('ctx');
    await a.press(KEYS.enter);
    const list = await a.waitForFrame('CONTEXTS (sandbox: simulated clusters)');
    expect(list).toMatch(/›\s+\*\s+sandbox-prod-eu1\s+PRODUCTION/);
    expect(list).toMatch(/^\s+sandbox-staging-eu1\s*$/m);

    // Enter on the staging row asks first; N cancels and nothing changes.
    await a.press('j', KEYS.enter);
    const ask = await a.waitForFrame('Switch Kubernetes context?');
    expect(ask).toMatch(/sandbox-prod-eu1 \[PRODUCTION\] → sandbox-staging-eu1/);
    expect(ask).toContain('Sandbox: both contexts are simulated; nothing real is reached.');
    expect(ask).toContain('Switch? y yes · N/Esc no');
    await a.press('n');
    await a.waitForFrame('context switch cancelled: still on sandbox-prod-eu1');
    expect(a.rt.store.getState().contextName).toBe('sandbox-prod-eu1');

    await a.press(KEYS.enter);
    await a.waitForFrame('Switch? y yes');
    await a.press('y');
    await a.waitForFrame('switched sandbox-prod-eu1 → sandbox-staging-eu1 (sandbox, simulated)');
    const after = a.frame();
    expect(headerLine(after)).toMatch(/ctx sandbox-staging-eu1 \[DEMO\]/);
    expect(headerLine(after)).not.toContain('PRODUCTION');
    expect(after).toMatch(/›\s+\*\s+sandbox-staging-eu1/);
    expect(a.rt.read.cluster!.contextName).toBe('sandbox-staging-eu1');

    // The Workloads view follows the active context: only the staging Deployment.
    await a.press(':');
    await a.type('ns all');
    await a.press(KEYS.enter);
    const staging = await a.waitForFrame(/DEPLOYMENTS · sandbox-staging-eu1 · all namespaces · 1\b/);
    expect(staging).toMatch(/search\s+search\s+complete\s+\d+\/\d+/);
    expect(staging).not.toContain('checkout-api');
    await a.press(KEYS.esc);

    // Back to production: the name must be typed; a wrong name does nothing; Esc cancels.
    await a.press(':');
    await a.type('ctx sandbox-prod-eu1');
    await a.press(KEYS.enter);
    await a.waitForFrame('Type sandbox-prod-eu1 to confirm (Esc cancels):');
    await a.press('y');
    await a.press(KEYS.enter);
    await a.waitForFrame('type sandbox-prod-eu1 exactly to switch (Esc cancels)');
    expect(a.rt.store.getState().contextName).toBe('sandbox-staging-eu1');
    await a.press(KEYS.esc);
    await a.waitForFrame('context switch cancelled: still on sandbox-staging-eu1');
    expect(headerLine(a.frame())).toMatch(/ctx sandbox-staging-eu1 \[DEMO\]/);

    await a.press(':');
    await a.type('ctx sandbox-prod-eu1');
    await a.press(KEYS.enter);
    await a.waitForFrame('Type sandbox-prod-eu1 to confirm');
    await a.type('sandbox-prod-eu1');
    await a.press(KEYS.enter);
    await a.waitForFrame('switched sandbox-staging-eu1 → sandbox-prod-eu1');
    expect(headerLine(a.frame())).toMatch(/ctx sandbox-prod-eu1 \[PRODUCTION\] \[DEMO\]/);
  });

  it(':ns NAME shows that namespace only; help lists the commands', async () => {
    const a = (app = await renderApp());
    await a.waitForFrame(/checkout-api/);
    await a.press(':');
    await a.type('ns payments');
    await a.press(KEYS.enter);
    const f = await a.waitForFrame(/DEPLOYMENTS · sandbox-prod-eu1 · namespace payments · 2\b/);
    expect(f).toMatch(/payments\s+checkout-api\s+\w+/);
    expect(f).toMatch(/payments\s+payments-worker\s+complete\s+2\/2\s+1\.9\.0\s+2/);
    expect(f).not.toMatch(/identity\s+accounts/);
    await a.press('?');
    const help = await a.waitForFrame('KEYS on workloads');
    expect(help).toContain(':ctx NAME');
    expect(help).toContain(':ns all');
  });

  it('without Kubernetes, the commands are shown disabled with the reason', async () => {
    const config = parseConfigText(
      `
services:
  - name: ledger
    container: {label: "app=ledger"}
`,
      'nok8s.yaml',
    );
    const a = (app = await renderApp({ config, rows: 40 }));
    await a.waitForFrame('ledger');
    await a.press('?');
    const help = await a.waitForFrame('KEYS on overview');
    expect(help).toMatch(/:ns all\s+Every Deployment[\s\S]*disabled: no Kubernetes configured/);
    await a.press(KEYS.esc);
    await a.press(':');
    await a.type('ns all');
    await a.press(KEYS.enter);
    await a.waitForFrame(':ns: no Kubernetes configured (no service has a kubernetes: section)');
    expect(a.rt.store.getState().ui.stack).toEqual(['overview']);
  });
});
