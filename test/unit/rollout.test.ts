import { describe, expect, it } from 'vitest';
import { imageTag, rolloutStatus, type DeploymentStatusInput } from '../../src/domain/rollout.js';

const base: DeploymentStatusInput = {
  name: 'web',
  generation: 3,
  observedGeneration: 3,
  specReplicas: 3,
  statusReplicas: 3,
  updatedReplicas: 3,
  availableReplicas: 3,
  paused: false,
};

describe('rollout status (kubectl maths)', () => {
  it.each([
    [{}, 'complete', true, 'deployment "web" successfully rolled out'],
    [{ observedGeneration: 2 }, 'progressing', false, 'Waiting for deployment spec update to be observed...'],
    [
      { updatedReplicas: 1 },
      'progressing',
      false,
      'Waiting for deployment "web" rollout to finish: 1 out of 3 new replicas have been updated...',
    ],
    [
      { statusReplicas: 4 },
      'progressing',
      false,
      'Waiting for deployment "web" rollout to finish: 1 old replicas are pending termination...',
    ],
    [
      { availableReplicas: 2 },
      'progressing',
      false,
      'Waiting for deployment "web" rollout to finish: 2 of 3 updated replicas are available...',
    ],
    [
      { progressingReason: 'ProgressDeadlineExceeded', availableReplicas: 1 },
      'deadline-exceeded',
      false,
      'deployment "web" exceeded its progress deadline',
    ],
    [
      { specReplicas: 0, statusReplicas: 0, updatedReplicas: 0, availableReplicas: 0 },
      'scaled-to-zero',
      true,
      'deployment "web" successfully rolled out',
    ],
  ] as [Partial<DeploymentStatusInput>, string, boolean, string][])(
    '%j → %s',
    (patch, phase, done, message) => {
      expect(rolloutStatus({ ...base, ...patch })).toEqual({ phase, done, message });
    },
  );
});

describe('imageTag', () => {
  it.each([
    ['registry.example.test/checkout-api:2.14.0', '2.14.0'],
    ['registry.local:5000/app:1.2@sha256:abc', '1.2'],
    ['registry.local:5000/app', 'latest'],
    ['busybox', 'latest'],
  ])('%s → %s', (image, tag) => expect(imageTag(image)).toBe(tag));
});
