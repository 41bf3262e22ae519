/**
 * A simulated Deployment with its ReplicaSets and Pods, and a controller that rolls it the way the real
 * deployment controller does: revision annotations, maxSurge / maxUnavailable, readiness delay, a progress
 * deadline, rollback that moves the target ReplicaSet to a new revision (as `kubectl rollout undo` does).
 */
import type { EventView, PodView, RevisionInfo, WorkloadSnapshot } from '../domain/model.js';
import { rolloutStatus } from '../domain/rollout.js';

export interface SimPod {
  name: string;
  createdAt: number;
  readyAt: number;
  restarts: number;
  reason?: string;
}

export interface SimReplicaSet {
  hash: string;
  revision: number;
  image: string;
  changeCause: string;
  createdAt: number;
  pods: SimPod[];
  /** Pods of this image crash instead of becoming ready. */
  crashes?: boolean;
}

export interface SimDeploymentInit {
  name: string;
  namespace: string;
  context: string;
  replicas: number;
  history: { image: string; changeCause: string; createdAt: number }[];
  readyDelayMs?: number;
  progressDeadlineMs?: number;
  hpa?: { min: number; max: number };
}

export class SimDeployment {
  readonly name: string;
  readonly namespace: string;
  readonly context: string;
  replicas: number;
  generation = 1;
  observedGeneration = 1;
  paused = false;
  replicaSets: SimReplicaSet[] = [];
  currentHash = '';
  resourceVersion = 1;
  events: EventView[] = [];
  lastProgressAt = 0;
  deadlineExceeded = false;
  restartedAt: number | null = null;
  /** Since when spec.replicas sits outside the HPA's bounds (the HPA clamps it on its next sync). */
  private hpaOutsideSince: number | null = null;
  /** How long the simulated HPA takes to notice a manual scale outside its bounds. */
  readonly hpaSyncMs = 15_000;
  readonly readyDelayMs: number;
  readonly progressDeadlineMs: number;
  readonly hpa?: { min: number; max: number };
  private podSeq = 0;

  constructor(
    init: SimDeploymentInit,
    private readonly rand: () => number,
    now: number,
  ) {
    this.name = init.name;
    this.namespace = init.namespace;
    this.context = init.context;
    this.replicas = init.replicas;
    this.readyDelayMs = init.readyDelayMs ?? 3000;
    this.progressDeadlineMs = init.progressDeadlineMs ?? 600_000;
    this.hpa = init.hpa;
    init.history.forEach((h, i) => {
      const rs: SimReplicaSet = {
        hash: this.newHash(),
        revision: i + 1,
        image: h.image,
        changeCause: h.changeCause,
        createdAt: h.createdAt,
        pods: [],
      };
      this.replicaSets.push(rs);
    });
    const current = this.replicaSets[this.replicaSets.length - 1];
    if (!current) throw new Error(`deployment ${init.name} needs at least one revision`);
    this.currentHash = current.hash;
    for (let i = 0; i < this.replicas; i++) current.pods.push(this.newPod(current, now - 3_600_000, 0));
    this.lastProgressAt = now;
  }

  private newHash(): string {
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let s = '';
    for (let i = 0; i < 10; i++) s += alphabet[Math.floor(this.rand() * alphabet.length)];
    return s;
  }

  private newPod(rs: SimReplicaSet, now: number, readyDelay: number): SimPod {
    this.podSeq++;
    const alphabet = 'bcdfghjklmnpqrstvwxz2456789';
    let suffix = '';
    for (let i = 0; i < 5; i++) suffix += alphabet[Math.floor(this.rand() * alphabet.length)];
    return {
      name: `${this.name}-${rs.hash}-${suffix}`,
      createdAt: now,
      readyAt: rs.crashes ? Infinity : now + readyDelay,
      restarts: 0,
    };
  }

  get current(): SimReplicaSet {
    const rs = this.replicaSets.find((r) => r.hash === this.currentHash);
    if (!rs) throw new Error(`deployment ${this.name}: current ReplicaSet missing`);
    return rs;
  }

  get revision(): number {
    return this.current.revision;
  }

  private touch(): void {
    this.resourceVersion++;
  }

  private event(now: number, type: EventView['type'], reason: string, message: string): void {
    this.events.push({ at: now, type, reason, message });
    if (this.events.length > 50) this.events.shift();
  }

