/**
 * A full disk, for real: a 64 KiB tmpfs (tests run as root; where mounting is not permitted the suite says so
 * and is skipped). The record that would not fit is not left half-written, the rollback is refused and the
 * sandbox target is untouched.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog } from '../../src/audit/log.js';
import { verifyAuditFile } from '../../src/audit/verify.js';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';

let mnt = '';
function tryMount(): boolean {
  mnt = mkdtempSync(join(tmpdir(), 'oncall-fulldisk-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', mnt], { stdio: 'pipe' });
    return true;
  } catch (err) {
    console.warn(
      `SKIPPED full-disk tests: cannot mount a tmpfs here (${(err as Error).message.split('\n')[0]})`,
    );
    rmSync(mnt, { recursive: true, force: true });
    return false;
  }
}
const canMount = process.getuid?.() === 0 && tryMount();

let app: RenderedApp | null = null;
afterEach(async () => {
  await app?.cleanup();
  app = null;
});
afterAll(() => {
  if (!canMount) return;
  execFileSync('umount', [mnt]);
  rmSync(mnt, { recursive: true, force: true });
});

/** Fill the filesystem until less than `leave` bytes are free. */
function fill(dir: string, leave: number) {
  const filler = join(dir, `filler-${Date.now()}`);
  writeFileSync(filler, '');
  const chunk = Buffer.alloc(512, 0x61);
  for (;;) {
    try {
      writeFileSync(filler, chunk, { flag: 'a' });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOSPC') break;
      throw err;
    }
  }
  // Give back a little, so the next record fits only partly.
  const size = statSync(filler).size;
  writeFileSync(filler, Buffer.alloc(Math.max(0, size - leave), 0x61));
  return filler;
}

describe.runIf(canMount)('a full disk', () => {
  beforeAll(() => {
    expect(execFileSync('df', ['-k', mnt], { encoding: 'utf8' })).toContain('tmpfs');
  });

  it('the append rejects with ENOSPC, the partial record is cut back, the chain stays valid', async () => {
    const dir = join(mnt, 'a');
    const file = join(dir, 'audit.jsonl');
    const log = createAuditLog({
      file,
      actor: { user: 'alice', sshClient: null, host: 'h', pid: process.pid },
      version: 't',
      mode: 'live',
    });
    const input = (preview: string[]) => ({
      procedure: 'rollback',
      step: 'started' as const,
      service: 'checkout-api',
      target: 't',
      outcome: 'pending' as const,
      preview,
    });
    await log.append(input(['small']));
    // About one free page: the record (~13 KB) is written in part (a short write), then ENOSPC.
    const filler = fill(mnt, 6000);
    const before = readFileSync(file);
    const big = Array.from({ length: 40 }, (_, i) => `line ${i} ${'rollout step ok '.repeat(20)}`);
    const err = await log.append(input(big)).catch((e: Error) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as Error).message).toMatch(/audit log .* could not be written: .*ENOSPC/);
    expect(readFileSync(file)).toEqual(before);
    expect(verifyAuditFile(file)).toMatchObject({ ok: true, records: 1 });
    rmSync(filler);
    expect((await log.append(input(['after space was freed']))).seq).toBe(2);
    expect(verifyAuditFile(file)).toMatchObject({ ok: true, records: 2 });
  });

  it('a torn tail stays exactly as it was when the recovering write fails, and is recovered later', async () => {
    const dir = join(mnt, 'c');
    const file = join(dir, 'audit.jsonl');
    const log = createAuditLog({
      file,
      actor: { user: 'bob', sshClient: null, host: 'h', pid: process.pid },
      version: 't',
      mode: 'live',
    });
    const input = (preview: string[]) => ({
      procedure: 'scale',
      step: 'started' as const,
      service: 'ledger',
      target: 't',
      outcome: 'pending' as const,
      preview,
    });
    await log.append(input(['one']));
    writeFileSync(file, '{"id":"torn","seq":2,"ts":"2026-', { flag: 'a' });
    const filler = fill(mnt, 6000);
    const before = readFileSync(file);
    const big = Array.from({ length: 40 }, (_, i) => `line ${i} ${'rollout step ok '.repeat(20)}`);
    await expect(log.append(input(big))).rejects.toThrow(/ENOSPC/);
    expect(readFileSync(file)).toEqual(before);
    expect(verifyAuditFile(file).findings).toEqual([expect.objectContaining({ kind: 'truncated', line: 2 })]);
    rmSync(filler);
    const rec = await log.append(input(['after space was freed']));
    expect(rec).toMatchObject({ seq: 2, recovered: { tornBytes: 32 } });
    expect(verifyAuditFile(file)).toMatchObject({
      ok: true,
      records: 2,
      notes: [expect.objectContaining({ line: 2 })],
    });
  });

  it('a rollback is refused with the reason, and the sandbox target is untouched', async () => {
    const auditFile = join(mnt, 'b', 'audit.jsonl');
    app = await renderApp({ auditFile, columns: 160, rows: 30 });
    const filler = fill(mnt, 0);
    await app.press('/');
    await app.type('search');
    await app.press(KEYS.enter, KEYS.enter, 'r', KEYS.enter);
    await app.waitForFrame('Apply this change? [y/N]');
    await app.press('y');
    const f = (await app.waitForFrame('REFUSED')).replace(/[│╭╮╰╯─]/g, ' ').replace(/\s+/g, ' ');
    expect(f).toMatch(/could not be written: ENOSPC: no space left on device/);
    expect(f).toContain('nothing was changed');
    expect(app.world!.mutations).toEqual([]);
    rmSync(filler);
  });
});
