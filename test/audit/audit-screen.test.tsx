/**
 * The audit trail as the operator meets it: a sandbox rollback whose file `oncall audit verify` accepts,
 * the Audit screen (chain state, filter, inspect), and procedures an earlier session left unfinished.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { SandboxWorld, DEMO_START } from '../../src/sandbox/world.js';
import { createAuditLog } from '../../src/audit/log.js';
import { main } from '../../src/cli/main.js';
import type { AuditRecord } from '../../src/audit/record.js';

let app: RenderedApp | null = null;
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await app?.cleanup();
  app = null;
  for (const c of cleanups.splice(0)) c();
});

async function cli(argv: string[]) {
  let out = '';
  let err = '';
  const code = await main(argv, {
    stdout: (s) => (out += s),
    stderr: (s) => (err += s),
    env: {},
    cwd: tmpdir(),
  });
  return { code, out, err };
}

const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);

describe('a rollback in the sandbox, then the trail', () => {
  it('`oncall audit verify` reports OK, the Audit screen shows the chain and filters, the timeline has it', async () => {
    app = await renderApp({ columns: 160, rows: 34, env: { ONCALL_INCIDENT: 'INC-7' } });
    await app.waitForFrame((f) => /›\s*checkout-api\s+CRIT/.test(f), { advanceMs: 2000 });
    await app.press(KEYS.enter);
    await app.waitForFrame('ROLLOUT');
    await app.press('r');
    await app.waitForFrame('Roll back to which revision?');
    await app.press(KEYS.enter);
    await app.waitForFrame('Type checkout-api to confirm');
    await app.type('checkout-api');
    await app.press(KEYS.enter);
    await app.waitForFrame('DONE: verified', { advanceMs: 1000, timeoutMs: 20_000 });

    const v = await cli(['audit', 'verify', '--file', app.auditFile]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(/^OK: .*audit\.jsonl: \d+ records, seq 1–\d+, chain intact/);
    const recs = records(app.auditFile);
    const started = recs.find((r) => r.procedure === 'rollback' && r.step === 'started')!;
    expect(started).toMatchObject({
      incidentId: 'INC-7',
      confirmation: 'checkout-api',
      context: 'sandbox-prod-eu1',
      namespace: 'payments',
      actor: { pid: process.pid, host: hostname() },
    });
    expect(started.preview!.join('\n')).toContain('registry.example.test/checkout-api:2.13.2');

    await app.press(KEYS.esc);
    await app.waitForFrame((f) => !f.includes('DONE: verified'));
    await app.press('a');
    const screen = await app.waitForFrame('chain: ✓ OK');
    expect(screen).toMatch(/rollback\s+checkout-api\s+started\s+pending/);
    expect(screen).toMatch(/rollback\s+checkout-api\s+finished\s+success/);
    expect(screen).toContain('no unfinished procedures');
    // Newest is selected: its details (who, where) are at the bottom.
    expect(screen).toMatch(/seq \d+ · id [0-9a-f]{8} · op [0-9a-f]{8}/);

    await app.press('/');
    await app.type('finished success');
    await app.press(KEYS.enter);
    const filtered = await app.waitForFrame(/filter: finished success · 1 of \d+ records/);
    expect(filtered).not.toMatch(/rollback\s+checkout-api\s+started/);
    await app.press('/', KEYS.esc);
    await app.waitForFrame('filter: (none, / to set)');

    const t = await cli(['audit', 'timeline', '--incident', 'INC-7', '--file', app.auditFile]);
    expect(t.code).toBe(0);
    expect(t.out).toContain('# Incident INC-7: audit timeline');
    // The Kubernetes Event about the change is a best-effort note: "posted", not "did not finish".
    expect(t.out).toMatch(/\| rollback:announce checkout-api: .*\| posted \|/);
    expect(t.out).not.toContain('did not finish');
    expect(t.out).toMatch(/\| rollback checkout-api: rev 7 .* → rev 6 .*\| checkout-api \| success \(/);
  });
});

function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', '0']);
  return r.pid as number;
}

async function seedStarted(file: string, at: number, pid: number, procedure = 'rollback') {
  const log = createAuditLog({
    file,
    actor: { user: 'alice', sshClient: '127.0.0.1 52144', host: hostname(), pid },
    version: 'test',
    mode: 'demo',
    now: () => at,
  });
  const rec = await log.append({
    procedure,
    step: 'started',
    service: 'checkout-api',
    target: 'sandbox-prod-eu1/payments/checkout-api',
    outcome: 'pending',
    preview: ['rev 7 → rev 6'],
    confirmation: 'checkout-api',
  });
  await log.close();
  return rec;
}

describe('procedures an earlier session did not finish', () => {
  it('are shown at start-up (banner + Audit screen), can be inspected and closed with a record', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-unfinished-'));
    const auditFile = join(dir, 'audit.jsonl');
    const started = await seedStarted(auditFile, DEMO_START - 3 * 60_000, deadPid());
    app = await renderApp({ world: new SandboxWorld(), auditFile, columns: 160, rows: 34 });
    const banner = await app.waitForFrame('did not finish');
    expect(banner).toContain(
      `⚠ rollback of checkout-api started 3 min ago by alice@${hostname()} did not finish — inspect? (a: audit)`,
    );

    await app.press('a');
    await app.waitForFrame('chain: ✓ OK');
    await app.press('i');
    const inspected = await app.waitForFrame(`operation ${started.id.slice(0, 8)} only (i: all)`);
    expect(inspected).toContain('x close unfinished');
    expect(inspected).toContain('saw: rev 7 → rev 6 · typed "checkout-api"');
    await app.press('x');
    await app.waitForFrame('no unfinished procedures');
    expect(app.frame()).not.toContain('did not finish');
    const closing = records(auditFile).at(-1)!;
    expect(closing).toMatchObject({ step: 'finished', outcome: 'interrupted', operationId: started.id });
    expect(closing.detail).toMatch(/^closed after inspection by \S+: the session that started it \(alice@/);
    expect((await cli(['audit', 'verify', '--file', auditFile])).code).toBe(0);
  });

  it('one still running in another live process is "still running", not abandoned, and has no banner', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-unfinished-'));
    const auditFile = join(dir, 'audit.jsonl');
    const other = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
    cleanups.push(() => other.kill('SIGKILL'));
    await seedStarted(auditFile, DEMO_START - 60_000, other.pid!);
    app = await renderApp({ world: new SandboxWorld(), auditFile, columns: 160, rows: 34 });
    await app.press('a');
    const f = await app.waitForFrame(`is still running (pid ${other.pid})`);
    expect(f).not.toContain('did not finish');
    expect(f).not.toContain('⚠');
  });
});
