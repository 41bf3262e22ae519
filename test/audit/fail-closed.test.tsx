/**
 * Fail-closed: when the record that must precede a mutation cannot be written, the mutation does not happen
 * (asserted at the backend: the sandbox world's `mutations` list) and the operator sees why.
 *
 * Tests run as root, so chmod cannot make a directory unwritable. The unwritable audit directory is a path
 * under a regular FILE (mkdir/open fail with ENOTDIR for every user, root included). A lock held by another
 * live writer past the configured timeout is the second case.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});

const flat = (f: string) => f.replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');

/** The non-production rollback (y/N), to the point where pressing y acts. */
async function confirmSearchRollback(a: RenderedApp) {
  await a.press('/');
  await a.type('search');
  await a.press(KEYS.enter, KEYS.enter, 'r', KEYS.enter);
  await a.waitForFrame('Apply this change? [y/N]');
  await a.press('y');
}

describe('the audit record cannot be written → nothing changes', () => {
  it('audit directory unusable (a path under a regular file: ENOTDIR, even for root)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-failclosed-'));
    writeFileSync(join(dir, 'plain-file'), 'not a directory\n');
    const auditFile = join(dir, 'plain-file', 'audit', 'audit.jsonl');
    app = await renderApp({ auditFile, columns: 160, rows: 30 });
    await confirmSearchRollback(app);
    const f = flat(await app.waitForFrame('REFUSED'));
    expect(f).toContain('nothing was changed');
    expect(f).toMatch(/refused: audit log .*audit\.jsonl could not be written: ENOTDIR/);
    expect(app.world!.mutations).toEqual([]);
    // The deployment still runs what it ran.
    expect(flat(app.frame())).not.toContain('DONE');
  });

  it('another writer holds the lock past the timeout: refused, named, nothing written or changed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-failclosed-'));
    const auditFile = join(dir, 'audit.jsonl');
    // A live holder (this very process) that just took the lock.
    writeFileSync(`${auditFile}.lock`, `${process.pid} ${hostname()} ${Date.now()}\n`);
    const config = { ...demoConfig(), audit: { maxSizeMiB: 16, lockTimeout: '1s' } };
    app = await renderApp({ auditFile, config, columns: 160, rows: 30 });
    await confirmSearchRollback(app);
    const f = flat(await app.waitForFrame('REFUSED'));
    expect(f).toMatch(/audit lock .*audit\.jsonl\.lock not acquired within 1000 ms \(held by pid \d+/);
    expect(app.world!.mutations).toEqual([]);
    expect(existsSync(auditFile)).toBe(false);
  });

  it('the same rollback with a writable audit file does change the target (the control case)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-failclosed-'));
    app = await renderApp({ auditFile: join(dir, 'audit.jsonl'), columns: 160, rows: 30 });
    await confirmSearchRollback(app);
    await app.waitForFrame(/DONE|FAILED/, { advanceMs: 1000, timeoutMs: 20_000 });
    expect(app.world!.mutations.map((m) => m.kind)).toContain('rollback');
  });
});
