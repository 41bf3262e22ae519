/**
 * The step machine shared by every procedure:
 *   choose (optional) → preview + confirm → gate (read-only, RBAC, audit "started") → act
 *   → follow progress → verify → audit "finished" → done | failed
 * Esc cancels at any step before acting. A precondition failure (the target changed since the preview)
 * re-plans and asks again; it is never retried blindly.
 * Optional: `prepare` plans asynchronously before the preview (step "planning"; a failure there refuses
 * with nothing changed). After a failure, `changes` says what had changed so far and, when a spec has a
 * `revert`, the operator may undo it in one step (confirm → gate as "<kind>:revert" → follow → verify).
 */
import type { MutatePorts } from '../adapters/ports.js';
import { PreconditionFailed } from '../adapters/ports.js';
import type { Gate, GateRequest } from '../policy/gate.js';
import type { AuditRecord } from '../audit/record.js';
import type { AppStore } from '../state/store.js';
import type { ProcedureView, VerifyCheck, UndoOffer } from './view.js';

export interface ProcedureSpec<P> {
  kind: string;
  title: string;
  service: string;
  target: string;
  context?: string;
  namespace?: string;
  production: boolean;
  initialPlan: P;
  choice?: {
    prompt: string;
    options: (plan: P) => { label: string; value: string }[];
    initial: (plan: P) => string;
    apply: (plan: P, value: string) => P;
  };
  preview(plan: P): string[];
  /**
   * A stricter confirmation for this plan (e.g. a scale outside the HPA's bounds asks to type the count):
   * overrides the default (typed name in production, y/N elsewhere) when it returns a value.
   */
  confirmFor?(plan: P): { mode: 'typed' | 'yes-no'; expected: string } | undefined;
  from(plan: P): string;
  to(plan: P): string;
  /** A fresh plan after a precondition failure (the world moved on since the preview). */
  replan(): Promise<P>;
  /** The mutation itself (dry run first where the backend supports it). */
  execute(ports: MutatePorts, plan: P): Promise<string>;
  /** Best-effort notes for others (a Kubernetes Event); failures are shown, not fatal. */
  announce?(ports: MutatePorts, plan: P, started: AuditRecord): Promise<void>;
  /** Follow the change until it settled; report progress; throw when it cannot finish. */
  follow?(
    plan: P,
    report: (p: NonNullable<ProcedureView['progress']>) => void,
    isCancelled: () => boolean,
  ): Promise<void>;
  /** One verification attempt. The machine repeats it until all checks pass or time runs out. */
  verify(plan: P): Promise<VerifyCheck[]>;
  /** A short restatement shown instead of a long preview once acting began (room for progress and checks). */
  summary?(plan: P): string[];
  /** Plan from remote state before the preview; `initialPlan` is only a placeholder until it resolves. */
  prepare?(): Promise<P>;
  /** What has been changed so far (shown after a failure; empty when nothing changed). */
  changes?(plan: P): string[];
  /** Undo what `changes` lists, offered after a failure (never automatically). */
  revert?: RevertSpec<P>;
  /** The inverse of this change once it is verified (offered as u: a new, fully previewed procedure). */
  undo?: (plan: P) => UndoOffer | null;
}

export interface RevertSpec<P> {
  preview(plan: P): string[];
  summary?(plan: P): string[];
  execute(ports: MutatePorts, plan: P): Promise<string>;
  follow?(
    plan: P,
    report: (p: NonNullable<ProcedureView['progress']>) => void,
    isCancelled: () => boolean,
  ): Promise<void>;
  verify?(plan: P): Promise<VerifyCheck[]>;
}

export interface MachineDeps {
  store: AppStore;
  gate: Gate;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  /** How long verification may take (app clock) and how often it is retried (real time). */
  verifyTimeoutMs?: number;
  verifyIntervalMs?: number;
  onFinished?: () => void;
  /** Skip the choose step with this option (an undo opens with the inverse already chosen). */
  preset?: string;
}

export class ProcedureMachine<P> {
  private plan: P;
  private cancelled = false;
  private busy = false;

