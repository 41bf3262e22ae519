/**
 * The container read port against a real Podman (Docker API on a unix socket): listing by name and label,
 * health transitions through real health check runs, the events stream (and its reconnect when the
 * service restarts), a missing socket, a permission-denied socket, and DOCKER_HOST tcp with TLS.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Docker from 'dockerode';
import { build } from 'esbuild';
import { requireBinaries } from '../helpers/backend.js';
import { APP_CMD, startPodman, type PodmanService } from '../helpers/podman.js';
import { createDockerAdapters } from '../../src/adapters/docker/index.js';
import type { ContainerView } from '../../src/domain/model.js';
import { parseConfigText } from '../../src/config/load.js';
import { createRuntime } from '../../src/cli/runtime.js';
import { statusJson } from '../../src/cli/status.js';
import { runDoctor } from '../../src/cli/doctor.js';

const HEALTH = {
  Test: ['CMD-SHELL', 'test -f /healthy && echo fine'],
  Interval: 1e9,
  Timeout: 1e9,
  Retries: 1,
};

/** Collects what a watch reports and waits on it (never on sleeps). */
function recorder() {
  const snapshots: { service: string; list: ContainerView[] }[] = [];
  const errors: string[] = [];
  const waiters: (() => void)[] = [];
  const poke = () => waiters.splice(0).forEach((w) => w());
  return {
    snapshots,
    errors,
    listener: {
      onContainers(service: string, list: ContainerView[]) {
        snapshots.push({ service, list });
        poke();
      },
      onError(message: string) {
        errors.push(message);
        poke();
      },
    },
    latest(service: string) {
      return [...snapshots].reverse().find((s) => s.service === service)?.list;
    },
    async until<T>(what: string, pick: () => T | undefined | false, timeoutMs = 15_000): Promise<T> {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const v = pick();
        if (v) return v;
        if (Date.now() > deadline)
          throw new Error(`timed out waiting for ${what}; errors: ${errors.join(' | ')}`);
        await new Promise<void>((r) => {
          waiters.push(r);
          setTimeout(r, 200);
        });
      }
    },
  };
}

