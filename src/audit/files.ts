/**
 * The audit file set and cheap reads of its end.
 *   audit.jsonl      the active file (appended to)
 *   audit.1.jsonl    the previous one (rotation renames audit.N → audit.N+1, then audit → audit.1)
 * The chain runs from the highest generation through audit.1 into the active file.
 */
import { closeSync, existsSync, fstatSync, openSync, readSync, readdirSync } from 'node:fs';
import { basename, dirname, extname, join } from 'node:path';
import { createHash } from 'node:crypto';
import type { AuditRecord } from './record.js';

export const GENESIS_HASH = '0'.repeat(64);

function splitName(file: string): { dir: string; stem: string; ext: string } {
  const ext = extname(file);
  return { dir: dirname(file), stem: basename(file, ext), ext };
}

/** The file of generation n (0 = the active file). */
export function generationFile(file: string, n: number): string {
  if (n === 0) return file;
  const { dir, stem, ext } = splitName(file);
  return join(dir, `${stem}.${n}${ext}`);
}

/** Existing rotated generations of `file`, as numbers, ascending. */
export function listGenerations(file: string): number[] {
  const { dir, stem, ext } = splitName(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw err;
  }
  const re = new RegExp(`^${escapeRe(stem)}\\.(\\d+)${escapeRe(ext)}$`);
  return names
    .map((n) => re.exec(n)?.[1])
    .filter((n): n is string => n !== undefined)
    .map(Number)
    .filter((n) => n > 0)
    .sort((a, b) => a - b);
}

/** Oldest first: audit.N.jsonl … audit.1.jsonl, audit.jsonl (only those that exist). */
export function chainFiles(file: string): string[] {
  const gens = listGenerations(file)
    .reverse()
    .map((n) => generationFile(file, n));
  return existsSync(file) ? [...gens, file] : gens;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function isRecord(v: unknown): v is AuditRecord {
  const r = v as AuditRecord;
  return (
    !!r &&
    typeof r === 'object' &&
    typeof r.seq === 'number' &&
    typeof r.hash === 'string' &&
    typeof r.prevHash === 'string' &&
    typeof r.id === 'string'
  );
}

export function parseLine(line: string): AuditRecord | null {
  try {
    const v: unknown = JSON.parse(line);
    return isRecord(v) ? v : null;
  } catch (err) {
    void err; // not JSON: the verifier reports such lines; readers skip them
    return null;
  }
}

export interface TailState {
  /** The last complete record (null: none in this file). */
  last: AuditRecord | null;
  /** Bytes after the last newline: a record torn by a crash mid-write. */
  torn: { bytes: number; sha256: string } | null;
  size: number;
  /** Complete records read from the end (newest last), at most `want`. */
  records: AuditRecord[];
}

/**
 * Read backwards from the end of an open file until `want` records (at least the last one) are found, or the
 * start is reached. Cost is proportional to what is read, not to the file's size.
 */
export function readTailFd(fd: number, want = 1): TailState {
  const size = fstatSync(fd).size;
  let chunk = 64 * 1024;
  for (;;) {
    const start = Math.max(0, size - chunk);
    const buf = Buffer.alloc(size - start);
    let off = 0;
    while (off < buf.length) {
      const n = readSync(fd, buf, off, buf.length - off, start + off);
      if (n === 0) break;
      off += n;
    }
    const data = buf.subarray(0, off);
    const lastNl = data.lastIndexOf(0x0a);
    const tornBuf = lastNl === -1 ? (start === 0 ? data : null) : data.subarray(lastNl + 1);
    if (tornBuf === null) {
      chunk *= 4; // no newline in this window: read further back
      continue;
    }
    const torn = tornBuf.length
      ? { bytes: tornBuf.length, sha256: createHash('sha256').update(tornBuf).digest('hex') }
      : null;
    const body = lastNl === -1 ? '' : data.subarray(0, lastNl).toString('utf8');
    const lines = body.split('\n');
    // The first line of a window that does not start at 0 may be cut; it is only trusted when start is 0.
    const firstUsable = start === 0 ? 0 : 1;
    const records: AuditRecord[] = [];
    for (let i = lines.length - 1; i >= firstUsable && records.length < want; i--) {
      const line = lines[i] as string;
      if (!line.trim()) continue;
      const rec = parseLine(line);
      if (rec) records.unshift(rec);
    }
    if (records.length >= want || start === 0) {
      return { last: records[records.length - 1] ?? null, torn, size, records };
    }
    chunk *= 4;
  }
}

export function readTail(file: string, want = 1): TailState {
  if (!existsSync(file)) return { last: null, torn: null, size: 0, records: [] };
  const fd = openSync(file, 'r');
  try {
    return readTailFd(fd, want);
  } finally {
    closeSync(fd);
  }
}

/** Up to `limit` newest records across the active file and, when needed, earlier generations. */
export function readRecent(file: string, limit: number): AuditRecord[] {
  const out: AuditRecord[] = [];
  const files = chainFiles(file).reverse();
  for (const f of files) {
    const t = readTail(f, limit - out.length);
    out.unshift(...t.records);
    if (out.length >= limit) break;
  }
  return out;
}
