/**
 * Confirm → first mutating request: the rollback procedure on the sandbox world, driven through the
 * real runtime (procedure machine → policy gate → audit "started", fsync'd → mutating port). Timed from
 * submit() of the typed confirmation to the moment the port performs the change. Baseline in the same
 * run: one fsync'd append of an audit-sized line to the same directory (the irreducible cost).
 */
import { closeSync, fsyncSync, mkdtempSync, openSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { BenchRow, BenchSuite } from '../types.js';
import { median, percentile } from '../pty.js';
import { createRuntime } from '../../src/cli/runtime.js';
import { SandboxWorld } from '../../src/sandbox/world.js';
import { demoConfig } from '../../src/sandbox/demo-config.js';

const SERVICE = 'checkout-api';

async function until<T>(
  probe: () => T | undefined | null | false,
  what: string,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = probe();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setImmediate(r));
  }
}

async function oneRollback(auditFile: string): Promise<number> {
  const world = new SandboxWorld();
  const rt = await createRuntime({
    config: demoConfig(),
    mode: 'demo',
    readOnly: false,
    auditFile,
    world,
    manualClock: true,
  });
  const sources = await rt.start();
  await sources.refreshNow();
  try {
    if (!rt.procedures.start('rollback', SERVICE)) throw new Error('rollback did not start');
    const machine = await until(() => rt.procedures.active, 'the procedure');
    await until(() => rt.store.getState().procedure?.step === 'choose', 'the revision list');
    machine.choose();
    const view = await until(
      () => (rt.store.getState().procedure?.step === 'confirm' ? rt.store.getState().procedure : null),
      'the confirmation',
    );
    if (view.confirm.mode === 'typed') machine.type(view.confirm.expected);
    let reachedAt: number | null = null;
    const record = world.recordMutation.bind(world);
    world.recordMutation = (kind, target, detail) => {
      reachedAt ??= performance.now();
      record(kind, target, detail);
    };
    const t0 = performance.now();
    void machine.submit();
    await until(() => reachedAt !== null || rt.store.getState().procedure?.error, 'the mutating request');
    if (reachedAt === null) throw new Error(`rollback failed: ${rt.store.getState().procedure?.error}`);
    return reachedAt - t0;
  } finally {
    await rt.stop();
  }
}

export const confirm: BenchSuite = {
  name: 'confirm',
  async run(): Promise<BenchRow[]> {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-bench-confirm-'));
    const auditFile = join(dir, 'audit.jsonl');
    const runs = 20;
    const ms: number[] = [];
    await oneRollback(auditFile); // warm-up (JIT, audit file creation)
    for (let i = 0; i < runs; i++) ms.push(await oneRollback(auditFile));
    const fsyncMs: number[] = [];
    const line = `${JSON.stringify({ v: 1, id: 'x'.repeat(26), procedure: 'rollback', detail: 'y'.repeat(300) })}\n`;
    const fd = openSync(join(dir, 'baseline.jsonl'), 'a', 0o600);
    try {
      for (let i = 0; i < runs; i++) {
        const t = performance.now();
        writeSync(fd, line);
        fsyncSync(fd);
        fsyncMs.push(performance.now() - t);
      }
    } finally {
      closeSync(fd);
    }
    const p95 = percentile(ms, 95);
    return [
      {
        group: 'confirm',
        measure: 'confirm → first mutating request (p95, audit fsync included)',
        value: p95,
        unit: 'ms',
        baseline: { label: 'one fsync’d audit-line append', value: median(fsyncMs) },
        ratio: p95 / median(fsyncMs),
        target: '≤ 50 ms',
        pass: p95 <= 50,
        note: `${runs} rollbacks on the sandbox, median ${median(ms).toFixed(1)} ms, max ${Math.max(...ms).toFixed(1)} ms`,
      },
    ];
  },
};
