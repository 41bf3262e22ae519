/**
 * A postmortem-ready timeline of one incident from the audit trail: every operation (a "started" record and
 * the records that name it) with when, who, what, outcome and durations, in time order; plus every record
 * as an event. Rendered as Markdown (paste into the postmortem) or JSON.
 */
import type { AuditActor, AuditRecord } from './record.js';

export interface TimelineOperation {
  operationId: string;
  startedAt: string;
  endedAt: string | null;
  /** From "started" to the closing record (finished/interrupted); null while unfinished. */
  durationMs: number | null;
  /** The port call alone (the "executed" record's duration). */
  actMs: number | null;
  who: string;
  procedure: string;
  service: string;
  target: string;
  change: string;
  confirmation: string | null;
  outcome: string;
  detail: string | null;
}

export interface TimelineEvent {
  at: string;
  seq: number;
  who: string;
  procedure: string;
  service: string;
  step: string;
  outcome: string;
  text: string;
  operationId: string | null;
}

export interface Timeline {
  incidentId: string;
  from: string | null;
  to: string | null;
  spanMs: number | null;
  operations: TimelineOperation[];
  events: TimelineEvent[];
}

export function who(a: AuditActor): string {
  return (
    `${a.user}@${a.host}` +
    (a.sshClient ? ` (ssh ${a.sshClient})` : '') +
    (a.kubernetes ? ` [k8s ${a.kubernetes.username}]` : '')
  );
}

export function buildTimeline(records: AuditRecord[], incidentId: string): Timeline {
  const mine = records
    .filter((r) => r.incidentId === incidentId)
    .sort((a, b) => a.ts.localeCompare(b.ts) || a.seq - b.seq);
  const byOp = new Map<string, AuditRecord[]>();
  for (const r of mine) {
    const op = r.operationId ?? (r.step === 'started' ? r.id : null);
    if (!op) continue;
    byOp.set(op, [...(byOp.get(op) ?? []), r]);
  }
  const operations: TimelineOperation[] = [];
  for (const [id, rs] of byOp) {
    const s = rs.find((r) => r.id === id);
    if (!s) continue; // its "started" record belongs to another incident or file
    const executed = rs.find((r) => r.step === 'executed');
    // Best-effort side notes (a Kubernetes Event about the change) end at "executed" by design.
    const note = s.procedure.endsWith(':announce');
    const end =
      [...rs].reverse().find((r) => r.step === 'finished' || r.step === 'interrupted') ??
      (note ? executed : undefined);
    const change = `${s.from ?? ''}${s.to ? ` → ${s.to}` : ''}`.trim() || s.target;
    operations.push({
      operationId: id,
      startedAt: s.ts,
      endedAt: end?.ts ?? null,
      durationMs: end ? Date.parse(end.ts) - Date.parse(s.ts) : null,
      actMs: executed?.durationMs ?? null,
      who: who(s.actor),
      procedure: s.procedure,
      service: s.service,
      target: s.target,
      change,
      confirmation: s.confirmation ?? null,
      outcome: end ? (end === executed && note ? 'posted' : end.outcome) : 'did not finish',
      detail: end ? (end.error ?? end.detail ?? null) : (executed?.detail ?? null),
    });
  }
  operations.sort((a, b) => a.startedAt.localeCompare(b.startedAt));
  const events: TimelineEvent[] = mine.map((r) => ({
    at: r.ts,
    seq: r.seq,
    who: who(r.actor),
    procedure: r.procedure,
    service: r.service,
    step: r.step,
    outcome: r.outcome,
    text: r.error ?? r.detail ?? (r.step === 'started' ? `${r.from ?? ''} → ${r.to ?? ''}` : ''),
    operationId: r.operationId ?? (r.step === 'started' ? r.id : null),
  }));
  const from = mine[0]?.ts ?? null;
  const to = mine[mine.length - 1]?.ts ?? null;
  return {
    incidentId,
    from,
    to,
    spanMs: from && to ? Date.parse(to) - Date.parse(from) : null,
    operations,
    events,
  };
}

export function formatDuration(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 1000) return `${ms} ms`;
  const s = Math.round(ms / 100) / 10;
  if (s < 60) return `${s} s`;
  const whole = Math.round(ms / 1000);
  const m = Math.floor(whole / 60);
  const rest = whole % 60;
  if (m < 60) return `${m} min ${rest} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

const cell = (s: string) => s.replace(/\|/g, '\\|');
const hhmmss = (ts: string) => ts.slice(11, 19);

export function timelineMarkdown(t: Timeline, source: { file: string; chain: string }): string {
  const out: string[] = [];
  out.push(`# Incident ${t.incidentId}: audit timeline`, '');
  out.push(`- Source: \`${source.file}\` (${source.chain})`);
  if (t.from && t.to) out.push(`- Window: ${t.from} – ${t.to} UTC (${formatDuration(t.spanMs)})`);
  else out.push('- No audit records name this incident.');
  out.push(`- Operations: ${t.operations.length}; records: ${t.events.length}`, '');
  out.push('## Operations', '');
  out.push('| Started (UTC) | Ended | Who | What | Confirmed with | Outcome | Duration | Act |');
  out.push('|---|---|---|---|---|---|---|---|');
  for (const o of t.operations) {
    out.push(
      `| ${hhmmss(o.startedAt)} | ${o.endedAt ? hhmmss(o.endedAt) : '—'} | ${cell(o.who)} | ${cell(`${o.procedure} ${o.service}: ${o.change}`)} | ${cell(o.confirmation ?? '—')} | ${cell(o.outcome)}${o.detail ? ` (${cell(o.detail)})` : ''} | ${formatDuration(o.durationMs)} | ${formatDuration(o.actMs)} |`,
    );
  }
  out.push('', '## Events', '');
  for (const e of t.events)
    out.push(
      `- ${hhmmss(e.at)} #${e.seq} ${cell(e.who)}: ${e.procedure} ${e.service} ${e.step} → ${e.outcome}${e.text ? `: ${e.text}` : ''}`,
    );
  return `${out.join('\n')}\n`;
}
