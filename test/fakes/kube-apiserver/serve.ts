/**
 * Runs the fake kube-apiserver as its own process (for benchmarks, manual `kubectl` sessions and the e2e
 * binary tests), optionally seeded with a fleet:
 *
 *   esbuild test/fakes/kube-apiserver/serve.ts --bundle --platform=node --format=esm --outfile=.bench/fake-kube.mjs
 *   node .bench/fake-kube.mjs --deployments 2000 --replicas 10 --namespaces 20 --hpa --ready-delay 0
 *
 * Prints one JSON line once seeded: {"url", "caFile", "kubeconfig": {"admin", "viewer"}, "seedMs", "pods"}.
 * Stops on SIGTERM / SIGINT, and when its stdin closes (a parent that died leaves nothing running).
 */
import { startFakeApiServer } from './index.js';
import { seedFleet } from './testing.js';

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return undefined;
  const v = process.argv[i + 1];
  return v === undefined || v.startsWith('--') ? 'true' : v;
}

const num = (name: string, dflt: number) => {
  const v = flag(name);
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isFinite(n) || n < 0) {
    process.stderr.write(
      `fake kube-apiserver: --${name} needs a non-negative number, got ${JSON.stringify(v)}\n`,
    );
    process.exit(2);
  }
  return n;
};

const deployments = num('deployments', 0);
const kube = await startFakeApiServer({ readyDelayMs: num('ready-delay', 0) });
const t0 = performance.now();
if (deployments > 0)
  await seedFleet(
    kube,
    {
      deployments,
      replicas: num('replicas', 10),
      namespaces: num('namespaces', 1),
      hpa: flag('hpa') === 'true',
    },
    600_000,
  );
const seedMs = Math.round(performance.now() - t0);
kube.warmCaches();
kube.setReadyDelay(num('ready-delay-after', num('ready-delay', 0)));
process.stdout.write(
  `${JSON.stringify({
    url: kube.url,
    caFile: kube.caFile,
    kubeconfig: { admin: kube.kubeconfig('admin'), viewer: kube.kubeconfig('viewer') },
    seedMs,
    pods: kube.count('Pod'),
  })}\n`,
);

let stopping = false;
const stop = async () => {
  if (stopping) return;
  stopping = true;
  await kube.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void stop());
process.on('SIGINT', () => void stop());
process.stdin.on('end', () => void stop());
process.stdin.on('close', () => void stop());
process.stdin.resume();