describe.runIf(requireBinaries(['podman', 'runc', 'busybox']))('docker adapter against real Podman', () => {
  let pm: PodmanService;
  let docker: Docker;

  beforeAll(async () => {
    pm = await startPodman();
    docker = new Docker({ socketPath: pm.socketPath });
    await (
      await docker.createContainer({
        name: 'web',
        Image: 'localhost/app:1.1',
        Labels: { app: 'web', 'oncall.previous-image': 'localhost/app:1.0' },
        Healthcheck: HEALTH,
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'none' },
      })
    ).start();
    // A container whose name contains "web" must not match the name selector "web".
    await (
      await docker.createContainer({
        name: 'webhooks-2',
        Image: 'localhost/app:1.0',
        Labels: { app: 'hooks' },
        Cmd: APP_CMD,
        StopTimeout: 1,
        HostConfig: { NetworkMode: 'none' },
      })
    ).start();
  }, 60_000);

  afterAll(async () => {
    await pm?.stop();
  }, 60_000);

  it('lists by exact name and by label with state, health, image, digest and uptime', async () => {
    const { read } = createDockerAdapters({ host: `unix://${pm.socketPath}`, readOnly: true, env: {} });
    const byName = await read.list({ service: 'web', name: 'web' });
    expect(byName.map((c) => c.name)).toEqual(['web']);
    const c = byName[0]!;
    expect(c).toMatchObject({
      state: 'running',
      health: 'starting',
      image: 'localhost/app:1.1',
      restartCount: 0,
      oomKilled: false,
      exitCode: 0,
    });
    expect(c.imageDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    expect(Date.now() - c.startedAt!).toBeLessThan(120_000);
    const byLabel = await read.list({ service: 'hooks', label: 'app=hooks' });
    expect(byLabel.map((x) => `${x.name} ${x.health}`)).toEqual(['webhooks-2 none']);
    expect(await read.localTags('localhost/app:1.1')).toEqual(
      expect.arrayContaining(['localhost/app:1.0', 'localhost/app:1.1']),
    );
    expect(await read.imageExists('localhost/app:1.0')).toBe(true);
    expect(await read.imageExists('localhost/app:0.1')).toBe(false);
    const details = await read.inspect(c.id);
    expect(details.labels['oncall.previous-image']).toBe('localhost/app:1.0');
    expect(details.hasHealthcheck).toBe(true);
    await read.close();
  });

  it('follows health transitions live through the events stream: starting → healthy → unhealthy', async () => {
    const { read } = createDockerAdapters({ host: `unix://${pm.socketPath}`, readOnly: true, env: {} });
    const rec = recorder();
    const stop = read.watch([{ service: 'web', label: 'app=web' }], rec.listener);
    await rec.until('first list', () => rec.latest('web')?.length === 1);
    expect(await pm.healthcheck('web')).toBe(0);
    const healthy = await rec.until('healthy', () => rec.latest('web')?.find((c) => c.health === 'healthy'));
    expect(healthy.healthOutput).toBe('exit 0: fine');

    await docker
      .getContainer('web')
      .exec({ Cmd: ['rm', '/healthy'], AttachStdout: true })
      .then(async (ex) => {
        const s = await ex.start({});
        s.resume();
        await new Promise((r) => s.on('end', r));
      });
    expect(await pm.healthcheck('web')).toBe(1);
    const bad = await rec.until('unhealthy', () => rec.latest('web')?.find((c) => c.health === 'unhealthy'));
    expect(bad.healthOutput).toBe('exit 1');
    stop();
    await read.close();
  });

  it('reconnects the events stream with backoff when the service restarts, and re-reads what it missed', async () => {
    const { read } = createDockerAdapters({
      host: `unix://${pm.socketPath}`,
      readOnly: true,
      env: {},
      read: { backoff: { initialMs: 100, maxMs: 400 } },
    });
    const rec = recorder();
    const stop = read.watch([{ service: 'hooks', name: 'webhooks-2' }], rec.listener);
    await rec.until('first list', () => rec.latest('hooks')?.[0]?.state === 'running');
    await pm.stopService();
    await rec.until('stream loss reported', () =>
      rec.errors.find((e) => /events stream .* reconnecting/.test(e)),
    );
    // While nobody listens, the container stops.
    await pm.podman('stop', '-t', '0', 'webhooks-2');
    await rec.until('retry reported', () => rec.errors.find((e) => /connection refused|not found/.test(e)));
    await pm.startService();
    const seen = await rec.until('the stop seen after reconnect', () =>
      rec.latest('hooks')?.find((c) => c.state === 'exited'),
    );
    expect(seen.name).toBe('webhooks-2');
    stop();
    await read.close();
  });

  it('status --json lists containers per service, and doctor names the engine', async () => {
    const config = parseConfigText(
      `
docker: {host: "unix://${pm.socketPath}"}
services:
  - {name: web, container: {label: "app=web"}}
  - {name: hooks, container: {name: webhooks-2}}
`,
      'test.yaml',
    );
    const dir = mkdtempSync(join(tmpdir(), 'oncall-status-'));
    const rt = await createRuntime({
      config,
      mode: 'live',
      readOnly: true,
      auditFile: join(dir, 'a.jsonl'),
      env: {},
    });
    try {
      await rt.start();
      const deadline = Date.now() + 15_000;
      while (!rt.store.getState().containers.web && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 20));
      const web = statusJson(rt.store.getState()).services.find((x) => x.name === 'web')!;
      expect(web.containers).toEqual([
        expect.objectContaining({
          name: 'web',
          state: 'running',
          image: 'localhost/app:1.1',
          health: expect.stringMatching(/^(starting|healthy|unhealthy)$/),
          imageDigest: expect.stringMatching(/^sha256:/),
          restartCount: 0,
          oomKilled: false,
        }),
      ]);
      const doctor = await runDoctor(rt);
      const line = doctor.find((l) => l.source === 'containers')!;
      expect(line).toMatchObject({ reachable: true, authenticated: true });
      expect(line.actions).toMatch(/^none \(read-only/);
      expect(line.detail).toContain(`Podman Engine 4.3.1, API`);
      expect(line.detail).toContain(`at unix://${pm.socketPath} · containers per service: web: 1, hooks: 1`);
    } finally {
      await rt.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a missing socket is a source error with the path, never a crash', async () => {
    const missing = join(pm.dir, 'nope.sock');
    const { read } = createDockerAdapters({ host: `unix://${missing}`, readOnly: true, env: {} });
    const rec = recorder();
    const stop = read.watch([{ service: 'web', name: 'web' }], rec.listener);
    const err = await rec.until('error', () => rec.errors[0]);
    expect(err).toContain(`Docker API socket unix://${missing} not found`);
    await expect(read.list({ service: 'web', name: 'web' })).rejects.toThrow(/not found/);
    stop();
  });

  it('a permission-denied socket is a source error (checked as an unprivileged user)', async () => {
    // Root ignores file modes, so the adapter runs in a child process as nobody.
    const dir = mkdtempSync(join(tmpdir(), 'oncall-eacces-'));
    const sock = join(dir, 'docker.sock');
    const server: Server = createServer((s) => s.end());
    await new Promise<void>((r) => server.listen(sock, r));
    chmodSync(sock, 0o600);
    chmodSync(dir, 0o755);
    try {
      if (process.getuid?.() !== 0) {
        // Not root: the file mode alone denies us.
        chmodSync(sock, 0o000);
        const { read } = createDockerAdapters({ host: `unix://${sock}`, readOnly: true, env: {} });
        await expect(read.list({ service: 'web', name: 'web' })).rejects.toThrow(
          `permission denied on unix://${sock}`,
        );
        return;
      }
      const entry = join(dir, 'entry.ts');
      writeFileSync(
        entry,
        `import { createDockerAdapters } from ${JSON.stringify(join(process.cwd(), 'src/adapters/docker/index.ts'))};
const { read } = createDockerAdapters({ host: process.argv[2], readOnly: true, env: {} });
const stop = read.watch([{ service: 'web', name: 'web' }], {
  onContainers() {},
  onError(m) { console.log(m); stop(); },
});`,
      );
      await build({
        entryPoints: [entry],
        bundle: true,
        platform: 'node',
        format: 'cjs',
        outfile: join(dir, 'probe.cjs'),
        logLevel: 'silent',
        loader: { '.node': 'empty' },
      });
      chmodSync(join(dir, 'probe.cjs'), 0o644);
      const out = await new Promise<string>((resolve, reject) =>
        execFile(
          'setpriv',
          [
            '--reuid=65534',
            '--regid=65534',
            '--clear-groups',
            'node',
            join(dir, 'probe.cjs'),
            `unix://${sock}`,
          ],
          { timeout: 20_000 },
          (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
        ),
      );
      expect(out).toContain(`permission denied on unix://${sock}`);
    } finally {
      server.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 30_000);

  it('DOCKER_HOST tcp:// with DOCKER_TLS_VERIFY and DOCKER_CERT_PATH talks mutual TLS', async () => {
    const pki = mkdtempSync(join(tmpdir(), 'oncall-dockertls-'));
    const ossl = (...args: string[]) => execFileSync('openssl', args, { cwd: pki, stdio: 'pipe' });
    const K = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
    ossl(
      'req',
      '-x509',
      '-new',
      ...K,
      '-keyout',
      'ca-key.pem',
      '-out',
      'ca.pem',
      '-days',
      '2',
      '-subj',
      '/CN=test docker ca',
    );
    const leaf = (name: string, ext: string) => {
      ossl('req', '-new', ...K, '-keyout', `${name}-key.pem`, '-out', `${name}.csr`, '-subj', `/CN=${name}`);
      writeFileSync(join(pki, `${name}.ext`), ext);
      ossl(
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca-key.pem',
        '-CAcreateserial',
        '-days',
        '2',
        '-out',
        `${name}.pem`,
        '-extfile',
        `${name}.ext`,
      );
    };
    leaf('server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n');
    leaf('cert', 'extendedKeyUsage=clientAuth\n');
    execFileSync('cp', [join(pki, 'cert-key.pem'), join(pki, 'key.pem')]);
    const { readFileSync } = await import('node:fs');
    const f = (n: string) => readFileSync(join(pki, n));
    const server: TlsServer = createTlsServer(
      {
        key: f('server-key.pem'),
        cert: f('server.pem'),
        ca: f('ca.pem'),
        requestCert: true,
        rejectUnauthorized: true,
      },
      (s) => {
        const up = connect(pm.socketPath);
        s.pipe(up).pipe(s);
        up.on('error', () => s.destroy());
        s.on('error', () => up.destroy());
      },
    );
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as { port: number }).port;
    try {
      const env = { DOCKER_HOST: `tcp://127.0.0.1:${port}`, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: pki };
      const ok = createDockerAdapters({ readOnly: true, env });
      expect(ok.target.describe).toBe(`tcp+tls://127.0.0.1:${port}`);
      expect((await ok.read.list({ service: 'web', name: 'web' })).map((c) => c.image)).toEqual([
        'localhost/app:1.1',
      ]);
      // The events stream works over TLS too (the first list is read once the stream is up).
      const rec = recorder();
      const stop = ok.read.watch([{ service: 'web', name: 'web' }], rec.listener);
      await rec.until('a list over TLS', () => rec.latest('web')?.length === 1);
      stop();
      // Without TLS the server refuses to talk: a clear error, not a hang.
      const plain = createDockerAdapters({
        readOnly: true,
        env: { DOCKER_HOST: `tcp://127.0.0.1:${port}` },
        read: { timeoutMs: 3000 },
      });
      await expect(plain.read.list({ service: 'web', name: 'web' })).rejects.toThrow(/tcp:\/\/127\.0\.0\.1/);
      // TLS verify on but no certificates: a located configuration error.
      expect(() =>
        createDockerAdapters({ readOnly: true, env: { ...env, DOCKER_CERT_PATH: join(pki, 'missing') } }),
      ).toThrow(/DOCKER_TLS_VERIFY is set but .*missing\/ca\.pem cannot be read/);
    } finally {
      server.close();
      rmSync(pki, { recursive: true, force: true });
    }
  }, 30_000);
});
