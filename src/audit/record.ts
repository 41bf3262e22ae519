/** The shape of one audit record. */
export interface AuditActor {
  user: string;
  sshClient: string | null;
  host: string;
}

export type AuditStep = 'started' | 'executed' | 'finished' | 'refused' | 'interrupted';
export type AuditOutcome = 'pending' | 'success' | 'failed' | 'refused' | 'cancelled' | 'interrupted';

export interface AuditInput {
  procedure: string;
  step: AuditStep;
  service: string;
  target: string;
  context?: string;
  namespace?: string;
  from?: string;
  to?: string;
  preview?: string[];
  confirmation?: string;
  outcome: AuditOutcome;
  detail?: string;
  error?: string;
  durationMs?: number;
  /** Id of the "started" record this one belongs to. */
  operationId?: string;
  incidentId?: string;
}

export interface AuditRecord extends AuditInput {
  id: string;
  seq: number;
  ts: string;
  actor: AuditActor;
  version: string;
  mode: 'demo' | 'live';
  prevHash: string;
  hash: string;
}
