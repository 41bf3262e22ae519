/**
 * The fake kube-apiserver as its own process (what the bench spawns): seeded fleet, kubeconfigs that the real
 * kubectl uses, and no process left once its parent closes stdin.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requireBinaries } from '../helpers/backend.js';
import { kubectl } from '../fakes/kube-apiserver/testing.js';

describe.runIf(requireBinaries(['kubectl']))('fake kube-apiserver as a process', () => {
  let dir: string;
  let bundle: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'fake-kube-serve-'));
    bundle = join(dir, 'fake-kube.mjs');
    await build({
      entryPoints: ['test/fakes/kube-apiserver/serve.ts'],
      bundle: true,
      platform: 'node',
      format: 'esm',
      outfile: bundle,
      logLevel: 'warning',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('serves a seeded fleet to kubectl and exits when stdin closes', async () => {
    const child = spawn(
      process.execPath,
      [bundle, '--deployments', '12', '--replicas', '2', '--namespaces', '3', '--hpa'],
      {
        stdio: ['pipe', 'pipe', 'inherit'],
      },
    );
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let buf = '';
        child.stdout.on('data', (c: Buffer) => {
          buf += c.toString();
          const i = buf.indexOf('\n');
          if (i >= 0) resolve(buf.slice(0, i));
        });
        child.on('exit', (code) => reject(new Error(`fake exited early with ${code}`)));
      });
      const info = JSON.parse(line);
      expect(info).toMatchObject({ url: expect.stringMatching(/^https:\/\/127\.0\.0\.1:\d+$/), pods: 24 });
      const r = await kubectl(info.kubeconfig.viewer, ['get', 'deploy,hpa', '-A', '--no-headers']);
      expect(r.code).toBe(0);
      const lines = r.stdout.trim().split('\n');
      expect(lines.filter((l) => /^ns-\d\s+deployment\.apps\/svc-\d+\s+2\/2\s+2\s+2\s/.test(l))).toHaveLength(
        12,
      );
      expect(
        lines.filter((l) => /^ns-\d\s+horizontalpodautoscaler\.autoscaling\/svc-\d+\s/.test(l)),
      ).toHaveLength(12);
    } finally {
      child.stdin.end();
    }
    expect(await exited).toBe(0);
  });
});
