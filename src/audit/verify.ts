/**
 * Verifies an audit file set (rotated generations oldest first, then the active file) and locates every
 * problem: edited records (content ≠ hash, or a rewritten hash the next record does not link to), deleted
 * records (gaps in seq), reordered records (seq going backwards), duplicated or forked records, and a torn
 * last line (a crash mid-write). A torn line that the next writer acknowledged (`recovered` carries its
 * length and SHA-256) is a note, not a problem: the chain around it is intact.
 *
 * Limits, said plainly: removing the newest records whole, or rewriting every record after an edit with
 * fresh hashes, leaves a valid shorter/different chain; forward records to syslog to have a copy elsewhere.
 */
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { createHash } from 'node:crypto';
import type { AuditRecord } from './record.js';
import { GENESIS_HASH, chainFiles, isRecord } from './files.js';
import { recordHash } from './log.js';

export type FindingKind = 'edited' | 'deleted' | 'reordered' | 'truncated' | 'duplicated' | 'forked';

export interface Finding {
  kind: FindingKind;
  file: string;
  line: number;
  seq: number | null;
  message: string;
}

export interface VerifyNote {
  file: string;
  line: number;
  message: string;
}

export interface VerifyReport {
  ok: boolean;
  files: string[];
  records: number;
  firstSeq: number | null;
  lastSeq: number | null;
  lastHash: string | null;
  findings: Finding[];
  notes: VerifyNote[];
}

interface Entry {
  file: string;
  line: number;
  bytes: Buffer;
  terminated: boolean;
  rec: AuditRecord | null;
}

