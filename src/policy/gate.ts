/**
 * The policy gate: the only road from a procedure to a mutating port.
 *   read-only?  -> refused, with the reason, and nothing else happens
 *   RBAC?       -> re-checked right before acting
 *   audit       -> a "started" record is written and fsync'd first; if that fails, nothing is changed
 *   act         -> the port call
 *   audit       -> an "executed" record with the result (the procedure later writes "finished")
 */
import type { AuditInput, AuditRecord } from '../audit/record.js';
import type { AuditSink } from '../audit/log.js';
import type { MutatePorts } from '../adapters/ports.js';

export interface GateRequest {
  procedure: string;
  service: string;
  target: string;
  context?: string;
  namespace?: string;
  from?: string;
  to?: string;
  preview: string[];
  confirmation?: string;
  incidentId?: string;
}

export type GateResult<T> =
  | { ok: true; value: T; started: AuditRecord; executed: AuditRecord | null }
  | { ok: false; refused: true; reason: string }
  | { ok: false; refused: false; reason: string; started: AuditRecord; error: Error };

export interface PermissionCheck {
  (request: GateRequest): Promise<{ allowed: boolean; reason?: string }>;
}

export interface Gate {
  readonly readOnly: boolean;
  readonly readOnlyReason: string | null;
  run<T>(
    request: GateRequest,
    act: (ports: MutatePorts) => Promise<T>,
    describe?: (value: T) => string,
  ): Promise<GateResult<T>>;
  /** Append a follow-up record (verification, finished) to an operation started through this gate. */
  record(
    started: AuditRecord,
    input: Omit<AuditInput, 'procedure' | 'service' | 'target' | 'operationId'>,
  ): Promise<AuditRecord>;
}

export interface GateOptions {
  /** null in read-only mode: the mutating ports are never constructed. */
  mutate: MutatePorts | null;
  readOnlyReason: string | null;
  audit: AuditSink;
  permissions?: PermissionCheck;
  now?: () => number;
}

export function createGate(opts: GateOptions): Gate {
  const now = opts.now ?? Date.now;
  const readOnly = opts.mutate === null;
  return {
    readOnly,
    readOnlyReason: opts.readOnlyReason,
    async run(request, act, describe) {
      if (opts.mutate === null) {
        return { ok: false, refused: true, reason: opts.readOnlyReason ?? 'read-only mode' };
      }
      if (opts.permissions) {
        const check = await opts.permissions(request);
        if (!check.allowed) return { ok: false, refused: true, reason: check.reason ?? 'not permitted' };
      }
      let started: AuditRecord;
      try {
        started = await opts.audit.append({ ...request, step: 'started', outcome: 'pending' });
      } catch (err) {
        return { ok: false, refused: true, reason: `refused: ${(err as Error).message}` };
      }
      const t0 = now();
      try {
        const value = await act(opts.mutate);
        let executed: AuditRecord | null = null;
        try {
          executed = await opts.audit.append({
            procedure: request.procedure,
            service: request.service,
            target: request.target,
            context: request.context,
            namespace: request.namespace,
            step: 'executed',
            outcome: 'pending',
            detail: describe ? describe(value) : undefined,
            durationMs: now() - t0,
            operationId: started.id,
            incidentId: request.incidentId,
          });
        } catch (err) {
          // The change happened; the operator must know the trail is incomplete.
          return {
            ok: false,
            refused: false,
            reason: `acted, but the audit record failed: ${(err as Error).message}`,
            started,
            error: err as Error,
          };
        }
        return { ok: true, value, started, executed };
      } catch (err) {
        const error = err as Error;
        await opts.audit
          .append({
            procedure: request.procedure,
            service: request.service,
            target: request.target,
            context: request.context,
            namespace: request.namespace,
            step: 'finished',
            outcome: 'failed',
            error: error.message,
            durationMs: now() - t0,
            operationId: started.id,
            incidentId: request.incidentId,
          })
          .catch((auditErr: Error) => {
            error.message = `${error.message} (and the audit record failed: ${auditErr.message})`;
          });
        return { ok: false, refused: false, reason: error.message, started, error };
      }
    },
    record(started, input) {
      return opts.audit.append({
        ...input,
        procedure: started.procedure,
        service: started.service,
        target: started.target,
        context: started.context,
        namespace: started.namespace,
        operationId: started.id,
        incidentId: started.incidentId,
      });
    },
  };
}
