/** What the Procedure screen renders: a plain, serialisable view of the current step. */
export type ProcedureStep =
  | 'planning'
  | 'choose'
  | 'confirm'
  | 'executing'
  | 'progress'
  | 'verifying'
  | 'done'
  | 'failed'
  | 'refused'
  | 'cancelled';

export interface VerifyCheck {
  name: string;
  ok: boolean | null;
  detail: string;
}

export interface ProcedureView {
  kind: string;
  title: string;
  service: string;
  /** What is being changed, e.g. deployment/checkout-api. */
  target?: string;
  step: ProcedureStep;
  context?: string;
  namespace?: string;
  production: boolean;
  choice?: { prompt: string; options: { label: string; value: string }[]; initial: string };
  preview: string[];
  confirm: { mode: 'typed' | 'yes-no'; expected: string; typed: string; error: string | null };
  progress?: { done: number; total: number; message: string };
  checks: VerifyCheck[];
  message: string | null;
  error: string | null;
  auditIds: string[];
  /** After a failure: what had been changed so far (empty or absent when nothing was). */
  changes?: string[];
  /** After a failure: a one-step revert is offered (the procedure has one and something changed). */
  revertable?: boolean;
  /** After a verified change: the inverse, offered as a new procedure (u). */
  undo?: UndoOffer;
}

/** The inverse of a finished change: another procedure of `kind`, its choice preset to `choice`. */
export interface UndoOffer {
  kind: string;
  choice?: string;
  label: string;
}
