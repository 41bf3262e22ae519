/**
 * The bundled binary in tmux: a rollback is killed with SIGKILL while it rolls out (a crash: no "interrupted"
 * record can be written); the next start shows "… did not finish — inspect?", the operator inspects and
 * closes it, rolls back to the end, and `oncall audit verify` on that file reports OK (exit 0).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { requireBinaries } from '../helpers/backend.js';
import { startTmux, type TmuxSession } from '../helpers/tmux.js';
import type { AuditRecord } from '../../src/audit/record.js';

let tmux: TmuxSession | null = null;
let buildDir: string;
let BIN: string;
const haveTmux = requireBinaries(['tmux']);

beforeAll(async () => {
  if (!haveTmux) return;
  // The shipped single-file bundle (with the project's esbuild plugins, e.g. its Ink patches), built into a
  // directory of our own so this test does not depend on dist/ being fresh.
  buildDir = mkdtempSync(join(tmpdir(), 'oncall-build-'));
  BIN = join(buildDir, 'oncall-app.cjs');
  const { buildBundle } = (await import(resolve(__dirname, '../../scripts/build.mjs'))) as {
    buildBundle: (o: { outfile: string; vendor: boolean }) => Promise<void>;
  };
  await buildBundle({ outfile: BIN, vendor: false });
}, 120_000);
afterAll(() => {
  if (buildDir) rmSync(buildDir, { recursive: true, force: true });
});
afterEach(() => {
  tmux?.kill();
  tmux = null;
});

const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);

async function rollbackToConfirm(t: TmuxSession) {
  await t.waitFor(/›\s*checkout-api\s+CRIT/, 30_000);
  t.send('Enter');
  await t.waitFor(/^ROLLOUT /m);
  t.send('r');
  await t.waitFor('Roll back to which revision?');
  t.send('Enter');
  await t.waitFor('Type checkout-api to confirm');
  t.sendText('checkout-api');
  await t.waitFor('> checkout-api█');
  t.send('Enter');
}

describe.runIf(haveTmux)('crash mid-rollback, resume, verify (bundled binary in tmux)', () => {
  it('SIGKILL while rolling out → banner at the next start → inspect, close, roll back → audit verify OK', async () => {
    const t = startTmux('bash --norc --noprofile', {
      columns: 160,
      rows: 40,
      env: { PS1: 'READY$ ', TERM: 'xterm-256color' },
    });
    tmux = t;
    const audit = join(t.dir, 'audit.jsonl');
    const run = (speed: number) => {
      writeFileSync(
        join(t.dir, 'run.sh'),
        `echo $$ > ${t.dir}/oncall.pid\nexec node ${BIN} demo --speed ${speed} --audit-file ${audit}\n`,
      );
      t.sendText(`bash ${join(t.dir, 'run.sh')}`);
      t.send('Enter');
    };

    await t.waitFor('READY$');
    run(1); // slow: the rollout stays in progress long enough to crash in the middle of it
    await rollbackToConfirm(t);
    await t.waitFor(/rolling out…|verifying…/);
    process.kill(Number(readFileSync(join(t.dir, 'oncall.pid'), 'utf8')), 'SIGKILL');
    await t.waitFor(/^READY\$\s*$/m);
    const crashed = records(audit).filter((r) => r.procedure === 'rollback');
    expect(crashed.map((r) => r.step)).toEqual(['started', 'executed']);

    t.sendText('clear');
    t.send('Enter');
    run(20);
    const banner = await t.waitFor('did not finish');
    expect(banner).toMatch(
      /⚠ rollback of checkout-api started \d+ s ago by \S+ did not finish, acted but never verified — inspect\? \(a: audit\)/,
    );
    t.send('a');
    await t.waitFor('chain: ✓ OK');
    t.send('i');
    await t.waitFor(`operation ${crashed[0]!.id.slice(0, 8)} only`);
    t.send('x');
    await t.waitFor('no unfinished procedures');
    t.send('Escape');
    await t.waitFor((s) => !s.includes('AUDIT chain'));

    await rollbackToConfirm(t);
    await t.waitFor('DONE: verified', 30_000);
    t.send('Escape');
    await t.waitFor((s) => !s.includes('DONE: verified'));
    t.send('q');
    await t.waitFor(/^READY\$\s*$/m);

    const steps = records(audit)
      .filter((r) => r.procedure === 'rollback')
      .map((r) => `${r.step}:${r.outcome}`);
    expect(steps).toEqual([
      'started:pending',
      'executed:pending',
      'finished:interrupted', // closed after inspection
      'started:pending',
      'executed:pending',
      'finished:success',
    ]);
    const verify = spawnSync(process.execPath, [BIN, 'audit', 'verify', '--file', audit], {
      encoding: 'utf8',
    });
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^OK: .*audit\.jsonl: \d+ records, seq 1–\d+, chain intact/);
  }, 120_000);
});