  constructor(
    private readonly spec: ProcedureSpec<P>,
    private readonly deps: MachineDeps,
  ) {
    this.plan = spec.initialPlan;
    const view: ProcedureView = {
      kind: spec.kind,
      title: spec.title,
      service: spec.service,
      target: spec.target,
      step: spec.choice ? 'choose' : 'confirm',
      context: spec.context,
      namespace: spec.namespace,
      production: spec.production,
      choice:
        spec.choice && !spec.prepare
          ? {
              prompt: spec.choice.prompt,
              options: spec.choice.options(this.plan),
              initial: spec.choice.initial(this.plan),
            }
          : undefined,
      preview: spec.prepare ? [] : spec.preview(this.plan),
      confirm: spec.confirmFor?.(this.plan)
        ? { ...spec.confirmFor(this.plan)!, typed: '', error: null }
        : { mode: spec.production ? 'typed' : 'yes-no', expected: spec.service, typed: '', error: null },
      checks: [],
      message: null,
      error: null,
      auditIds: [],
    };
    if (spec.prepare) {
      view.step = 'planning';
      view.choice = undefined;
      view.preview = ['reading the current state…'];
      deps.store.setState({ procedure: view });
      void this.prepare(spec.prepare);
      return;
    }
    deps.store.setState({ procedure: view });
    const preset = deps.preset;
    if (preset !== undefined && view.step === 'choose') {
      if (view.choice?.options.some((o) => o.value === preset)) this.choose(preset);
      else this.update({ message: `the undo target (${preset}) is no longer available; choose another` });
    }
  }

  private async prepare(load: () => Promise<P>): Promise<void> {
    try {
      this.plan = await load();
    } catch (err) {
      if (this.cancelled) return;
      this.update({
        step: 'refused',
        preview: [],
        error: (err as Error).message,
        message: 'nothing was changed',
      });
      return;
    }
    if (this.cancelled || this.view.step !== 'planning') return;
    const c = this.spec.choice;
    this.update({
      step: c ? 'choose' : 'confirm',
      preview: this.spec.preview(this.plan),
      choice: c
        ? { prompt: c.prompt, options: c.options(this.plan), initial: c.initial(this.plan) }
        : undefined,
    });
  }

  /** After a failure: what changed so far and whether a revert is offered. */
  private failureExtras(): Pick<ProcedureView, 'changes' | 'revertable'> & { message?: string } {
    let changes: string[] = [];
    try {
      changes = this.spec.changes?.(this.plan) ?? [];
    } catch (err) {
      changes = [`(could not list the changes: ${(err as Error).message})`];
    }
    return {
      changes,
      revertable: Boolean(this.spec.revert) && changes.length > 0 && !this.reverting,
      // The list of changes replaces the "what was done" message (the audit log keeps both).
      ...(changes.length ? { message: 'stopped: nothing more will be changed' } : {}),
    };
  }

  private reverting = false;
  private failedView: ProcedureView | null = null;

  /** The operator asked to undo after a failure: show the revert preview and ask to confirm. */
  startRevert(): void {
    const v = this.view;
    if (v.step !== 'failed' || !v.revertable || !this.spec.revert || this.busy) return;
    this.failedView = v;
    this.reverting = true;
    this.update({
      step: 'confirm',
      title: `Revert: ${this.spec.title}`,
      preview: this.spec.revert.preview(this.plan),
      confirm: {
        mode: this.spec.production ? 'typed' : 'yes-no',
        expected: this.spec.service,
        typed: '',
        error: null,
      },
      progress: undefined,
      checks: [],
      message: null,
      error: null,
      revertable: false,
    });
  }