function splitLines(file: string): Entry[] {
  const data = readFileSync(file);
  const out: Entry[] = [];
  let start = 0;
  let line = 1;
  while (start < data.length) {
    const nl = data.indexOf(0x0a, start);
    const end = nl === -1 ? data.length : nl;
    const bytes = data.subarray(start, end);
    let rec: AuditRecord | null = null;
    try {
      const v: unknown = JSON.parse(bytes.toString('utf8'));
      rec = isRecord(v) ? v : null;
    } catch (err) {
      void err; // classified below (torn, recovered or garbled)
    }
    if (bytes.length > 0) out.push({ file, line, bytes, terminated: nl !== -1, rec });
    line++;
    start = end + 1;
  }
  return out;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface VerifyOptions {
  /** Verify exactly these files in this order (default: the file's rotated generations, then the file). */
  files?: string[];
}

export function verifyAuditFile(file: string, opts: VerifyOptions = {}): VerifyReport {
  const files = opts.files ?? chainFiles(file);
  const entries = files.flatMap(splitLines);
  const findings: Finding[] = [];
  const notes: VerifyNote[] = [];
  const name = (f: string) => basename(f);
  const at = (e: Entry) => `${name(e.file)}:${e.line}`;

  // 1. Lines that are not records: torn (crash), recovered (acknowledged by the next record), or garbled.
  const records: Entry[] = [];
  const recoveredEntries = new Set<Entry>();
  entries.forEach((e, i) => {
    const isLast = i === entries.length - 1;
    if (!e.terminated && isLast) {
      findings.push({
        kind: 'truncated',
        file: e.file,
        line: e.line,
        seq: e.rec?.seq ?? null,
        message: `the last line (${e.bytes.length} bytes) ends mid-record: a write was cut off (crash or full disk)`,
      });
      return;
    }
    const next = entries[i + 1];
    const ack = next?.rec?.recovered;
    if (ack && ack.tornBytes === e.bytes.length && ack.tornSha256 === sha256(e.bytes)) {
      recoveredEntries.add(e);
      notes.push({
        file: e.file,
        line: e.line,
        message: `a record torn by a crash (${e.bytes.length} bytes) was recovered by seq ${next!.rec!.seq}`,
      });
      return;
    }
    if (!e.rec) {
      findings.push({
        kind: 'edited',
        file: e.file,
        line: e.line,
        seq: null,
        message: 'not a valid audit record (garbled, hand-edited, or a torn record nobody recovered)',
      });
      return;
    }
    records.push(e);
  });

  // 2. Each record's own hash.
  const selfBad = new Set<Entry>();
  for (const e of records) {
    const { hash, ...rest } = e.rec as AuditRecord;
    if (recordHash(rest) !== hash) {
      selfBad.add(e);
      findings.push({
        kind: 'edited',
        file: e.file,
        line: e.line,
        seq: e.rec!.seq,
        message: `seq ${e.rec!.seq} was edited: its content no longer matches its hash`,
      });
    }
    const ack = e.rec!.recovered;
    if (ack) {
      const idx = entries.indexOf(e);
      const prev = entries[idx - 1];
      if (!prev || !recoveredEntries.has(prev)) {
        findings.push({
          kind: 'deleted',
          file: e.file,
          line: e.line,
          seq: e.rec!.seq,
          message: `seq ${e.rec!.seq} recorded a torn record of ${ack.tornBytes} bytes before it, which is gone`,
        });
      }
    }
  }

  // 3. Order in the file, duplicates and forks.
  const bySeq = new Map<number, Entry>();
  let maxEntry: Entry | null = null;
  for (const e of records) {
    const r = e.rec as AuditRecord;
    const seen = bySeq.get(r.seq);
    if (seen) {
      const same = seen.rec!.hash === r.hash;
      findings.push({
        kind: same ? 'duplicated' : 'forked',
        file: e.file,
        line: e.line,
        seq: r.seq,
        message: same
          ? `seq ${r.seq} repeats the record at ${at(seen)}`
          : `seq ${r.seq} also appears at ${at(seen)} with different content: the chain forked (two writers without the lock?) or a record was forged`,
      });
      continue;
    }
    bySeq.set(r.seq, e);
    if (maxEntry && r.seq < maxEntry.rec!.seq) {
      findings.push({
        kind: 'reordered',
        file: e.file,
        line: e.line,
        seq: r.seq,
        message: `seq ${r.seq} (${at(e)}) comes after seq ${maxEntry.rec!.seq} (${at(maxEntry)}): records were moved out of order`,
      });
    }
    if (!maxEntry || r.seq > maxEntry.rec!.seq) maxEntry = e;
  }

  // 4. Gaps (deleted records) and the head of the chain.
  const seqs = [...bySeq.keys()].sort((a, b) => a - b);
  const first = seqs.length ? bySeq.get(seqs[0] as number)! : null;
  if (first) {
    const r = first.rec as AuditRecord;
    const isGenesis = r.seq === 1 && r.prevHash === GENESIS_HASH;
    // Rotated generations may have been archived away; a rotated file verified alone starts mid-chain.
    const anchoredElsewhere =
      opts.files !== undefined || files[0] !== file || /\.\d+\.[^./]+$/.test(basename(file));
    if (!isGenesis) {
      if (anchoredElsewhere)
        notes.push({
          file: first.file,
          line: first.line,
          message: `starts at seq ${r.seq} (earlier records are in files not verified here)`,
        });
      else
        findings.push({
          kind: 'deleted',
          file: first.file,
          line: first.line,
          seq: r.seq,
          message:
            r.seq > 1
              ? `seq 1–${r.seq - 1} missing: ${r.seq - 1} record(s) deleted before ${at(first)}`
              : `seq 1 does not start from the genesis hash: records before it were deleted`,
        });
    }
  }
  for (let i = 1; i < seqs.length; i++) {
    const a = seqs[i - 1] as number;
    const b = seqs[i] as number;
    const ea = bySeq.get(a)!;
    const eb = bySeq.get(b)!;
    if (b > a + 1) {
      findings.push({
        kind: 'deleted',
        file: eb.file,
        line: eb.line,
        seq: b,
        message: `${b - a - 1} record(s) deleted: seq ${a + 1}${b - a > 2 ? `–${b - 1}` : ''} missing between seq ${a} (${at(ea)}) and seq ${b} (${at(eb)})`,
      });
      continue;
    }
    // 5. Links: seq b must name seq a's hash.
    if (eb.rec!.prevHash !== ea.rec!.hash && !selfBad.has(ea) && !selfBad.has(eb)) {
      findings.push({
        kind: 'edited',
        file: ea.file,
        line: ea.line,
        seq: a,
        message: `seq ${a} was rewritten: its hash is not the one seq ${b} (${at(eb)}) recorded`,
      });
    }
  }

  findings.sort((x, y) => files.indexOf(x.file) - files.indexOf(y.file) || x.line - y.line);
  const last = seqs.length ? bySeq.get(seqs[seqs.length - 1] as number)!.rec! : null;
  return {
    ok: findings.length === 0,
    files,
    records: records.length,
    firstSeq: first?.rec?.seq ?? null,
    lastSeq: last?.seq ?? null,
    lastHash: last?.hash ?? null,
    findings,
    notes,
  };
}

export function formatVerifyReport(r: VerifyReport): string {
  const lines: string[] = [];
  const where =
    r.files.length === 0
      ? 'no audit file'
      : r.files.length === 1
        ? (r.files[0] as string)
        : `${r.files[r.files.length - 1]} (+${r.files.length - 1} rotated file(s))`;
  if (r.ok) {
    lines.push(
      r.records === 0
        ? `OK: ${where}: no records`
        : `OK: ${where}: ${r.records} record${r.records === 1 ? '' : 's'}, seq ${r.firstSeq}–${r.lastSeq}, chain intact (last hash ${r.lastHash?.slice(0, 16)}…)`,
    );
  } else {
    lines.push(`FAILED: ${where}: ${r.findings.length} problem(s) in ${r.records} records`);
    for (const f of r.findings)
      lines.push(
        `  ${basename(f.file)}:${f.line}${f.seq !== null ? ` seq ${f.seq}` : ''}: ${f.kind} — ${f.message}`,
      );
  }
  for (const n of r.notes) lines.push(`  note ${basename(n.file)}:${n.line}: ${n.message}`);
  return lines.join('\n');
}
