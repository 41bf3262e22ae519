/**
 * Rollout status with the maths of `kubectl rollout status` (DeploymentStatusViewer):
 * generation vs observedGeneration, the Progressing condition (ProgressDeadlineExceeded),
 * updated / total / available replicas.
 */
import type { RolloutStatus } from './model.js';

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
  if (d.generation > d.observedGeneration) {
    return {
      phase: 'progressing',
      done: false,
      message: 'Waiting for deployment spec update to be observed...',
    };
  }
  if (d.progressingReason === 'ProgressDeadlineExceeded') {
    return {
      phase: 'deadline-exceeded',
      done: false,
      message: `deployment "${d.name}" exceeded its progress deadline`,
    };
  }
  if (d.paused) {
    return { phase: 'paused', done: false, message: `deployment "${d.name}" is paused` };
  }
  if (d.updatedReplicas < d.specReplicas) {
    return {
      phase: 'progressing',
      done: false,
      message: `Waiting for deployment "${d.name}" rollout to finish: ${d.updatedReplicas} out of ${d.specReplicas} new replicas have been updated...`,
    };
  }
  if (d.statusReplicas > d.updatedReplicas) {
    return {
      phase: 'progressing',
      done: false,
      message: `Waiting for deployment "${d.name}" rollout to finish: ${d.statusReplicas - d.updatedReplicas} old replicas are pending termination...`,
    };
  }
  if (d.availableReplicas < d.updatedReplicas) {
    return {
      phase: 'progressing',
      done: false,
      message: `Waiting for deployment "${d.name}" rollout to finish: ${d.availableReplicas} of ${d.updatedReplicas} updated replicas are available...`,
    };
  }
  if (d.specReplicas === 0) {
    return { phase: 'scaled-to-zero', done: true, message: `deployment "${d.name}" successfully rolled out` };
  }
  return { phase: 'complete', done: true, message: `deployment "${d.name}" successfully rolled out` };
}

/** The tag of an image reference ("registry:5000/app:1.2@sha256:..." -> "1.2"). */
export function imageTag(image: string): string {
  const noDigest = image.split('@')[0] ?? image;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}
