/**
 * Container procedures end to end against a real Podman, through the live runtime (loader, events-fed
 * store, policy gate, audit log, step machine): rollback 1.1 → 1.0 with an inspect diff proving only the
 * image changed, a failed verification leading to restore, containers removed by someone else mid-
 * procedure, a hinted image that is not present locally, and a restart with the same verification.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { requireBinaries } from '../helpers/backend.js';
import { startPodman, type PodmanService } from '../helpers/podman.js';
import { parseConfigText } from '../../src/config/load.js';
import { createRuntime, type Runtime } from '../../src/cli/runtime.js';
import type { ProcedureView } from '../../src/procedures/view.js';
import { keptOriginalReason } from '../../src/screens/actions.js';

const HEALTH = {
  Test: ['CMD-SHELL', 'test -f /healthy && echo fine'],
  Interval: 1e9,
  Timeout: 1e9,
  Retries: 1,
};

describe.runIf(requireBinaries(['podman', 'runc', 'busybox']))(
  'container procedures against real Podman',
  () => {
    let pm: PodmanService;
    let docker: Docker;
    let rt: Runtime;
    let dir: string;
    let health: Server;
    let healthStatus = 200;
    const auditFile = () => join(dir, 'audit.jsonl');

    const create = async (name: string, image: string, extra: Record<string, unknown> = {}) => {
      const c = await docker.createContainer({
        name,
        Image: image,
        Healthcheck: HEALTH,
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'none' },
        ...extra,
      } as Docker.ContainerCreateOptions);
      await c.start();
      return c;
    };

    const view = () => rt.store.getState().procedure;
    const until = async <T>(what: string, pick: () => T | undefined | null | false, timeoutMs = 30_000) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = pick();
        if (v) return v;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; procedure: ${JSON.stringify(view(), null, 1)}`);
        await new Promise((r) => setTimeout(r, 25));
      }
    };
    const final = (v: ProcedureView | null) =>
      v && ['done', 'failed', 'refused'].includes(v.step) ? v : undefined;

    /** Health checks do not run by themselves here: probe `name` while the procedure waits, until it ends. */
    const runHealthUntilFinal = async (...names: string[]) => {
      for (;;) {
        const v = final(view());
        if (v) return v;
        if (view()?.step === 'progress' || view()?.step === 'verifying')
          for (const name of names) await pm.healthcheck(name);
        await new Promise((r) => setTimeout(r, 150));
      }
    };

    const startProcedure = async (kind: string, service: string) => {
      expect(rt.procedures.start(kind, service)).toBe(true);
      return until(`${kind} view`, () => view());
    };

    const audit = () =>
      readFileSync(auditFile(), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as Record<string, string>);

    const containersNamed = async (prefix: string) =>
      (await docker.listContainers({ all: true }))
        .map((c) => ({ name: c.Names[0]!.replace(/^\//, ''), state: c.State, image: c.Image, id: c.Id }))
        .filter((c) => c.name.startsWith(prefix))
        .sort((a, b) => a.name.localeCompare(b.name));

    beforeAll(async () => {
      pm = await startPodman({
        extraImages: [
          { ref: 'localhost/app:0.9', cmd: ['/bin/sh', '-c', 'exec sleep 100000'] },
          { ref: 'localhost/crash:2.0', cmd: ['/bin/sh', '-c', 'exit 3'] },
          { ref: 'localhost/crash:1.9' },
          { ref: 'localhost/boot:2.0' },
          { ref: 'localhost/boot:1.0', cmd: ['/bin/no-such-binary'] },
        ],
      });
      docker = new Docker({ socketPath: pm.socketPath });
      dir = mkdtempSync(join(tmpdir(), 'oncall-ctr-proc-'));
      health = createServer((_req, res) => res.writeHead(healthStatus).end(String(healthStatus)));
      await new Promise<void>((r) => health.listen(0, '127.0.0.1', r));
      const port = (health.address() as { port: number }).port;
      await create('web', 'localhost/app:1.1', {
        Env: ['FOO=bar', 'MODE=blue'],
        Labels: { app: 'web', team: 'payments', 'oncall.previous-image': 'localhost/app:1.0' },
        Cmd: ['/bin/sh', '-c', 'touch /healthy; exec sleep 200000'],
        User: '0:0',
        WorkingDir: '/tmp',
        HostConfig: {
          NetworkMode: 'none',
          RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 },
          Binds: [`${pm.dir}/rootfs:/data:ro`],
          Tmpfs: { '/run/cache': 'size=1m' },
          ExtraHosts: ['db.test:127.0.0.1'],
          CapDrop: ['NET_RAW'],
        },
      });
      await create('api-1', 'localhost/app:1.1', {
        Labels: { app: 'api', 'oncall.previous-image': 'localhost/app:0.5' },
      });
      await create('worker', 'localhost/app:1.1', { Labels: { app: 'worker' } });
      const config = parseConfigText(
        `
docker: {host: "unix://${pm.socketPath}"}
services:
  - name: web
    container: {name: web, healthUrl: "http://127.0.0.1:${port}/healthz"}
  - name: api
    container: {label: "app=api"}
  - name: worker
    container: {name: worker}
  - name: solo
    container: {name: solo}
  - name: crash
    container: {name: crash}
  - name: boot
    container: {name: boot}
  - name: pool
    container: {label: "app=pool"}
`,
        'test.yaml',
      );
      rt = await createRuntime({ config, mode: 'live', readOnly: false, auditFile: auditFile(), env: {} });
      await rt.start();
      await until('containers listed', () => rt.store.getState().containers.worker?.length === 1);
    }, 90_000);

    afterEach(() => {
      // A failed assertion must not leave a procedure open for the next test.
      if (rt?.store.getState().procedure) rt.procedures.active?.cancel();
    });

    afterAll(async () => {
      try {
        await rt?.stop();
        health?.close();
      } finally {
        if (dir) rmSync(dir, { recursive: true, force: true });
        await pm?.stop();
      }
    }, 60_000);

    it('rolls web back 1.1 → 1.0: only the image changes, health must pass, the original is kept, audited', async () => {
      const before = await docker.getContainer('web').inspect();
      const v = await startProcedure('container-rollback', 'web');
      expect(v.step).toBe('choose');
      expect(v.choice!.initial).toBe('localhost/app:1.0');
      expect(v.choice!.options.map((o) => o.label)).toEqual([
        'localhost/app:1.0  (label oncall.previous-image)',
        'localhost/app:0.9  (local tag)',
      ]);
      rt.procedures.active!.choose('localhost/app:1.0');
      const preview = view()!.preview.join('\n');
      expect(preview).toContain(
        'image    localhost/app:1.1\n      →  localhost/app:1.0 (local; never pulled)',
      );
      expect(preview).toMatch(/env FOO,MODE[\w,]* \(values hidden\) · mounts \/data:ro/);
      expect(preview).not.toContain('bar'); // env values never shown
      expect(preview).toMatch(/restart on-failure:3 · network none/);
      expect(view()!.confirm.mode).toBe('yes-no');
      expect(view()!.context).toBe(`unix://${pm.socketPath}`);

      void rt.procedures.active!.submit('yes');
      const end = await runHealthUntilFinal('web');
      expect(end.step, JSON.stringify(end)).toBe('done');
      expect(end.checks.map((c) => `${c.ok} ${c.name}`)).toEqual([
        'true container running',
        'true health check',
        'true health URL',
      ]);

      const after = await docker.getContainer('web').inspect();
      expect(after.Id).not.toBe(before.Id);
      expect(inspectDiff(before, after)).toEqual({
        'Config.Image': ['localhost/app:1.1', 'localhost/app:1.0'],
        // The image's own default env belongs to the image: 1.1 sets APP_VERSION, 1.0 does not.
        'Config.Env': [['APP_VERSION=1.1'], []],
        Image: [before.Image, after.Image],
      });
      expect(await containersNamed('web')).toEqual([
        expect.objectContaining({ name: 'web', state: 'running', image: 'localhost/app:1.0' }),
        expect.objectContaining({
          name: 'web_oncall-kept',
          state: 'exited',
          image: 'localhost/app:1.1',
          id: before.Id,
        }),
      ]);
      // The kept original never shows up as a second container of the service.
      expect(rt.store.getState().containers.web!.map((c) => c.name)).toEqual(['web']);

      const records = audit().filter((r) => r.procedure === 'container-rollback');
      expect(records.map((r) => `${r.step}:${r.outcome}`)).toEqual([
        'started:pending',
        'executed:pending',
        'finished:success',
      ]);
      expect(records[0]).toMatchObject({
        service: 'web',
        target: 'container/web',
        from: 'localhost/app:1.1',
        to: 'localhost/app:1.0',
      });
      expect(records[1]!.detail).toContain('original kept stopped as web_oncall-kept');
      // Podman 4.3 has no container update endpoint: the kept original's restart policy stays, and the
      // operator is told so (Docker switches it off so a daemon restart cannot bring the original back).
      expect(records[1]!.detail).toMatch(
        /restart policy of web_oncall-kept not changed to no: the engine cannot update containers \(HTTP 404\)/,
      );
      expect(records[2]!.operationId).toBe(records[0]!.id);
      rt.procedures.active!.cancel();

      // The audit now names the previous image of web: a second rollback proposes 1.1 first.
      const again = await startProcedure('container-rollback', 'web');
      expect(again.choice!.initial).toBe('localhost/app:1.1');
      expect(again.choice!.options[0]!.label).toBe('localhost/app:1.1  (previous per audit)');
      rt.procedures.active!.cancel();
    }, 90_000);

    it('a failed verification offers restore, and restore brings the original back verified', async () => {
      const original = (await containersNamed('api-1'))[0]!;
      const v = await startProcedure('container-rollback', 'api');
      // The label names an image that is not here: said before confirming, never pulled, not offered.
      expect(v.preview.join('\n')).toContain(
        'label oncall.previous-image names localhost/app:0.5, which is not present locally (oncall never pulls)',
      );
      expect(v.choice!.options.map((o) => o.value)).not.toContain('localhost/app:0.5');
      rt.procedures.active!.choose('localhost/app:0.9'); // 0.9 never creates /healthy
      void rt.procedures.active!.submit('yes');
      const end = await runHealthUntilFinal('api-1');
      expect(end.step).toBe('failed');
      expect(end.error).toContain('container api-1 is unhealthy: exit 1');
      expect(end.error).toContain(
        'the original container is kept stopped as api-1_oncall-kept: u restores it',
      );
      // The failure report lists what changed and offers the revert right there.
      expect(end.changes).toEqual([
        expect.stringMatching(/^api-1 recreated on localhost\/app:0\.9 \(id \w{12}\)$/),
        'original kept stopped as api-1_oncall-kept',
      ]);
      expect(end.revertable).toBe(true);
      const failed = audit().filter((r) => r.procedure === 'container-rollback' && r.service === 'api');
      expect(failed.map((r) => `${r.step}:${r.outcome}`)).toEqual([
        'started:pending',
        'executed:pending',
        'finished:failed',
      ]);

      rt.procedures.active!.startRevert();
      expect(view()!.preview.join('\n')).toMatch(
        /remove {3}api-1 \(\w+\) on localhost\/app:0\.9; restore api-1_oncall-kept on localhost\/app:1\.1 as api-1/,
      );
      void rt.procedures.active!.submit('yes');
      const restored = await runHealthUntilFinal('api-1');
      expect(restored.step, JSON.stringify(restored)).toBe('done');
      expect(await containersNamed('api-1')).toEqual([
        { name: 'api-1', state: 'running', image: 'localhost/app:1.1', id: original.id },
      ]);
      expect(
        audit()
          .filter((x) => x.procedure === 'container-rollback:revert')
          .map((x) => `${x.step}:${x.outcome}`),
      ).toEqual(['started:pending', 'executed:pending', 'finished:success']);
      // Nothing is kept any more: u on the Service screen says so.
      expect(keptOriginalReason(rt.store.getState(), 'api')).toBe('no original container of api is kept');
      rt.procedures.active!.cancel();
    }, 90_000);

    it('a container removed by someone else: during verification, and between preview and confirm', async () => {
      await startProcedure('container-rollback', 'worker');
      rt.procedures.active!.choose('localhost/app:1.0');
      void rt.procedures.active!.submit('yes');
      // Someone removes the new container while oncall waits for its health check.
      const created = await until('the new worker', () =>
        rt.store.getState().containers.worker?.find((c) => c.image === 'localhost/app:1.0'),
      );
      await docker.getContainer(created.id).remove({ force: true });
      const end = await until('failure', () => final(view()));
      expect(end.step).toBe('failed');
      expect(end.error).toMatch(
        /container \w+ was removed by someone else while being verified; the original container is kept stopped as worker_oncall-kept/,
      );
      rt.procedures.active!.cancel();

      // Restore puts the kept one back even though no current container exists.
      await startProcedure('container-restore', 'worker');
      expect(view()!.preview[0]).toBe('no container named worker runs now');
      void rt.procedures.active!.submit('yes');
      expect((await runHealthUntilFinal('worker')).step).toBe('done');
      rt.procedures.active!.cancel();

      // Removed after the preview, before the confirmation: an error, nothing created, audited as failed.
      await startProcedure('container-rollback', 'worker');
      rt.procedures.active!.choose('localhost/app:1.0');
      await docker.getContainer('worker').remove({ force: true });
      void rt.procedures.active!.submit('yes');
      const gone = await until('failure', () => final(view()));
      expect(gone.step).toBe('failed');
      expect(gone.error).toMatch(
        /container \w+ no longer exists \(removed by someone else since the preview\?\); nothing was changed/,
      );
      expect((await containersNamed('worker')).map((c) => c.name)).toEqual([]);
      const last = audit()
        .filter((r) => r.service === 'worker')
        .slice(-2);
      expect(last.map((r) => `${r.procedure} ${r.step}:${r.outcome}`)).toEqual([
        'container-rollback started:pending',
        'container-rollback finished:failed',
      ]);
      rt.procedures.active!.cancel();
    }, 90_000);

    it('an image that disappeared after the preview is an error before any change; never pulled', async () => {
      await pm.podman('tag', 'localhost/app:1.0', 'localhost/solo:1.0');
      await pm.podman('tag', 'localhost/app:1.0', 'localhost/solo:0.1');
      await create('solo', 'localhost/solo:1.0');
      await until('solo listed', () => rt.store.getState().containers.solo?.length === 1);
      const before = (await containersNamed('solo'))[0]!;
      const v = await startProcedure('container-rollback', 'solo');
      expect(v.choice!.options.map((o) => o.value)).toEqual(['localhost/solo:0.1']);
      rt.procedures.active!.choose('localhost/solo:0.1');
      expect((await pm.podman('rmi', 'localhost/solo:0.1')).code).toBe(0);
      void rt.procedures.active!.submit('yes');
      const end = await until('failure', () => final(view()));
      expect(end.error).toBe(
        'image localhost/solo:0.1 is not present locally; oncall never pulls (nothing was changed)',
      );
      expect(await containersNamed('solo')).toEqual([before]);
      rt.procedures.active!.cancel();
      // No other local tag any more: refused before any preview.
      expect(rt.procedures.start('container-rollback', 'solo')).toBe(true);
      await until('flash', () => rt.store.getState().ui.flash?.text.includes('no other local tag'));
      expect(rt.store.getState().ui.flash?.text).toBe(
        'container-rollback unavailable: no other local tag of localhost/solo to roll back to',
      );
      expect(view()).toBeNull();
      const events = (await pm.podman('events', '--stream=false', '--filter', 'type=image')).stdout;
      expect(events).not.toMatch(/\bpull\b/);
    }, 60_000);

    it('rolls back a container that crashed on a bad image: started again on the image default command', async () => {
      const c = await docker.createContainer({
        name: 'crash',
        Image: 'localhost/crash:2.0',
        Healthcheck: HEALTH,
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'none' },
      });
      await c.start();
      const exited = await until('crash exited', () =>
        rt.store.getState().containers.crash?.find((x) => x.state === 'exited'),
      );
      expect(exited.exitCode).toBe(3);
      await startProcedure('container-rollback', 'crash');
      expect(view()!.choice!.initial).toBe('localhost/crash:1.9');
      rt.procedures.active!.choose();
      void rt.procedures.active!.submit('yes');
      const end = await runHealthUntilFinal('crash');
      expect(end.step, JSON.stringify(end)).toBe('done');
      const i = await docker.getContainer('crash').inspect();
      // The old image's command was its default, so the new image's default applies (not "exit 3").
      expect(i.Config.Cmd).toEqual(['/bin/sh', '-c', 'touch /healthy; exec sleep 100000']);
      expect(i.State.Status).toBe('running');
    }, 60_000);

    it('a new container that cannot start is removed and the original put back and started', async () => {
      await create('boot', 'localhost/boot:2.0');
      await until('boot listed', () => rt.store.getState().containers.boot?.length === 1);
      const before = (await containersNamed('boot'))[0]!;
      await startProcedure('container-rollback', 'boot');
      rt.procedures.active!.choose('localhost/boot:1.0');
      void rt.procedures.active!.submit('yes');
      const end = await until('failure', () => final(view()));
      expect(end.step).toBe('failed');
      expect(end.error).toMatch(
        /^start boot: .*no-such-binary.*; the original container was put back and started$/,
      );
      expect(await containersNamed('boot')).toEqual([{ ...before, state: 'running' }]);
      const recs = audit().filter((r) => r.service === 'boot');
      expect(recs.map((r) => `${r.step}:${r.outcome}`)).toEqual(['started:pending', 'finished:failed']);
    }, 60_000);

    it('a label-matched service with two containers: rollback, restore and restart act on both', async () => {
      await create('pool-1', 'localhost/app:1.1', { Labels: { app: 'pool' } });
      await create('pool-2', 'localhost/app:1.1', { Labels: { app: 'pool' } });
      await until('pool listed', () => rt.store.getState().containers.pool?.length === 2);
      const before = await containersNamed('pool');
      const v = await startProcedure('container-rollback', 'pool');
      expect(v.title).toBe('Roll back containers pool-1, pool-2');
      rt.procedures.active!.choose('localhost/app:1.0');
      expect(view()!.preview[0]).toMatch(
        /^containers pool-1 \(\w{12}\), pool-2 \(\w{12}\), each recreated with only the image changed/,
      );
      void rt.procedures.active!.submit('yes');
      const end = await runHealthUntilFinal('pool-1', 'pool-2');
      expect(end.step, JSON.stringify(end)).toBe('done');
      expect(end.checks).toHaveLength(4);
      const after = await containersNamed('pool');
      expect(after.map((c) => `${c.name} ${c.state} ${c.image}`)).toEqual([
        'pool-1 running localhost/app:1.0',
        'pool-1_oncall-kept exited localhost/app:1.1',
        'pool-2 running localhost/app:1.0',
        'pool-2_oncall-kept exited localhost/app:1.1',
      ]);
      rt.procedures.active!.cancel();

      await startProcedure('container-restore', 'pool');
      void rt.procedures.active!.submit('yes');
      expect((await runHealthUntilFinal('pool-1', 'pool-2')).step).toBe('done');
      expect(await containersNamed('pool')).toEqual(before.map((c) => ({ ...c, state: 'running' })));
      rt.procedures.active!.cancel();

      await startProcedure('container-restart', 'pool');
      void rt.procedures.active!.submit('yes');
      expect((await runHealthUntilFinal('pool-1', 'pool-2')).step).toBe('done');
      const restarts = audit().filter((r) => r.procedure === 'container-restart' && r.service === 'pool');
      expect(restarts[1]!.detail).toMatch(/container pool-1 restarted .*; container pool-2 restarted/);
      rt.procedures.active!.cancel();
    }, 90_000);

    it('restarts web and verifies with a health probe made after the restart', async () => {
      const before = (await docker.getContainer('web').inspect()).State.StartedAt;
      await startProcedure('container-restart', 'web');
      expect(view()!.preview.join('\n')).toContain('stopped (its stop timeout) and started again');
      void rt.procedures.active!.submit('yes');
      const end = await runHealthUntilFinal('web');
      expect(end.step, JSON.stringify(end)).toBe('done');
      expect((await docker.getContainer('web').inspect()).State.StartedAt).not.toBe(before);
      expect(
        audit()
          .filter((r) => r.procedure === 'container-restart' && r.service === 'web')
          .map((r) => `${r.step}:${r.outcome}`),
      ).toEqual(['started:pending', 'executed:pending', 'finished:success']);
      rt.procedures.active!.cancel();
    }, 60_000);

    it('healthUrl failing keeps verification from passing', async () => {
      healthStatus = 503;
      try {
        const checks = await import('../../src/procedures/container-rollback.js').then((m) =>
          m.verifyContainer(
            { store: rt.store, ports: rt.read, now: Date.now, refresh: async () => undefined },
            rt.store.getState().services.find((s) => s.name === 'web')!,
            rt.store.getState().containers.web![0]!.id,
            'localhost/app:1.0',
            true,
          ),
        );
        expect(checks.find((c) => c.name === 'health URL')).toMatchObject({
          ok: false,
          detail: expect.stringContaining('HTTP 503'),
        });
      } finally {
        healthStatus = 200;
      }
    });
  },
);