  private async actRevert(confirmation: string): Promise<void> {
    const revert = this.spec.revert!;
    this.update({
      step: 'executing',
      message: 'reverting…',
      error: null,
      ...(revert.summary ? { preview: revert.summary(this.plan) } : {}),
    });
    const request: GateRequest = {
      ...this.request(confirmation),
      procedure: `${this.spec.kind}:revert`,
      from: this.spec.to(this.plan),
      to: this.spec.from(this.plan),
      preview: revert.preview(this.plan),
    };
    const result = await this.deps.gate.run(
      request,
      (ports) => revert.execute(ports, this.plan),
      (d) => d,
    );
    if (!result.ok) {
      this.update({
        step: result.refused ? 'refused' : 'failed',
        error: result.reason,
        ...this.failureExtras(),
        message: result.refused ? 'the revert was refused; nothing more was changed' : 'the revert failed',
        ...(result.refused ? {} : { auditIds: [...this.view.auditIds, result.started.id] }),
      });
      this.deps.onFinished?.();
      return;
    }
    const started = result.started;
    this.update({
      auditIds: [...this.view.auditIds, started.id, ...(result.executed ? [result.executed.id] : [])],
      message: result.value,
    });
    const t0 = this.deps.now();
    try {
      if (revert.follow) {
        this.update({ step: 'progress' });
        await revert.follow(
          this.plan,
          (progress) => this.update({ progress }),
          () => this.cancelled,
        );
      }
      this.update({ step: 'verifying' });
      const checks = revert.verify ? await this.verifyUntilSettled((p) => revert.verify!(p)) : [];
      const ok = checks.every((c) => c.ok === true);
      const finished = await this.deps.gate.record(started, {
        step: 'finished',
        outcome: ok ? 'success' : 'failed',
        detail:
          checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name}: ${c.detail}`).join('; ') || result.value,
        durationMs: this.deps.now() - t0,
      });
      this.update({
        step: ok ? 'done' : 'failed',
        checks,
        ...(ok ? { revertable: false, changes: [] } : this.failureExtras()),
        message: ok ? 'reverted and verified' : 'revert applied, but verification failed',
        auditIds: [...this.view.auditIds, finished.id],
      });
    } catch (err) {
      await this.recordFailure(started, t0, err as Error, { message: 'the revert did not finish' });
    } finally {
      this.deps.onFinished?.();
    }
  }

  private confirmView(): ProcedureView['confirm'] {
    const strict = this.spec.confirmFor?.(this.plan);
    if (strict) return { ...strict, typed: '', error: null };
    return {
      mode: this.spec.production ? 'typed' : 'yes-no',
      expected: this.spec.service,
      typed: '',
      error: null,
    };
  }

  private get view(): ProcedureView {
    const v = this.deps.store.getState().procedure;
    if (!v) throw new Error('procedure view missing');
    return v;
  }

  private update(patch: Partial<ProcedureView>): void {
    if (!this.deps.store.getState().procedure) return;
    this.deps.store.setState((s) => ({ procedure: s.procedure ? { ...s.procedure, ...patch } : null }));
  }

  get step() {
    return this.view.step;
  }

  private highlighted: string | null = null;

  /** The option under the cursor in the choose step (Enter picks it). */
  highlight(value: string): void {
    this.highlighted = value;
  }

  /** The operator picked an option in the choose step (the highlighted one when no value is given). */
  choose(value?: string): void {
    if (this.view.step !== 'choose' || !this.spec.choice) return;
    value ??= this.highlighted ?? this.view.choice?.initial;
    if (value === undefined) return;
    this.plan = this.spec.choice.apply(this.plan, value);
    this.update({ step: 'confirm', preview: this.spec.preview(this.plan), confirm: this.confirmView() });
  }

  /** Typed confirmation: add or remove characters. */
  type(text: string): void {
    if (this.view.step !== 'confirm' || this.view.confirm.mode !== 'typed') return;
    this.update({
      confirm: { ...this.view.confirm, typed: (this.view.confirm.typed + text).slice(0, 128), error: null },
    });
  }

  backspace(): void {
    if (this.view.step !== 'confirm') return;
    this.update({
      confirm: { ...this.view.confirm, typed: this.view.confirm.typed.slice(0, -1), error: null },
    });
  }

  /** Enter in the confirm step (typed mode) or 'y' (yes/no mode). */
  async submit(answer?: 'yes' | 'no'): Promise<void> {
    const v = this.view;
    if (v.step !== 'confirm' || this.busy) return;
    if (v.confirm.mode === 'yes-no') {
      if (answer !== 'yes') return this.cancel();
    } else if (v.confirm.typed !== v.confirm.expected) {
      this.update({
        confirm: {
          ...v.confirm,
          error: `"${v.confirm.typed}" does not match; type ${v.confirm.expected} exactly, or Esc to cancel`,
        },
      });
      return;
    }
    this.busy = true;
    try {
      if (this.reverting) {
        await this.actRevert(v.confirm.mode === 'typed' ? v.confirm.typed : 'y');
        return;
      }
      await this.act(v.confirm.mode === 'typed' ? v.confirm.typed : 'y');
    } finally {
      this.busy = false;
    }
  }

  cancel(): void {
    const step = this.view.step;
    if (this.reverting && step === 'confirm' && this.failedView) {
      // Esc at the revert confirmation goes back to the failure report; nothing is changed.
      this.reverting = false;
      this.deps.store.setState({ procedure: this.failedView });
      this.failedView = null;
      return;
    }
    if (step === 'planning' || step === 'choose' || step === 'confirm') {
      this.cancelled = true;
      this.deps.store.setState({ procedure: null });
      this.deps.onFinished?.();
    } else if (step === 'done' || step === 'failed' || step === 'refused' || step === 'cancelled') {
      this.deps.store.setState({ procedure: null });
      this.deps.onFinished?.();
    }
    // While acting or following, Esc does not abandon a change half-way; the screen says so.
  }

  private request(confirmation: string): GateRequest {
    return {
      procedure: this.spec.kind,
      service: this.spec.service,
      target: this.spec.target,
      context: this.spec.context,
      namespace: this.spec.namespace,
      from: this.spec.from(this.plan),
      to: this.spec.to(this.plan),
      preview: this.spec.preview(this.plan),
      confirmation,
    };
  }

  private async act(confirmation: string): Promise<void> {
    this.update({
      step: 'executing',
      message: 'acting…',
      error: null,
      ...(this.spec.summary ? { preview: this.spec.summary(this.plan) } : {}),
    });
    const result = await this.deps.gate.run(
      this.request(confirmation),
      (ports) => this.spec.execute(ports, this.plan),
      (d) => d,
    );
    if (!result.ok) {
      if (result.refused) {
        this.update({ step: 'refused', error: result.reason, message: 'nothing was changed' });
        return;
      }
      if (result.error instanceof PreconditionFailed) {
        this.plan = await this.spec.replan();
        this.update({
          step: 'confirm',
          preview: this.spec.preview(this.plan),
          choice: this.spec.choice
            ? {
                prompt: this.spec.choice.prompt,
                options: this.spec.choice.options(this.plan),
                initial: this.spec.choice.initial(this.plan),
              }
            : undefined,
          confirm: this.confirmView(),
          message: `${this.spec.target} changed since the preview, so nothing was changed. Review the new state and confirm again.`,
          error: result.reason,
          auditIds: [...this.view.auditIds, result.started.id],
        });
        return;
      }
      this.update({
        step: 'failed',
        error: result.reason,
        auditIds: [...this.view.auditIds, result.started.id],
        ...this.failureExtras(),
        message: 'the change was rejected',
      });
      this.deps.onFinished?.();
      return;
    }
    const started = result.started;
    this.update({
      auditIds: [started.id, ...(result.executed ? [result.executed.id] : [])],
      message: result.value,
    });
    if (this.spec.announce) {
      await this.deps.gate
        .run(
          { ...this.request(confirmation), procedure: `${this.spec.kind}:announce`, preview: [] },
          (ports) => this.spec.announce!(ports, this.plan, started),
        )
        .then((r) => (r.ok ? undefined : this.update({ message: `event not posted: ${r.reason}` })));
    }
    const t0 = this.deps.now();
    try {
      if (this.spec.follow) {
        this.update({ step: 'progress' });
        await this.spec.follow(
          this.plan,
          (progress) => this.update({ progress }),
          () => this.cancelled,
        );
      }
      this.update({ step: 'verifying' });
      const checks = await this.verifyUntilSettled();
      const ok = checks.every((c) => c.ok === true);
      const finished = await this.deps.gate.record(started, {
        step: 'finished',
        outcome: ok ? 'success' : 'failed',
        detail: checks.map((c) => `${c.ok ? 'ok' : 'FAIL'} ${c.name}: ${c.detail}`).join('; '),
        durationMs: this.deps.now() - t0,
      });
      this.update({
        step: ok ? 'done' : 'failed',
        checks,
        ...(ok ? { undo: this.spec.undo?.(this.plan) ?? undefined } : this.failureExtras()),
        message: ok ? 'verified' : 'verification failed',
        auditIds: [...this.view.auditIds, finished.id],
      });
    } catch (err) {
      await this.recordFailure(started, t0, err as Error);
    } finally {
      this.deps.onFinished?.();
    }
  }

  /** A step after acting failed: record "finished/failed" (an audit failure is shown, not thrown) and say so. */
  private async recordFailure(
    started: AuditRecord,
    t0: number,
    err: Error,
    extra: Partial<ProcedureView> = {},
  ): Promise<void> {
    const finished = await this.deps.gate
      .record(started, {
        step: 'finished',
        outcome: 'failed',
        error: err.message,
        durationMs: this.deps.now() - t0,
      })
      .catch((auditErr: Error) => ({ id: `audit failed: ${auditErr.message}` }));
    this.update({
      step: 'failed',
      error: err.message,
      auditIds: [...this.view.auditIds, finished.id],
      ...this.failureExtras(),
      ...extra,
    });
  }

  private async verifyUntilSettled(
    verify: (plan: P) => Promise<VerifyCheck[]> = (p) => this.spec.verify(p),
  ): Promise<VerifyCheck[]> {
    const deadline = this.deps.now() + (this.deps.verifyTimeoutMs ?? 120_000);
    let checks: VerifyCheck[] = [];
    for (let attempt = 0; attempt < 10_000; attempt++) {
      checks = await verify(this.plan);
      this.update({ checks });
      if (checks.every((c) => c.ok === true) || this.deps.now() >= deadline || this.cancelled) return checks;
      await this.deps.sleep(this.deps.verifyIntervalMs ?? 500);
    }
    return checks;
  }
}
