/** The shape of one audit record. */
export interface AuditActor {
  user: string;
  sshClient: string | null;
  host: string;
  /** The writing process (tells "in progress elsewhere" from "crashed" for unfinished procedures). */
  pid?: number;
  /** Kubernetes identity (SelfSubjectReview) where the cluster adapter could learn it. */
  kubernetes?: AuditKubernetesIdentity;
}

export interface AuditKubernetesIdentity {
  username: string;
  uid?: string;
  groups?: string[];
  context?: string;
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
  /**
   * Set by the writer when it found a torn last line (a crash mid-write) and terminated it before writing
   * this record: the fragment's length and SHA-256, so the verifier can tell a recovered crash from an edit.
   */
  recovered?: { tornBytes: number; tornSha256: string };
}
