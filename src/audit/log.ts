/**
 * Append-only JSONL audit log. Every record is fsync'd before append() resolves; a failure rejects, and
 * callers (the policy gate) must not act when the record that precedes a mutation could not be written.
 * Records are hash-chained (SHA-256 over a canonical serialisation, linked to the previous record's hash).
 */
import { openSync, writeSync, fsyncSync, closeSync, readFileSync, existsSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import type { AuditActor, AuditInput, AuditRecord } from './record.js';

export class AuditWriteError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'AuditWriteError';
  }
}

export const GENESIS_HASH = '0'.repeat(64);

/** JSON with object keys sorted, so the same record always hashes the same way. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value))
    return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
}

export function recordHash(record: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

export interface AuditSink {
  readonly file: string;
  append(input: AuditInput): Promise<AuditRecord>;
  recent(limit: number): AuditRecord[];
}

export interface AuditLogOptions {
  file: string;
  actor: AuditActor;
  version: string;
  mode: 'demo' | 'live';
  now?: () => number;
}

function readTail(file: string): { seq: number; hash: string } {
  if (!existsSync(file)) return { seq: 0, hash: GENESIS_HASH };
  const lines = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  for (let i = lines.length - 1; i >= 0; i--) {
    try {
      const rec = JSON.parse(lines[i] as string) as AuditRecord;
      if (typeof rec.seq === 'number' && typeof rec.hash === 'string')
        return { seq: rec.seq, hash: rec.hash };
    } catch (err) {
      // A torn last line (crash mid-write) is skipped here; `oncall audit verify` reports it.
      void err;
    }
  }
  return { seq: 0, hash: GENESIS_HASH };
}

export function readAuditFile(file: string): AuditRecord[] {
  if (!existsSync(file)) return [];
  const out: AuditRecord[] = [];
  for (const line of readFileSync(file, 'utf8').split('\n')) {
    if (!line.trim()) continue;
    try {
      out.push(JSON.parse(line) as AuditRecord);
    } catch (err) {
      void err; // torn or edited lines are the verifier's business; readers show what parses
    }
  }
  return out;
}

export function createAuditLog(opts: AuditLogOptions): AuditSink {
  const now = opts.now ?? Date.now;
  let queue: Promise<unknown> = Promise.resolve();
  const recentRecords: AuditRecord[] = readAuditFile(opts.file).slice(-200);

  function writeOne(input: AuditInput): AuditRecord {
    try {
      mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
      const tail = readTail(opts.file);
      const base: Omit<AuditRecord, 'hash'> = {
        ...input,
        id: randomUUID(),
        seq: tail.seq + 1,
        ts: new Date(now()).toISOString(),
        actor: opts.actor,
        version: opts.version,
        mode: opts.mode,
        prevHash: tail.hash,
      };
      const record: AuditRecord = { ...base, hash: recordHash(base) };
      const fd = openSync(opts.file, 'a', 0o600);
      try {
        writeSync(fd, `${JSON.stringify(record)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      recentRecords.push(record);
      if (recentRecords.length > 200) recentRecords.shift();
      return record;
    } catch (err) {
      throw new AuditWriteError(
        `audit log ${opts.file} could not be written: ${(err as Error).message}`,
        opts.file,
      );
    }
  }

  return {
    file: opts.file,
    append(input) {
      const next = queue.then(() => writeOne(input));
      queue = next.catch(() => undefined);
      return next;
    },
    recent(limit) {
      return recentRecords.slice(-limit);
    },
  };
}