/** Flatten two inspect documents and list what differs, ignoring what is per-instance by nature. */
function inspectDiff(
  a: Docker.ContainerInspectInfo,
  b: Docker.ContainerInspectInfo,
): Record<string, unknown> {
  const volatile =
    /^(Id|Created|State|RestartCount|ResolvConfPath|HostnamePath|HostsPath|LogPath|ExecIDs|SizeRootFs|SizeRw|Config\.Hostname|GraphDriver|NetworkSettings\.SandboxKey|NetworkSettings\.SandboxID)(\.|$)/;
  const envOf = (i: Docker.ContainerInspectInfo) =>
    (i.Config.Env ?? []).filter((e) => !e.startsWith('HOSTNAME=')).sort();
  const flat = (o: unknown, prefix = '', out: Record<string, string> = {}) => {
    if (o && typeof o === 'object' && !Array.isArray(o)) {
      for (const [k, v] of Object.entries(o)) flat(v, prefix ? `${prefix}.${k}` : k, out);
    } else out[prefix] = JSON.stringify(o);
    return out;
  };
  const fa = flat({ ...a, Config: { ...a.Config, Env: undefined } });
  const fb = flat({ ...b, Config: { ...b.Config, Env: undefined } });
  const diff: Record<string, unknown> = {};
  for (const k of new Set([...Object.keys(fa), ...Object.keys(fb)])) {
    if (volatile.test(k) || fa[k] === fb[k]) continue;
    diff[k] = [
      fa[k] === undefined ? undefined : JSON.parse(fa[k]!),
      fb[k] === undefined ? undefined : JSON.parse(fb[k]!),
    ];
  }
  const ea = envOf(a);
  const eb = envOf(b);
  if (JSON.stringify(ea) !== JSON.stringify(eb))
    diff['Config.Env'] = [ea.filter((e) => !eb.includes(e)), eb.filter((e) => !ea.includes(e))];
  return diff;
}
