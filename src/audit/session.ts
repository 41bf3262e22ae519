/**
 * The audit trail as the running app sees it: records for the Audit screen, the chain's verification state,
 * unfinished procedures (banner + Audit screen) and forwarding status, all kept in the store's `auditView`.
 * Screens reach it through `auditSession(store)` (so no service plumbing is needed in the React tree).
 */
import { hostname } from 'node:os';
import type { AppStore, AuditViewState } from '../state/store.js';
import { underlyingStore } from '../state/render-store.js';
import type { AuditRecord } from './record.js';
import type { AuditLog, ForwardStatus } from './log.js';
import { formatVerifyReport, verifyAuditFile } from './verify.js';
import { findUnfinished, processAlive } from './unfinished.js';
import { withLockIfPossible } from './lock.js';

export interface AuditSession {
  readonly file: string;
  /** Re-read the newest records into the store. */
  reload(): void;
  /** Verify the whole file set (rotated generations too) and store the result. */
  verify(): void;
  /** Look for procedures that were started but never finished. */
  scanUnfinished(): void;
  /** Show only one operation's records (null: all). */
  inspect(operationId: string | null): void;
  /** After inspection: append a record that closes an unfinished procedure (it says who and why). */
  closeUnfinished(operationId: string): Promise<void>;
}

const sessions = new WeakMap<AppStore, AuditSession>();

export function auditSession(store: AppStore): AuditSession | null {
  // The UI holds a render store (src/state/render-store.ts); the session belongs to the store behind it.
  return sessions.get(underlyingStore(store)) ?? null;
}

export const RECENT_LIMIT = 500;
const SCAN_LIMIT = 5000;

export function attachAuditSession(store: AppStore, log: AuditLog, now: () => number): AuditSession {
  const view = () => store.getState().auditView;
  const setView = (p: Partial<AuditViewState>) => store.setState({ auditView: { ...view(), ...p } });

  const verifyNow = async () => {
    try {
      // Under the writers' lock when possible, so a record being written is not taken for a torn one.
      const { value: report } = await withLockIfPossible(log.file, 1000, () => verifyAuditFile(log.file));
      const text = formatVerifyReport(report).split('\n');
      // The screen names the file elsewhere; the summary stays short enough for 80 columns.
      const summary = report.ok
        ? `OK: ${report.records} record${report.records === 1 ? '' : 's'}${report.records ? `, seq ${report.firstSeq}–${report.lastSeq}` : ''}, chain intact${report.files.length > 1 ? ` (${report.files.length} files)` : ''}`
        : `FAILED: ${report.findings.length} problem(s) in ${report.records} records`;
      setView({
        verify: {
          state: report.ok ? 'ok' : 'failed',
          summary,
          problems: text.slice(1).map((l) => l.trim()),
          checkedAt: now(),
        },
      });
    } catch (err) {
      setView({
        verify: {
          state: 'error',
          summary: `cannot verify ${log.file}: ${(err as Error).message}`,
          problems: [],
          checkedAt: now(),
        },
      });
    }
  };

  const session: AuditSession = {
    file: log.file,
    reload() {
      store.setState({ audit: log.recent(RECENT_LIMIT) });
    },
    verify() {
      if (view().verify.state === 'checking') return;
      setView({ verify: { ...view().verify, state: 'checking', summary: 'verifying the chain…' } });
      // Next macrotask: the "verifying" state reaches the screen before the (synchronous) pass over the files.
      setTimeout(() => void verifyNow(), 0);
    },
    scanUnfinished() {
      let records: AuditRecord[];
      try {
        records = log.recent(SCAN_LIMIT).filter((r) => r.id !== 'read-error');
      } catch (err) {
        setView({ verify: { ...view().verify, state: 'error', summary: (err as Error).message } });
        return;
      }
      setView({
        unfinished: findUnfinished(records, {
          host: hostname(),
          isAlive: processAlive,
          selfPid: process.pid,
        }),
      });
    },
    inspect(operationId) {
      setView({ operationId, offset: 0 });
    },
    async closeUnfinished(operationId) {
      const u = view().unfinished.find((x) => x.operationId === operationId);
      if (!u) return;
      await log.append({
        procedure: u.procedure,
        service: u.service,
        target: u.target,
        step: 'finished',
        outcome: 'interrupted',
        operationId,
        incidentId: u.incidentId ?? undefined,
        detail: `closed after inspection by ${log.actor.user}: the session that started it (${u.user}@${u.host}${u.pid ? ` pid ${u.pid}` : ''}) ended without finishing; last step was "${u.lastStep}"`,
      });
      session.scanUnfinished();
      session.reload();
    },
  };
  sessions.set(store, session);
  setView({ file: log.file });
  return session;
}

/** Forwarding status as the header shows it. */
export function onForwardStatus(store: AppStore) {
  return (s: ForwardStatus) => {
    const cur = store.getState().auditView;
    const rest = cur.forward.filter((f) => f.forwarder !== s.forwarder);
    store.setState({ auditView: { ...cur, forward: [...rest, s] } });
  };
}

/** Records shown on the Audit screen: newest last; every filter word must match (case-insensitive). */
export function filterAuditRecords(
  records: AuditRecord[],
  filter: string,
  operationId: string | null,
): AuditRecord[] {
  const words = filter.toLowerCase().split(/\s+/).filter(Boolean);
  return records.filter((r) => {
    if (operationId && r.id !== operationId && r.operationId !== operationId) return false;
    if (!words.length) return true;
    const hay = [
      r.procedure,
      r.service,
      r.step,
      r.outcome,
      r.actor.user,
      r.actor.host,
      r.target,
      r.incidentId ?? '',
      r.to ?? '',
      r.error ?? '',
      r.detail ?? '',
    ]
      .join(' ')
      .toLowerCase();
    return words.every((w) => hay.includes(w));
  });
}