  /** Start a rollout to a new image (a new revision), as `kubectl set image` would. */
  setImage(image: string, changeCause: string, now: number, crashes = false): void {
    const existing = this.replicaSets.find((r) => r.image === image);
    const maxRev = Math.max(...this.replicaSets.map((r) => r.revision));
    if (existing) {
      existing.revision = maxRev + 1;
      existing.changeCause = changeCause;
      this.currentHash = existing.hash;
    } else {
      const rs: SimReplicaSet = {
        hash: this.newHash(),
        revision: maxRev + 1,
        image,
        changeCause,
        createdAt: now,
        pods: [],
        crashes,
      };
      this.replicaSets.push(rs);
      this.currentHash = rs.hash;
    }
    this.generation++;
    this.deadlineExceeded = false;
    this.lastProgressAt = now;
    this.touch();
  }

  /** kubectl rollout undo --to-revision=N: the ReplicaSet of revision N becomes the newest revision. */
  rollbackTo(revision: number, now: number): void {
    const target = this.replicaSets.find((r) => r.revision === revision);
    if (!target) throw new Error(`unable to find specified revision ${revision} in history`);
    if (target.hash === this.currentHash)
      throw new Error(`revision ${revision} is already the current revision`);
    const maxRev = Math.max(...this.replicaSets.map((r) => r.revision));
    target.revision = maxRev + 1;
    this.currentHash = target.hash;
    this.generation++;
    this.deadlineExceeded = false;
    this.lastProgressAt = now;
    this.event(
      now,
      'Normal',
      'DeploymentRollback',
      `Rolled back deployment "${this.name}" to revision ${revision}`,
    );
    this.touch();
  }

  scale(replicas: number, now: number): void {
    this.replicas = replicas;
    this.generation++;
    this.lastProgressAt = now;
    this.touch();
  }

  restart(now: number): void {
    // A changed pod template annotation makes a new ReplicaSet with the same image.
    const cur = this.current;
    const maxRev = Math.max(...this.replicaSets.map((r) => r.revision));
    const rs: SimReplicaSet = {
      hash: this.newHash(),
      revision: maxRev + 1,
      image: cur.image,
      changeCause: cur.changeCause,
      createdAt: now,
      pods: [],
    };
    this.replicaSets.push(rs);
    this.currentHash = rs.hash;
    this.restartedAt = now;
    this.generation++;
    this.lastProgressAt = now;
    this.touch();
  }

  setPaused(paused: boolean, now: number): void {
    this.paused = paused;
    this.generation++;
    this.lastProgressAt = now;
    this.touch();
  }

  /** One controller pass. Returns true when anything changed. */
  step(now: number): boolean {
    let changed = false;
    if (this.observedGeneration !== this.generation) {
      this.observedGeneration = this.generation;
      changed = true;
    }
    for (const rs of this.replicaSets) {
      for (const p of rs.pods) {
        if (rs.crashes && now - p.createdAt > 5000 && p.reason !== 'CrashLoopBackOff') {
          p.reason = 'CrashLoopBackOff';
          p.restarts++;
          changed = true;
        }
      }
    }
    if (this.hpa) {
      const clamped = Math.min(this.hpa.max, Math.max(this.hpa.min, this.replicas));
      if (clamped !== this.replicas) {
        this.hpaOutsideSince ??= now;
        if (now - this.hpaOutsideSince >= this.hpaSyncMs) {
          // As the HPA controller: desired replicas are clamped to [min, max], whatever was set by hand.
          this.event(
            now,
            'Normal',
            'SuccessfulRescale',
            `New size: ${clamped}; reason: ${this.replicas > clamped ? 'Current number of replicas above Spec.MaxReplicas' : 'Current number of replicas below Spec.MinReplicas'}`,
          );
          this.replicas = clamped;
          this.generation++;
          this.lastProgressAt = now;
          this.hpaOutsideSince = null;
          changed = true;
        }
      } else this.hpaOutsideSince = null;
    }
    if (this.paused) return this.finish(changed);
    const cur = this.current;
    const old = this.replicaSets.filter((r) => r !== cur);
    const all = () => this.replicaSets.reduce((n, r) => n + r.pods.length, 0);
    const ready = () =>
      this.replicaSets.reduce((n, r) => n + r.pods.filter((p) => p.readyAt <= now).length, 0);
    const maxSurge = Math.max(1, Math.ceil(this.replicas * 0.25));
    const maxUnavailable = Math.floor(this.replicas * 0.25);

    // Scale up the new ReplicaSet within the surge budget.
    let added = 0;
    while (cur.pods.length < this.replicas && all() < this.replicas + maxSurge) {
      cur.pods.push(this.newPod(cur, now, this.readyDelayMs));
      added++;
    }
    if (added > 0) {
      this.event(
        now,
        'Normal',
        'ScalingReplicaSet',
        `Scaled up replica set ${this.name}-${cur.hash} to ${cur.pods.length}`,
      );
      changed = true;
    }
    // Scale down old ReplicaSets while availability allows.
    const minAvailable = this.replicas - maxUnavailable;
    for (const rs of old) {
      let removed = 0;
      while (rs.pods.length > 0) {
        const notReady = rs.pods.findIndex((p) => p.readyAt > now);
        if (notReady >= 0) {
          rs.pods.splice(notReady, 1);
        } else if (ready() - 1 >= minAvailable) {
          rs.pods.pop();
        } else break;
        removed++;
      }
      if (removed > 0) {
        this.event(
          now,
          'Normal',
          'ScalingReplicaSet',
          `Scaled down replica set ${this.name}-${rs.hash} to ${rs.pods.length}`,
        );
        changed = true;
      }
    }
    // Excess new pods after a scale down.
    if (cur.pods.length > this.replicas) {
      cur.pods.splice(this.replicas);
      this.event(
        now,
        'Normal',
        'ScalingReplicaSet',
        `Scaled down replica set ${this.name}-${cur.hash} to ${this.replicas}`,
      );
      changed = true;
    }
    const justReady = this.replicaSets.some((r) =>
      r.pods.some((p) => p.readyAt <= now && p.readyAt > now - 1000),
    );
    if (changed || justReady) this.lastProgressAt = now;
    const snap = this.statusCounts(now);
    const complete =
      snap.updated === this.replicas && snap.total === this.replicas && snap.available === this.replicas;
    if (!complete && !this.deadlineExceeded && now - this.lastProgressAt > this.progressDeadlineMs) {
      this.deadlineExceeded = true;
      this.event(
        now,
        'Warning',
        'ProgressDeadlineExceeded',
        `Deployment "${this.name}" has timed out progressing.`,
      );
      changed = true;
    }
    return this.finish(changed || justReady);
  }

