import { describe, expect, it } from 'vitest';
import { appendFileSync, mkdtempSync, readFileSync, statSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAuditLog, recordHash } from '../../src/audit/log.js';
import { verifyAuditFile, formatVerifyReport } from '../../src/audit/verify.js';
import { chainFiles } from '../../src/audit/files.js';
import type { AuditInput, AuditRecord } from '../../src/audit/record.js';

const actor = { user: 'alice', sshClient: null, host: 'test-host', pid: process.pid };

function input(i: number, over: Partial<AuditInput> = {}): AuditInput {
  return {
    procedure: 'rollback',
    step: 'started',
    service: `svc-${i}`,
    target: `ctx/ns/svc-${i}`,
    outcome: 'pending',
    preview: [`change ${i}`],
    ...over,
  };
}

async function writeLog(n: number, opts: { maxBytes?: number } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'oncall-audit-'));
  const file = join(dir, 'audit.jsonl');
  let t = Date.parse('2026-11-26T08:00:00Z');
  const log = createAuditLog({ file, actor, version: 'test', mode: 'demo', now: () => (t += 1000), ...opts });
  for (let i = 1; i <= n; i++) await log.append(input(i));
  await log.close();
  return { dir, file, log };
}

const lines = (file: string) => readFileSync(file, 'utf8').split('\n').filter(Boolean);
const write = (file: string, ls: string[]) => writeFileSync(file, `${ls.join('\n')}\n`);

describe('the writer', () => {
  it('chains records, creates the file 0600 and verifies OK', async () => {
    const { file } = await writeLog(5);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const recs = lines(file).map((l) => JSON.parse(l) as AuditRecord);
    expect(recs.map((r) => r.seq)).toEqual([1, 2, 3, 4, 5]);
    expect(recs[1]!.prevHash).toBe(recs[0]!.hash);
    const { hash, ...rest } = recs[2]!;
    expect(recordHash(rest)).toBe(hash);
    expect(recs[0]).toMatchObject({
      actor: { user: 'alice', host: 'test-host' },
      version: 'test',
      mode: 'demo',
    });
    const report = verifyAuditFile(file);
    expect(report).toMatchObject({ ok: true, records: 5, firstSeq: 1, lastSeq: 5, findings: [] });
    expect(formatVerifyReport(report)).toMatch(/^OK: .*5 records, seq 1–5, chain intact/);
  });

  it('never stores secret values or terminal escapes', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-audit-'));
    const file = join(dir, 'audit.jsonl');
    const log = createAuditLog({ file, actor, version: 'test', mode: 'live' });
    await log.append(
      input(1, {
        preview: ['secret: db-credentials v3 → v4', 'password=hunter2 token=abc123def456'],
        error:
          'GET https://admin:s3cr3tpass@127.0.0.1:8200/v1/kv failed: Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhbGljZSJ9.c2lnbmF0dXJlc2ln \u001b]52;c;ZXZpbA==\u0007',
        detail: '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBg\n-----END PRIVATE KEY-----',
      }),
    );
    const text = readFileSync(file, 'utf8');
    for (const secret of [
      'hunter2',
      'abc123def456',
      's3cr3tpass',
      'eyJhbGciOiJIUzI1NiJ9',
      'MIIEvQIBADANBg',
      '\u001b',
    ])
      expect(text).not.toContain(secret);
    expect(text).toContain('secret: db-credentials v3 → v4');
    expect(verifyAuditFile(file).ok).toBe(true);
  });

  it('names the Kubernetes identity and the incident once they are known (the runtime hooks)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oncall-audit-'));
    const file = join(dir, 'audit.jsonl');
    const log = createAuditLog({ file, actor, version: 'test', mode: 'live', incidentId: 'INC-1' });
    const before = await log.append(input(1));
    log.setKubernetesIdentity({ username: 'oidc:alice@example.test', groups: ['sre'], context: 'prod-eu1' });
    log.setIncidentId('INC-2');
    const after = await log.append(input(2));
    const explicit = await log.append(input(3, { incidentId: 'INC-3' }));
    expect(before.actor.kubernetes).toBeUndefined();
    expect(before.incidentId).toBe('INC-1');
    expect(after.actor.kubernetes).toEqual({
      username: 'oidc:alice@example.test',
      groups: ['sre'],
      context: 'prod-eu1',
    });
    expect(after.incidentId).toBe('INC-2');
    expect(explicit.incidentId).toBe('INC-3');
    expect(verifyAuditFile(file).ok).toBe(true);
  });

  it('rotates by size and carries the chain into the new file', async () => {
    const { file } = await writeLog(40, { maxBytes: 4096 });
    const files = chainFiles(file);
    expect(files.length).toBeGreaterThan(2);
    expect(files[files.length - 1]).toBe(file);
    expect(files[files.length - 2]).toBe(file.replace(/audit\.jsonl$/, 'audit.1.jsonl'));
    const older = lines(files[files.length - 2]!).map((l) => JSON.parse(l) as AuditRecord);
    const first = JSON.parse(lines(file)[0]!) as AuditRecord;
    expect(first.prevHash).toBe(older[older.length - 1]!.hash);
    expect(first.seq).toBe(older[older.length - 1]!.seq + 1);
    const report = verifyAuditFile(file);
    expect(report).toMatchObject({ ok: true, records: 40, firstSeq: 1, lastSeq: 40 });
    for (const f of files) expect(statSync(f).size).toBeLessThanOrEqual(4096);
  });
});

