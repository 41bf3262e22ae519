/**
 * A cross-process lock for the audit file: `<file>.lock`, created with O_CREAT|O_EXCL and holding
 * "pid host startedAtMs". Writers hold it for one append (read tail, write, fsync), i.e. milliseconds.
 *
 * A lock is stale when its holder is a dead process on this host (kill(pid, 0) → ESRCH), or when it is older
 * than `staleMs` (a holder on another host, or a reused pid). Breaking a stale lock is itself done under a
 * second O_EXCL file (`<file>.lock.break`) and only after re-reading the lock, so two waiters that both saw
 * the same stale lock cannot remove each other's fresh one.
 */
import {
  closeSync,
  openSync,
  readFileSync,
  statSync,
  unlinkSync,
  writeFileSync,
  writeSync,
  constants,
} from 'node:fs';
import { hostname } from 'node:os';

export class AuditLockTimeout extends Error {
  constructor(
    message: string,
    readonly lockFile: string,
  ) {
    super(message);
    this.name = 'AuditLockTimeout';
  }
}

export interface LockOptions {
  timeoutMs: number;
  staleMs: number;
}

interface Holder {
  pid: number | null;
  host: string | null;
  since: number | null;
  raw: string;
  mtimeMs: number;
}

function errCode(err: unknown): string | undefined {
  return (err as NodeJS.ErrnoException)?.code;
}

function tryCreate(path: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, constants.O_CREAT | constants.O_EXCL | constants.O_WRONLY, 0o600);
  } catch (err) {
    if (errCode(err) === 'EEXIST') return false;
    throw err;
  }
  try {
    writeSync(fd, `${process.pid} ${hostname()} ${Date.now()}\n`);
  } finally {
    closeSync(fd);
  }
  return true;
}

function readHolder(path: string): Holder | null {
  try {
    const raw = readFileSync(path, 'utf8');
    const mtimeMs = statSync(path).mtimeMs;
    const [pid, host, since] = raw.trim().split(/\s+/);
    return {
      pid: pid && /^\d+$/.test(pid) ? Number(pid) : null,
      host: host ?? null,
      since: since && /^\d+$/.test(since) ? Number(since) : null,
      raw,
      mtimeMs,
    };
  } catch (err) {
    if (errCode(err) === 'ENOENT') return null; // released between our attempt and this read
    throw err;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    // EPERM: it exists but belongs to someone else.
    return errCode(err) === 'EPERM';
  }
}

/** Why a holder is stale, or null when it may still be writing. */
export function staleReason(h: Holder, staleMs: number, now = Date.now()): string | null {
  const age = now - (h.since ?? h.mtimeMs);
  if (h.host === hostname() && h.pid !== null && h.pid !== process.pid && !processAlive(h.pid))
    return `holder pid ${h.pid} is gone`;
  if (h.pid === null && now - h.mtimeMs > 2000) return 'lock file is empty or garbled';
  if (age > staleMs) return `held for ${Math.round(age / 1000)}s`;
  return null;
}

function breakIfStale(path: string, staleMs: number): boolean {
  const breaker = `${path}.break`;
  if (!tryCreate(breaker)) {
    // Someone else is breaking it; a breaker left by a crash is removed once old.
    const b = readHolder(breaker);
    if (b && Date.now() - b.mtimeMs > staleMs) unlinkSync(breaker);
    return false;
  }
  try {
    const h = readHolder(path);
    if (h === null) return true;
    if (staleReason(h, staleMs) === null) return false;
    unlinkSync(path);
    return true;
  } finally {
    unlinkSync(breaker);
  }
}

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Fairness: a waiter leaves its pid in `<file>.lock.waiting`; a process about to take the lock again right
 * after releasing it first yields briefly when someone else is waiting. Without this, a busy writer re-takes
 * the lock microseconds after releasing it and a polling waiter could starve into a lock timeout.
 */
function someoneElseWaiting(waiting: string): boolean {
  try {
    const st = statSync(waiting);
    if (Date.now() - st.mtimeMs > 1000) return false;
    const pid = Number(readFileSync(waiting, 'utf8').trim());
    return pid !== process.pid && Number.isInteger(pid) && pid > 0 && processAlive(pid);
  } catch (err) {
    if (errCode(err) === 'ENOENT') return false;
    throw err;
  }
}

function clearOwnWaiting(waiting: string): void {
  try {
    if (readFileSync(waiting, 'utf8').trim() === String(process.pid)) unlinkSync(waiting);
  } catch (err) {
    if (errCode(err) !== 'ENOENT') throw err;
  }
}

/** Acquire `<file>.lock`; resolves to a release function. Rejects with AuditLockTimeout after timeoutMs. */
export async function acquireLock(file: string, opts: LockOptions): Promise<() => void> {
  const path = `${file}.lock`;
  const waiting = `${path}.waiting`;
  const deadline = Date.now() + opts.timeoutMs;
  let wait = 1;
  let announcedAt = 0;
  if (someoneElseWaiting(waiting)) await sleep(3);
  for (;;) {
    if (tryCreate(path)) {
      if (announcedAt) clearOwnWaiting(waiting);
      return () => {
        try {
          unlinkSync(path);
        } catch (err) {
          if (errCode(err) !== 'ENOENT') throw err;
        }
      };
    }
    const h = readHolder(path);
    if (h && staleReason(h, opts.staleMs) !== null && breakIfStale(path, opts.staleMs)) continue;
    if (Date.now() >= deadline) {
      const who = h
        ? `held by pid ${h.pid ?? '?'} on ${h.host ?? '?'} since ${h.since ? new Date(h.since).toISOString() : '?'}`
        : 'contended';
      throw new AuditLockTimeout(
        `audit lock ${path} not acquired within ${opts.timeoutMs} ms (${who}); if no oncall is running, remove it`,
        path,
      );
    }
    if (Date.now() - announcedAt > 200) {
      writeFileSync(waiting, `${process.pid}\n`, { mode: 0o600 });
      announcedAt = Date.now();
    }
    await sleep(wait + Math.random() * wait);
    wait = Math.min(wait * 2, 2);
  }
}

/**
 * Run `fn` holding the writers' lock when that is possible, so a reader never mistakes a write in progress
 * for a torn record. When the lock cannot be had (a read-only directory, a busy writer), `fn` still runs
 * and the caller is told why it ran unlocked.
 */
export async function withLockIfPossible<T>(
  file: string,
  timeoutMs: number,
  fn: () => T,
): Promise<{ value: T; unlockedBecause: string | null }> {
  let release: (() => void) | null = null;
  let why: string | null = null;
  try {
    release = await acquireLock(file, { timeoutMs, staleMs: 30_000 });
  } catch (err) {
    why = (err as Error).message;
  }
  try {
    return { value: fn(), unlockedBecause: why };
  } finally {
    release?.();
  }
}
