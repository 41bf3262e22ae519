/**
 * Rollout status with the maths of `kubectl rollout status` (DeploymentStatusViewer):
 * generation vs observedGeneration, the Progressing condition (ProgressDeadlineExceeded),
 * updated / total / available replicas.
 */
import type { RolloutPhase, RolloutStatus } from './model.js';

export interface DeploymentStatusInput {
  name: string;
  generation: number;
  observedGeneration: number;
  specReplicas: number;
  statusReplicas: number;
  updatedReplicas: number;
  availableReplicas: number;
  paused: boolean;
  progressingReason?: string;
}

export function rolloutStatus(d: DeploymentStatusInput): RolloutStatus {
  // kubectl (DeploymentStatusViewer.Status) decides from the numbers only; `paused` never changes its
  // answer (a paused, fully rolled-out Deployment is "successfully rolled out"; a paused half-way one waits
  // forever). The phase adds what the operator should know on top of kubectl's sentence.
  const k = kubectlRolloutStatus(d);
  const phase: RolloutPhase = k.exceeded
    ? 'deadline-exceeded'
    : d.paused
      ? 'paused'
      : k.done
        ? d.specReplicas === 0
          ? 'scaled-to-zero'
          : 'complete'
        : 'progressing';
  return { phase, done: k.done, message: k.message };
}

/**
 * Exactly what `kubectl rollout status deployment/NAME` prints (without the trailing newline) and whether
 * it stops: done = exit 0, exceeded = exit 1 with `error: deployment "NAME" exceeded its progress deadline`.
 */
export function kubectlRolloutStatus(d: DeploymentStatusInput): {
  message: string;
  done: boolean;
  exceeded: boolean;
} {
  if (d.generation > d.observedGeneration) {
    return { done: false, exceeded: false, message: 'Waiting for deployment spec update to be observed...' };
  }
  if (d.progressingReason === 'ProgressDeadlineExceeded') {
    return { done: false, exceeded: true, message: `deployment "${d.name}" exceeded its progress deadline` };
  }
  if (d.updatedReplicas < d.specReplicas) {
    return {
      done: false,
      exceeded: false,
      message: `Waiting for deployment "${d.name}" rollout to finish: ${d.updatedReplicas} out of ${d.specReplicas} new replicas have been updated...`,
    };
  }
  if (d.statusReplicas > d.updatedReplicas) {
    return {
      done: false,
      exceeded: false,
      message: `Waiting for deployment "${d.name}" rollout to finish: ${d.statusReplicas - d.updatedReplicas} old replicas are pending termination...`,
    };
  }
  if (d.availableReplicas < d.updatedReplicas) {
    return {
      done: false,
      exceeded: false,
      message: `Waiting for deployment "${d.name}" rollout to finish: ${d.availableReplicas} of ${d.updatedReplicas} updated replicas are available...`,
    };
  }
  return { done: true, exceeded: false, message: `deployment "${d.name}" successfully rolled out` };
}

/** The tag of an image reference ("registry:5000/app:1.2@sha256:..." -> "1.2"). */
export function imageTag(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}