describe('verify locates tampering', () => {
  it('an edited field', async () => {
    const { file } = await writeLog(6);
    const ls = lines(file);
    ls[2] = ls[2]!.replace('"outcome":"pending"', '"outcome":"success"');
    write(file, ls);
    const r = verifyAuditFile(file);
    expect(r.ok).toBe(false);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'edited', line: 3, seq: 3 })]);
    expect(formatVerifyReport(r)).toContain('audit.jsonl:3 seq 3: edited — seq 3 was edited');
  });

  it('an edited field with the hash recomputed', async () => {
    const { file } = await writeLog(6);
    const ls = lines(file);
    const rec = JSON.parse(ls[3]!) as AuditRecord;
    const { hash: _old, ...rest } = { ...rec, service: 'someone-else' };
    ls[3] = JSON.stringify({ ...rest, hash: recordHash(rest) });
    write(file, ls);
    const r = verifyAuditFile(file);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'edited', line: 4, seq: 4 })]);
    expect(r.findings[0]!.message).toContain('seq 4 was rewritten');
  });

  it('a deleted line', async () => {
    const { file } = await writeLog(6);
    const ls = lines(file);
    ls.splice(3, 1);
    write(file, ls);
    const r = verifyAuditFile(file);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'deleted', line: 4, seq: 5 })]);
    expect(r.findings[0]!.message).toContain(
      '1 record(s) deleted: seq 4 missing between seq 3 (audit.jsonl:3) and seq 5 (audit.jsonl:4)',
    );
  });

  it('the first line deleted', async () => {
    const { file } = await writeLog(4);
    write(file, lines(file).slice(1));
    const r = verifyAuditFile(file);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'deleted', line: 1, seq: 2 })]);
  });

  it('two lines swapped', async () => {
    const { file } = await writeLog(6);
    const ls = lines(file);
    [ls[2], ls[3]] = [ls[3]!, ls[2]!];
    write(file, ls);
    const r = verifyAuditFile(file);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'reordered', line: 4, seq: 3 })]);
    expect(r.findings[0]!.message).toBe(
      'seq 3 (audit.jsonl:4) comes after seq 4 (audit.jsonl:3): records were moved out of order',
    );
  });

  it('the last line truncated (torn)', async () => {
    const { file } = await writeLog(5);
    const size = statSync(file).size;
    truncateSync(file, size - 40);
    const r = verifyAuditFile(file);
    expect(r.ok).toBe(false);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'truncated', line: 5 })]);
    expect(r.lastSeq).toBe(4);
    expect(formatVerifyReport(r)).toMatch(
      /audit\.jsonl:5: truncated — the last line \(\d+ bytes\) ends mid-record/,
    );
  });

  it('a duplicated line and a garbled line', async () => {
    const { file } = await writeLog(4);
    const ls = lines(file);
    ls.splice(2, 0, ls[1]!);
    ls.splice(4, 0, 'not json at all');
    write(file, ls);
    const r = verifyAuditFile(file);
    expect(r.findings.map((f) => `${f.line}:${f.kind}`)).toEqual(['3:duplicated', '5:edited']);
  });

  it('a record deleted from a rotated generation', async () => {
    const { file } = await writeLog(30, { maxBytes: 4096 });
    const older = file.replace(/audit\.jsonl$/, 'audit.1.jsonl');
    const ls = lines(older);
    ls.splice(1, 1);
    write(older, ls);
    const r = verifyAuditFile(file);
    expect(r.findings).toEqual([expect.objectContaining({ kind: 'deleted', file: older, line: 2 })]);
  });
});

describe('a writer that finds a torn tail', () => {
  it('terminates it, records what it found, and the chain verifies with a note', async () => {
    const { file, dir } = await writeLog(3);
    appendFileSync(file, '{"id":"x","seq":4,"ts":"2026-11-26T08:00:04.000Z","actor":{"us');
    expect(verifyAuditFile(file).findings).toEqual([expect.objectContaining({ kind: 'truncated', line: 4 })]);
    const log = createAuditLog({ file, actor, version: 'test', mode: 'demo' });
    const rec = await log.append(input(4));
    expect(rec.seq).toBe(4);
    expect(rec.recovered?.tornBytes).toBeGreaterThan(10);
    const r = verifyAuditFile(file);
    expect(r.ok).toBe(true);
    expect(r.notes).toEqual([expect.objectContaining({ line: 4 })]);
    expect(r.notes[0]!.message).toMatch(/torn by a crash \(\d+ bytes\) was recovered by seq 4/);
    expect(lines(file)).toHaveLength(5);
    void dir;
  });
});
