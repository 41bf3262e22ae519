/**
 * Procedures that were started but never finished (a crash, an SSH drop, a kill): found in the audit trail
 * at start-up and offered for inspection. A procedure whose writer is still alive on this host is "running
 * elsewhere", not abandoned. Closing one after inspection appends a "finished/interrupted" record that says so.
 */
import type { AuditRecord } from './record.js';

export interface UnfinishedProcedure {
  operationId: string;
  procedure: string;
  service: string;
  target: string;
  startedAt: number;
  user: string;
  host: string;
  pid: number | null;
  /** The last step recorded for it: started, executed (acted, never verified) or interrupted. */
  lastStep: string;
  lastDetail: string | null;
  /** running: its process is still alive on this host; otherwise it ended without finishing. */
  state: 'abandoned' | 'interrupted' | 'running';
  incidentId: string | null;
}

export interface UnfinishedOptions {
  host: string;
  isAlive: (pid: number) => boolean;
  /** Ignore our own process's operations (they are on screen). */
  selfPid?: number;
}

export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Records oldest first. */
export function findUnfinished(records: AuditRecord[], opts: UnfinishedOptions): UnfinishedProcedure[] {
  const started = new Map<string, AuditRecord>();
  const last = new Map<string, AuditRecord>();
  for (const r of records) {
    if (r.step === 'started' && !r.operationId) {
      started.set(r.id, r);
      last.set(r.id, r);
    } else if (r.operationId && started.has(r.operationId)) {
      last.set(r.operationId, r);
    }
  }
  const out: UnfinishedProcedure[] = [];
  for (const [id, s] of started) {
    const l = last.get(id) as AuditRecord;
    if (l.step === 'finished' || l.step === 'refused') continue;
    // Best-effort side notes (a Kubernetes Event) end at "executed" by design.
    if (l.step === 'executed' && s.procedure.endsWith(':announce')) continue;
    const pid = typeof s.actor.pid === 'number' ? s.actor.pid : null;
    if (pid !== null && pid === opts.selfPid && s.actor.host === opts.host) continue;
    const running =
      pid !== null && s.actor.host === opts.host && l.step !== 'interrupted' && opts.isAlive(pid);
    out.push({
      operationId: id,
      procedure: s.procedure,
      service: s.service,
      target: s.target,
      startedAt: Date.parse(s.ts),
      user: s.actor.user,
      host: s.actor.host,
      pid,
      lastStep: l.step,
      lastDetail: l.detail ?? l.error ?? null,
      state: running ? 'running' : l.step === 'interrupted' ? 'interrupted' : 'abandoned',
      incidentId: s.incidentId ?? null,
    });
  }
  return out.sort((a, b) => b.startedAt - a.startedAt);
}

function ago(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 90) return `${s} s ago`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min ago`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h ago`;
  return `${Math.round(h / 24)} days ago`;
}

/** "rollback of checkout-api started 3 min ago by alice did not finish — inspect?" */
export function describeUnfinished(u: UnfinishedProcedure, now: number): string {
  const who = `${u.user}${u.host ? `@${u.host}` : ''}`;
  const base = `${u.procedure} of ${u.service} started ${ago(now - u.startedAt)} by ${who}`;
  if (u.state === 'running') return `${base} is still running (pid ${u.pid})`;
  const why = u.state === 'interrupted' ? ` (interrupted${u.lastDetail ? `: ${u.lastDetail}` : ''})` : '';
  const where = u.lastStep === 'executed' ? ', acted but never verified' : '';
  return `${base} did not finish${where}${why} — inspect?`;
}
