/** `oncall audit verify|show|timeline` through the real CLI entry (main), on files written by the real writer. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/main.js';
import { createAuditLog } from '../../src/audit/log.js';
import type { AuditInput } from '../../src/audit/record.js';

async function cli(argv: string[], env: NodeJS.ProcessEnv = {}) {
  let out = '';
  let err = '';
  const code = await main(argv, { stdout: (s) => (out += s), stderr: (s) => (err += s), env, cwd: tmpdir() });
  return { code, out, err };
}

const T0 = Date.parse('2026-11-26T08:00:00.000Z');

/** Two operators writing one file (two writers, one chain), around incident INC-9. */
async function incidentFile(t0 = T0): Promise<string> {
  const file = join(mkdtempSync(join(tmpdir(), 'oncall-cli-')), 'audit.jsonl');
  let clock = t0;
  const mk = (user: string) =>
    createAuditLog({
      file,
      actor: {
        user,
        sshClient: user === 'alice' ? '127.0.0.1:52144' : null,
        host: 'ops-1',
        pid: process.pid,
      },
      version: '1.2.3',
      mode: 'live',
      now: () => clock,
    });
  const alice = mk('alice');
  const bob = mk('bob');
  const at = (s: number) => (clock = t0 + s * 1000);
  const base = (over: Partial<AuditInput>): AuditInput => ({
    procedure: 'rollback',
    service: 'checkout-api',
    target: 'prod/payments/checkout-api',
    step: 'started',
    outcome: 'pending',
    incidentId: 'INC-9',
    ...over,
  });
  at(-600);
  await alice.append(base({ incidentId: 'INC-1', procedure: 'restart', service: 'ledger' }));
  at(0);
  const rb = await alice.append(
    base({
      from: 'rev 7 app:2.14.0',
      to: 'rev 6 app:2.13.2',
      confirmation: 'checkout-api',
      preview: ['rev 7 → rev 6'],
    }),
  );
  at(2);
  await alice.append(base({ step: 'executed', operationId: rb.id, durationMs: 1500, detail: 'rolled back' }));
  at(30);
  const sc = await bob.append(
    base({ procedure: 'scale', service: 'ledger', from: '3', to: '6', confirmation: 'y' }),
  );
  at(40);
  await bob.append(
    base({
      procedure: 'scale',
      service: 'ledger',
      step: 'finished',
      outcome: 'failed',
      operationId: sc.id,
      error: 'precondition: replicas changed',
    }),
  );
  at(65);
  await alice.append(
    base({
      step: 'finished',
      outcome: 'success',
      operationId: rb.id,
      durationMs: 63_000,
      detail: 'ok rollout complete',
    }),
  );
  at(100);
  await bob.append(base({ procedure: 'restart', service: 'search', to: 'restartedAt now' }));
  await alice.close();
  await bob.close();
  return file;
}

describe('oncall audit verify', () => {
  it('exit 0 and OK on an intact file; exit 1 naming the line on a tampered one', async () => {
    const file = await incidentFile();
    const ok = await cli(['audit', 'verify', '--file', file]);
    expect(ok).toMatchObject({ code: 0, err: '' });
    expect(ok.out).toMatch(/^OK: .*audit\.jsonl: 7 records, seq 1–7, chain intact/);

    const lines = readFileSync(file, 'utf8').trim().split('\n');
    lines[3] = lines[3]!.replace('"to":"6"', '"to":"60"');
    [lines[5], lines[6]] = [lines[6]!, lines[5]!];
    writeFileSync(file, `${lines.join('\n')}\n`);
    const bad = await cli(['audit', 'verify', '--file', file]);
    expect(bad.code).toBe(1);
    expect(bad.out).toContain('FAILED: ');
    expect(bad.out).toContain('audit.jsonl:4 seq 4: edited — seq 4 was edited');
    expect(bad.out).toContain(
      'audit.jsonl:7 seq 6: reordered — seq 6 (audit.jsonl:7) comes after seq 7 (audit.jsonl:6)',
    );
  });

  it('a missing file is an error, not OK', async () => {
    const r = await cli(['audit', 'verify', '--file', join(tmpdir(), 'no-such-dir-oncall', 'audit.jsonl')]);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/no audit file at .*no-such-dir-oncall/);
  });

  it('finds the file from the configuration when no --file is given', async () => {
    const file = await incidentFile();
    const dir = mkdtempSync(join(tmpdir(), 'oncall-cfg-'));
    const cfg = join(dir, 'oncall.yaml');
    writeFileSync(cfg, `audit:\n  path: ${file}\nservices:\n  - name: web\n`);
    const r = await cli(['audit', 'verify', '--config', cfg]);
    expect(r.code).toBe(0);
    expect(r.out).toContain(file);
  });
});

