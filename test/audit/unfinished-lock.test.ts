import { describe, expect, it } from 'vitest';
import { existsSync, mkdtempSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { createAuditLog } from '../../src/audit/log.js';
import { findUnfinished, describeUnfinished } from '../../src/audit/unfinished.js';
import { acquireLock, AuditLockTimeout } from '../../src/audit/lock.js';
import type { AuditInput, AuditRecord } from '../../src/audit/record.js';

const T0 = Date.parse('2026-11-26T08:00:00Z');

describe('findUnfinished', () => {
  it('tells finished, interrupted, acted-but-unverified, running elsewhere and best-effort notes apart', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oncall-unf-')), 'audit.jsonl');
    let t = T0;
    const log = createAuditLog({
      file,
      actor: { user: 'alice', sshClient: null, host: 'ops-1', pid: 4242 },
      version: 't',
      mode: 'live',
      now: () => (t += 1000),
    });
    const base = (service: string, over: Partial<AuditInput> = {}): AuditInput => ({
      procedure: 'rollback',
      service,
      target: service,
      step: 'started',
      outcome: 'pending',
      ...over,
    });
    const done = await log.append(base('done'));
    await log.append(base('done', { step: 'finished', outcome: 'success', operationId: done.id }));
    const hup = await log.append(base('hup'));
    await log.append(
      base('hup', {
        step: 'interrupted',
        outcome: 'interrupted',
        operationId: hup.id,
        detail: 'received SIGHUP',
      }),
    );
    const acted = await log.append(base('acted', { procedure: 'scale' }));
    await log.append(base('acted', { procedure: 'scale', step: 'executed', operationId: acted.id }));
    const note = await log.append(base('acted', { procedure: 'scale:announce' }));
    await log.append(base('acted', { procedure: 'scale:announce', step: 'executed', operationId: note.id }));
    await log.append(base('crashed'));
    const recs = JSON.parse(`[${readFileSync(file, 'utf8').trim().split('\n').join(',')}]`) as AuditRecord[];

    const dead = findUnfinished(recs, { host: 'ops-1', isAlive: () => false });
    expect(dead.map((u) => `${u.service}:${u.state}:${u.lastStep}`)).toEqual([
      'crashed:abandoned:started',
      'acted:abandoned:executed',
      'hup:interrupted:interrupted',
    ]);
    const now = T0 + 189_000;
    expect(dead.map((u) => describeUnfinished(u, now))).toEqual([
      'rollback of crashed started 3 min ago by alice@ops-1 did not finish — inspect?',
      'scale of acted started 3 min ago by alice@ops-1 did not finish, acted but never verified — inspect?',
      'rollback of hup started 3 min ago by alice@ops-1 did not finish (interrupted: received SIGHUP) — inspect?',
    ]);
    const alive = findUnfinished(recs, { host: 'ops-1', isAlive: (pid) => pid === 4242 });
    expect(alive.find((u) => u.service === 'crashed')!.state).toBe('running');
    // Another host's pid says nothing about liveness here.
    expect(findUnfinished(recs, { host: 'elsewhere', isAlive: () => true })[0]!.state).toBe('abandoned');
  });
});

describe('the audit lock', () => {
  it('breaks a lock left by a dead process, and one that is garbled and old', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-lock-'));
    const file = join(dir, 'audit.jsonl');
    const dead = spawnSync(process.execPath, ['-e', '0']).pid as number;
    writeFileSync(`${file}.lock`, `${dead} ${hostname()} ${Date.now()}\n`);
    const release = await acquireLock(file, { timeoutMs: 2000, staleMs: 30_000 });
    expect(readFileSync(`${file}.lock`, 'utf8')).toMatch(new RegExp(`^${process.pid} `));
    release();
    expect(existsSync(`${file}.lock`)).toBe(false);

    writeFileSync(`${file}.lock`, '');
    const old = (Date.now() - 10_000) / 1000;
    utimesSync(`${file}.lock`, old, old);
    (await acquireLock(file, { timeoutMs: 2000, staleMs: 30_000 }))();
  });

  it('waits for a live holder and times out naming it', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'oncall-lock-')), 'audit.jsonl');
    writeFileSync(`${file}.lock`, `${process.pid} ${hostname()} ${Date.now()}\n`);
    const err = await acquireLock(file, { timeoutMs: 200, staleMs: 30_000 }).catch((e: Error) => e);
    expect(err).toBeInstanceOf(AuditLockTimeout);
    expect((err as Error).message).toMatch(
      new RegExp(
        `audit lock .*audit\\.jsonl\\.lock not acquired within 200 ms \\(held by pid ${process.pid} on `,
      ),
    );
    // A holder older than staleMs (another host, a reused pid) is taken over.
    writeFileSync(`${file}.lock`, `${process.pid} other-host ${Date.now() - 60_000}\n`);
    (await acquireLock(file, { timeoutMs: 1000, staleMs: 30_000 }))();
  });
});
