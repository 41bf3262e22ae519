/**
 * Append-only JSONL audit log. Every record is fsync'd before append() resolves; a failure rejects, and
 * callers (the policy gate) must not act when the record that precedes a mutation could not be written.
 *
 * - Hash chain: each record carries the previous record's hash and its own (SHA-256 over a canonical
 *   serialisation of every other field).
 * - Concurrent writers (several oncall processes, one file) take `<file>.lock` (see lock.ts) and re-read the
 *   tail under it, so they extend one chain.
 * - A torn last line (a crash mid-write) is terminated, and the next record names its length and SHA-256
 *   (`recovered`), so `oncall audit verify` can tell a recovered crash from an edit.
 * - Size-based rotation: audit.jsonl → audit.1.jsonl (older ones shift up); the chain continues in the new file.
 * - The file is created 0600 in a 0700 directory. Every string is redacted and stripped of control characters.
 * - Optional forwarders (syslog, webhook) receive each record after it is safely on disk; their failures are
 *   reported through `onForwardStatus`, never through append().
 */
import {
  closeSync,
  constants,
  fchmodSync,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { dirname } from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import type { AuditActor, AuditInput, AuditKubernetesIdentity, AuditRecord } from './record.js';
import { acquireLock } from './lock.js';
import {
  GENESIS_HASH,
  chainFiles,
  generationFile,
  listGenerations,
  readRecent,
  readTailFd,
} from './files.js';
import { cleanDeep } from './redact.js';
import type { AuditForwarder } from './forward.js';

export { GENESIS_HASH } from './files.js';

export class AuditWriteError extends Error {
  constructor(
    message: string,
    readonly file: string,
  ) {
    super(message);
    this.name = 'AuditWriteError';
  }
}

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

export interface ForwardStatus {
  forwarder: string;
  ok: boolean;
  error: string | null;
  at: number;
  /** seq of the last record this forwarder delivered. */
  lastSeq: number | null;
  failures: number;
}

/** The writer's extra surface (the plain AuditSink stays what the gate and procedures need). */
export interface AuditLog extends AuditSink {
  /** The Kubernetes adapter fills this once it learned who the cluster thinks we are (SelfSubjectReview). */
  setKubernetesIdentity(identity: AuditKubernetesIdentity | null): void;
  /** Stamp every following record that names no incident with this one. */
  setIncidentId(id: string | null): void;
  readonly actor: AuditActor;
  forwardStatus(): ForwardStatus[];
  /** Wait until forwarders delivered (or failed) everything appended so far, then close them. */
  close(): Promise<void>;
}

export interface AuditLogOptions {
  file: string;
  actor: AuditActor;
  version: string;
  mode: 'demo' | 'live';
  now?: () => number;
  /** Rotate when the active file would grow beyond this (default 16 MiB). */
  maxBytes?: number;
  /** How long to wait for another writer's lock before refusing (default 5 s). */
  lockTimeoutMs?: number;
  /** A lock older than this is taken to be left behind by a crash (default 30 s). */
  staleLockMs?: number;
  incidentId?: string;
  forwarders?: AuditForwarder[];
  onForwardStatus?: (status: ForwardStatus) => void;
}

export const DEFAULT_MAX_BYTES = 16 * 1024 * 1024;

function writeAll(fd: number, buf: Buffer): void {
  let off = 0;
  while (off < buf.length) {
    const n = writeSync(fd, buf, off, buf.length - off);
    if (n <= 0) throw new Error(`short write (${off} of ${buf.length} bytes)`);
    off += n;
  }
}

function fsyncDir(dir: string): void {
  const fd = openSync(dir, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

function rotate(file: string): void {
  const gens = listGenerations(file).sort((a, b) => b - a);
  for (const n of gens) renameSync(generationFile(file, n), generationFile(file, n + 1));
  renameSync(file, generationFile(file, 1));
  fsyncDir(dirname(file));
}

/** Read every record of the file set (oldest first); lines that do not parse are skipped. */
export function readAuditFile(file: string): AuditRecord[] {
  return readRecent(file, Number.MAX_SAFE_INTEGER);
}

/** A placeholder shown by readers when the file cannot be read; it is never written. */
function readErrorRecord(opts: AuditLogOptions, message: string, at: number): AuditRecord {
  return {
    id: 'read-error',
    seq: 0,
    ts: new Date(at).toISOString(),
    actor: opts.actor,
    version: opts.version,
    mode: opts.mode,
    prevHash: GENESIS_HASH,
    hash: GENESIS_HASH,
    procedure: 'audit',
    step: 'refused',
    service: '-',
    target: opts.file,
    outcome: 'failed',
    error: `audit log ${opts.file} cannot be read: ${message}`,
  };
}

export function createAuditLog(opts: AuditLogOptions): AuditLog {
  const now = opts.now ?? Date.now;
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BYTES;
  const actor: AuditActor = { ...opts.actor };
  let incidentId = opts.incidentId ?? null;
  let queue: Promise<unknown> = Promise.resolve();
  const forwarders = opts.forwarders ?? [];
  const forwardQueues = forwarders.map(() => Promise.resolve() as Promise<unknown>);
  const statuses: ForwardStatus[] = forwarders.map((f) => ({
    forwarder: f.name,
    ok: true,
    error: null,
    at: 0,
    lastSeq: null,
    failures: 0,
  }));

  function writeLocked(input: AuditInput): AuditRecord {
    mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
    let fd = openSync(opts.file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
    try {
      let st = fstatSync(fd);
      if (st.size === 0) fchmodSync(fd, 0o600);
      let tail = readTailFd(fd);
      if (!tail.last && !tail.torn && st.size === 0) {
        // Fresh active file: the chain continues from the newest rotated generation, if any.
        const prev = chainFiles(opts.file).filter((f) => f !== opts.file);
        const newest = prev[prev.length - 1];
        if (newest) {
          const pfd = openSync(newest, 'r');
          try {
            tail = { ...readTailFd(pfd), torn: null, size: 0 };
          } finally {
            closeSync(pfd);
          }
        }
      }
      const clean = cleanDeep({ ...input });
      const base: Omit<AuditRecord, 'hash'> = {
        ...clean,
        incidentId: clean.incidentId ?? incidentId ?? undefined,
        id: randomUUID(),
        seq: (tail.last?.seq ?? 0) + 1,
        ts: new Date(now()).toISOString(),
        actor: { ...actor },
        version: opts.version,
        mode: opts.mode,
        prevHash: tail.last?.hash ?? GENESIS_HASH,
        recovered: tail.torn ? { tornBytes: tail.torn.bytes, tornSha256: tail.torn.sha256 } : undefined,
      };
      const record: AuditRecord = { ...base, hash: recordHash(base) };
      const line = Buffer.from(`${JSON.stringify(record)}\n`, 'utf8');
      // Where to cut back to if this record cannot be completed: before the terminator below, too, so a
      // failed attempt never turns a torn tail into an unexplained line in the middle.
      let cutTo = st.size;
      if (tail.torn) {
        // Terminate the torn fragment so it stays a line of its own (evidence), never glued to this record.
        writeAll(fd, Buffer.from('\n'));
        st = fstatSync(fd);
      }
      if (st.size > 0 && st.size + line.length > maxBytes) {
        fsyncSync(fd);
        closeSync(fd);
        fd = -1;
        rotate(opts.file);
        fd = openSync(opts.file, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT, 0o600);
        fchmodSync(fd, 0o600);
        st = fstatSync(fd);
        cutTo = st.size;
      }
      try {
        writeAll(fd, line);
        fsyncSync(fd);
      } catch (err) {
        // Never leave half a record behind when we know it: cut back to where this record began.
        try {
          ftruncateSync(fd, cutTo);
          fsyncSync(fd);
        } catch (cutErr) {
          (err as Error).message += ` (and removing the partial record failed: ${(cutErr as Error).message})`;
        }
        throw err;
      }
      if (cutTo === 0) fsyncDir(dirname(opts.file));
      return record;
    } finally {
      if (fd >= 0) closeSync(fd);
    }
  }

  async function writeOne(input: AuditInput): Promise<AuditRecord> {
    let release: (() => void) | null = null;
    try {
      mkdirSync(dirname(opts.file), { recursive: true, mode: 0o700 });
      release = await acquireLock(opts.file, {
        timeoutMs: opts.lockTimeoutMs ?? 5000,
        staleMs: opts.staleLockMs ?? 30_000,
      });
      return writeLocked(input);
    } catch (err) {
      throw new AuditWriteError(
        `audit log ${opts.file} could not be written: ${(err as Error).message}`,
        opts.file,
      );
    } finally {
      release?.();
    }
  }

  function forward(record: AuditRecord): void {
    forwarders.forEach((f, i) => {
      forwardQueues[i] = (forwardQueues[i] as Promise<unknown>).then(() =>
        f.send(record).then(
          () => {
            statuses[i] = {
              ...(statuses[i] as ForwardStatus),
              ok: true,
              error: null,
              at: now(),
              lastSeq: record.seq,
            };
            opts.onForwardStatus?.(statuses[i] as ForwardStatus);
          },
          (err: Error) => {
            const prev = statuses[i] as ForwardStatus;
            statuses[i] = {
              ...prev,
              ok: false,
              error: `seq ${record.seq} not forwarded to ${f.name}: ${err.message}`,
              at: now(),
              failures: prev.failures + 1,
            };
            opts.onForwardStatus?.(statuses[i] as ForwardStatus);
          },
        ),
      );
    });
  }

  return {
    file: opts.file,
    get actor() {
      return { ...actor };
    },
    append(input) {
      const next = queue.then(() => writeOne(input));
      // Forwarding is queued before the next write may start, so forwarders see records in chain order.
      void next.then(forward, () => undefined);
      queue = next.catch(() => undefined);
      return next;
    },
    recent(limit) {
      try {
        return readRecent(opts.file, limit);
      } catch (err) {
        // Reading is for display; the reason is shown instead of records (writes report their own errors).
        return [readErrorRecord(opts, (err as Error).message, now())];
      }
    },
    setKubernetesIdentity(identity) {
      if (identity) actor.kubernetes = cleanDeep(identity);
      else delete actor.kubernetes;
    },
    setIncidentId(id) {
      incidentId = id;
    },
    forwardStatus() {
      return statuses.map((s) => ({ ...s }));
    },
    async close() {
      await queue;
      await Promise.all(forwardQueues);
      await Promise.all(forwarders.map((f) => f.close()));
    },
  };
}