  private finish(changed: boolean): boolean {
    if (changed) this.touch();
    return changed;
  }

  statusCounts(now: number) {
    const cur = this.current;
    const total = this.replicaSets.reduce((n, r) => n + r.pods.length, 0);
    const available = this.replicaSets.reduce((n, r) => n + r.pods.filter((p) => p.readyAt <= now).length, 0);
    return { total, updated: cur.pods.length, available, ready: available };
  }

  /** Fraction of ready pods running a given image. */
  readyFraction(image: string, now: number): number {
    const counts = this.statusCounts(now);
    if (counts.ready === 0) return 0;
    const n = this.replicaSets
      .filter((r) => r.image === image)
      .reduce((k, r) => k + r.pods.filter((p) => p.readyAt <= now).length, 0);
    return n / counts.ready;
  }

  snapshot(now: number): WorkloadSnapshot {
    const counts = this.statusCounts(now);
    const rollout = rolloutStatus({
      name: this.name,
      generation: this.generation,
      observedGeneration: this.observedGeneration,
      specReplicas: this.replicas,
      statusReplicas: counts.total,
      updatedReplicas: counts.updated,
      availableReplicas: counts.available,
      paused: this.paused,
      progressingReason: this.deadlineExceeded ? 'ProgressDeadlineExceeded' : undefined,
    });
    const history: RevisionInfo[] = this.replicaSets
      .map((r) => ({
        revision: r.revision,
        image: r.image,
        changeCause: r.changeCause,
        createdAt: r.createdAt,
      }))
      .sort((a, b) => a.revision - b.revision);
    const pods: PodView[] = this.replicaSets.flatMap((r) =>
      r.pods.map((p) => ({
        name: p.name,
        ready: p.readyAt <= now,
        phase: p.readyAt <= now || r.crashes ? 'Running' : 'Pending',
        restarts: p.restarts,
        reason: p.reason ?? (p.readyAt > now && !r.crashes ? 'ContainerCreating' : undefined),
        revision: r.revision,
      })),
    );
    return {
      kind: 'Deployment',
      name: this.name,
      namespace: this.namespace,
      context: this.context,
      resourceVersion: String(this.resourceVersion),
      generation: this.generation,
      observedGeneration: this.observedGeneration,
      replicas: this.replicas,
      updatedReplicas: counts.updated,
      readyReplicas: counts.ready,
      availableReplicas: counts.available,
      paused: this.paused,
      revision: this.revision,
      image: this.current.image,
      rollout,
      history,
      pods,
      hpa: this.hpa
        ? { min: this.hpa.min, max: this.hpa.max, current: counts.total, desired: this.replicas }
        : undefined,
      events: this.events.slice(-20),
    };
  }
}
