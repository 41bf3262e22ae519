/**
 * Real processes running the real writer (test/audit/fixtures/writer-child.ts, bundled here with esbuild):
 * two concurrent writers on one file, and a writer killed with SIGKILL in the middle of a record.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawn, type ChildProcess } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { verifyAuditFile, formatVerifyReport } from '../../src/audit/verify.js';
import { createAuditLog } from '../../src/audit/log.js';
import type { AuditRecord } from '../../src/audit/record.js';

let dir: string;
let bundle: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'oncall-audit-proc-'));
  bundle = join(dir, 'writer-child.mjs');
  await build({
    entryPoints: [join(import.meta.dirname, 'fixtures', 'writer-child.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    logLevel: 'warning',
  });
});

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

function child(args: string[]): { proc: ChildProcess; exited: Promise<number | null>; out: () => string } {
  const proc = spawn(process.execPath, [bundle, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((resolve) => proc.on('exit', (code) => resolve(code)));
  return { proc, exited, out: () => out };
}

async function until(cond: () => boolean, what: string, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((r) => setImmediate(r));
  }
}

const records = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as AuditRecord);

describe('two processes writing one audit file', () => {
  it('2 × 1,000 records: 2,000 records, one valid chain, none lost', async () => {
    const file = join(dir, 'concurrent', 'audit.jsonl');
    const a = child([file, '1000', 'writer-a']);
    const b = child([file, '1000', 'writer-b']);
    const [ca, cb] = await Promise.all([a.exited, b.exited]);
    expect([ca, cb, a.out(), b.out()]).toEqual([0, 0, 'first\ndone\n', 'first\ndone\n']);
    const recs = records(file);
    expect(recs).toHaveLength(2000);
    expect(recs.map((r) => r.seq)).toEqual(Array.from({ length: 2000 }, (_, i) => i + 1));
    for (const tag of ['writer-a', 'writer-b']) {
      const mine = recs.filter((r) => r.service === tag).map((r) => r.target);
      expect(mine).toEqual(Array.from({ length: 1000 }, (_, i) => `${tag}-${i + 1}`));
    }
    // They really interleaved, and neither starved the other (each took the lock many times in turn).
    const switches = recs.filter((r, i) => i > 0 && r.service !== recs[i - 1]!.service).length;
    expect(switches).toBeGreaterThan(100);
    const report = verifyAuditFile(file);
    expect(formatVerifyReport(report)).toMatch(/^OK: .* 2000 records, seq 1–2000, chain intact/);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 120_000);
});

function lastByte(file: string): { size: number; byte: number | null } {
  const fd = openSync(file, 'r');
  try {
    const size = fstatSync(fd).size;
    if (size === 0) return { size, byte: null };
    const b = Buffer.alloc(1);
    readSync(fd, b, 0, 1, size - 1);
    return { size, byte: b[0]! };
  } finally {
    closeSync(fd);
  }
}

describe('a writer killed with SIGKILL in the middle of a record', () => {
  it('verify reports the torn tail, and the next writer continues one valid chain', async () => {
    const file = join(dir, 'killed', 'audit.jsonl');
    let torn = false;
    // Each record is ~4 MB, so a write takes long enough to be caught half-way: we kill as soon as the file
    // ends without a newline. If the kill lands just between two writes we try again (bounded).
    for (let attempt = 0; attempt < 10 && !torn; attempt++) {
      const c = child([file, '0', `killed-${attempt}`, '4000']);
      await until(() => c.out().includes('first'), 'the first record');
      await until(() => {
        const { byte } = lastByte(file);
        return byte !== null && byte !== 0x0a;
      }, 'a record being written');
      c.proc.kill('SIGKILL');
      expect(await c.exited).toBe(null);
      torn = lastByte(file).byte !== 0x0a;
    }
    expect(torn).toBe(true);
    const before = verifyAuditFile(file);
    expect(before.ok).toBe(false);
    expect(before.findings).toEqual([expect.objectContaining({ kind: 'truncated' })]);
    expect(formatVerifyReport(before)).toMatch(/truncated — the last line \(\d+ bytes\) ends mid-record/);

    // The killed writer held the lock: the next writer sees its pid is gone and takes over.
    expect(existsSync(`${file}.lock`)).toBe(true);
    const next = createAuditLog({
      file,
      actor: { user: 'bob', sshClient: null, host: 'h', pid: process.pid },
      version: 'test',
      mode: 'demo',
      lockTimeoutMs: 5000,
    });
    const rec = await next.append({
      procedure: 'rollback',
      step: 'started',
      service: 'checkout-api',
      target: 't',
      outcome: 'pending',
    });
    expect(rec.seq).toBe(before.lastSeq! + 1);
    expect(rec.recovered).toBeDefined();
    const after = verifyAuditFile(file);
    expect(after.ok).toBe(true);
    expect(after.lastSeq).toBe(rec.seq);
    expect(after.notes.some((n) => /recovered by seq/.test(n.message))).toBe(true);
    expect(existsSync(`${file}.lock`)).toBe(false);
  }, 120_000);
});