describe('oncall audit show', () => {
  it('filters by --service and --since, prints JSON with --json', async () => {
    // Written 5 minutes ago on the real clock (the first record 15 minutes ago), so --since means something.
    const file = await incidentFile(Date.now() - 5 * 60_000);
    const all = await cli(['audit', 'show', '--file', file]);
    expect(all.out.trim().split('\n')).toHaveLength(7);
    expect(all.out).toMatch(
      /Z #2 alice@ops-1 \(ssh 127\.0\.0\.1:52144\) rollback checkout-api started pending → rev 6 app:2\.13\.2 \[INC-9\]\n/,
    );
    const ledger = await cli(['audit', 'show', '--file', file, '--service', 'ledger', '--json']);
    const recs = JSON.parse(ledger.out) as { service: string; seq: number }[];
    expect(recs.map((r) => `${r.service}#${r.seq}`)).toEqual(['ledger#1', 'ledger#4', 'ledger#5']);
    const since = await cli(['audit', 'show', '--file', file, '--since', '8m']);
    expect(
      since.out
        .trim()
        .split('\n')
        .map((l) => l.split(' ')[1]),
    ).toEqual(['#2', '#3', '#4', '#5', '#6', '#7']);
    const none = await cli(['audit', 'show', '--file', file, '--since', '30s', '--service', 'checkout-api']);
    expect(none.out).toBe('no audit records match\n');
    const badSince = await cli(['audit', 'show', '--file', file, '--since', 'yesterday']);
    expect(badSince.code).toBe(2);
    expect(badSince.err).toContain('--since: not a duration: "yesterday"');
  });
});

describe('oncall audit timeline', () => {
  it('JSON: operations in time order with who, what, outcome and durations; other incidents left out', async () => {
    const file = await incidentFile();
    const r = await cli(['audit', 'timeline', '--incident', 'INC-9', '--format', 'json', '--file', file]);
    expect(r.code).toBe(0);
    const t = JSON.parse(r.out) as {
      from: string;
      to: string;
      spanMs: number;
      operations: Record<string, unknown>[];
      events: { seq: number; at: string }[];
      source: { chain: string };
    };
    expect(t.source.chain).toBe('chain OK, seq 1–7');
    expect(t.from).toBe('2026-11-26T08:00:00.000Z');
    expect(t.to).toBe('2026-11-26T08:01:40.000Z');
    expect(t.spanMs).toBe(100_000);
    expect(t.operations).toEqual([
      expect.objectContaining({
        procedure: 'rollback',
        service: 'checkout-api',
        who: 'alice@ops-1 (ssh 127.0.0.1:52144)',
        change: 'rev 7 app:2.14.0 → rev 6 app:2.13.2',
        confirmation: 'checkout-api',
        outcome: 'success',
        durationMs: 65_000,
        actMs: 1500,
      }),
      expect.objectContaining({
        procedure: 'scale',
        who: 'bob@ops-1',
        outcome: 'failed',
        detail: 'precondition: replicas changed',
        durationMs: 10_000,
        actMs: null,
      }),
      expect.objectContaining({
        procedure: 'restart',
        service: 'search',
        outcome: 'did not finish',
        durationMs: null,
      }),
    ]);
    const times = t.events.map((e) => e.at);
    expect(times).toEqual([...times].sort());
    expect(t.events.map((e) => e.seq)).toEqual([2, 3, 4, 5, 6, 7]);
  });

  it('Markdown: a table in time order with durations, ready for the postmortem', async () => {
    const file = await incidentFile();
    const r = await cli(['audit', 'timeline', '--incident', 'INC-9', '--file', file]);
    expect(r.code).toBe(0);
    const rows = r.out.split('\n').filter((l) => /^\| \d\d:\d\d:\d\d/.test(l));
    expect(rows).toEqual([
      '| 08:00:00 | 08:01:05 | alice@ops-1 (ssh 127.0.0.1:52144) | rollback checkout-api: rev 7 app:2.14.0 → rev 6 app:2.13.2 | checkout-api | success (ok rollout complete) | 1 min 5 s | 1.5 s |',
      '| 08:00:30 | 08:00:40 | bob@ops-1 | scale ledger: 3 → 6 | y | failed (precondition: replicas changed) | 10 s | — |',
      '| 08:01:40 | — | bob@ops-1 | restart search: → restartedAt now | — | did not finish | — | — |',
    ]);
    expect(r.out).toContain('- Window: 2026-11-26T08:00:00.000Z – 2026-11-26T08:01:40.000Z UTC (1 min 40 s)');
    expect(r.out).toContain(
      '- 08:00:40 #5 bob@ops-1: scale ledger finished → failed: precondition: replicas changed',
    );
  });

  it('usage errors: no --incident, unknown format; an unknown incident exits 1', async () => {
    const file = await incidentFile();
    expect((await cli(['audit', 'timeline', '--file', file])).code).toBe(2);
    const fmt = await cli(['audit', 'timeline', '--incident', 'INC-9', '--format', 'xml', '--file', file]);
    expect(fmt).toMatchObject({ code: 2, err: 'oncall: --format: expected md or json, got "xml"\n' });
    const none = await cli(['audit', 'timeline', '--incident', 'INC-404', '--file', file]);
    expect(none.code).toBe(1);
    expect(none.out).toContain('No audit records name this incident.');
  });
});
