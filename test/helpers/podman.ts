/**
 * A private Podman serving the Docker API on a unix socket in a temp dir (recipe: /work/shared/BACKENDS.md §5):
 * vfs storage, runc, no network namespace, lowered ulimits, file events log; images localhost/app:1.0 and
 * 1.1 made with `podman import` of a busybox rootfs. Health checks do not run by themselves here:
 * `healthcheck(name)` runs one probe. `stop()` removes every container, kills the service and any conmon
 * left for this dir, and deletes the dir.
 */
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, copyFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const APP_CMD = ['/bin/sh', '-c', 'touch /healthy; exec sleep 100000'];

export interface ExtraImage {
  ref: string;
  cmd?: string[];
  env?: Record<string, string>;
}

export interface PodmanService {
  dir: string;
  socketPath: string;
  env: NodeJS.ProcessEnv;
  podman(...args: string[]): Promise<{ stdout: string; stderr: string; code: number }>;
  /** Run the container's health check once (exit code 0 healthy, 1 unhealthy). */
  healthcheck(name: string): Promise<number>;
  /** Stop the API service (the containers keep running) and start it again on the same socket. */
  stopService(): Promise<void>;
  startService(): Promise<void>;
  stop(): Promise<void>;
}

function run(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string; code: number }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env, timeout: 60_000 }, (err, stdout, stderr) => {
      const code = err ? ((err as { code?: number }).code ?? 1) : 0;
      resolve({ stdout: String(stdout), stderr: String(stderr), code: typeof code === 'number' ? code : 1 });
    });
  });
}

export function ping(socketPath: string): Promise<boolean> {
  return new Promise((resolve) => {
    const req = request({ socketPath, path: '/_ping', timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => {
      req.destroy();
      resolve(false);
    });
    req.end();
  });
}

async function until(what: string, fn: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await fn()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

export async function startPodman(opts: { extraImages?: ExtraImage[] } = {}): Promise<PodmanService> {
  const dir = mkdtempSync(join(tmpdir(), 'oncall-podman-'));
  const socketPath = join(dir, 'podman.sock');
  writeFileSync(
    join(dir, 'storage.conf'),
    `[storage]\ndriver = "vfs"\ngraphroot = "${dir}/root"\nrunroot = "${dir}/runroot"\n`,
  );
  writeFileSync(
    join(dir, 'containers.conf'),
    [
      '[containers]',
      'netns = "none"',
      'cgroupns = "host"',
      'default_ulimits = ["nofile=4096:4096", "nproc=4096:4096"]',
      '[engine]',
      'cgroup_manager = "cgroupfs"',
      'events_logger = "file"',
      `events_logfile_path = "${dir}/events.log"`,
      'runtime = "runc"',
      `tmp_dir = "${dir}/tmp"`,
      '[network]',
      `network_config_dir = "${dir}/net"`,
      '',
    ].join('\n'),
  );
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    CONTAINERS_STORAGE_CONF: join(dir, 'storage.conf'),
    CONTAINERS_CONF: join(dir, 'containers.conf'),
  };
  const rootfs = join(dir, 'rootfs');
  mkdirSync(join(rootfs, 'bin'), { recursive: true });
  // busybox-static: one static binary is the whole userland of the test images.
  const busybox = execFileSync('sh', ['-c', 'command -v busybox'], { encoding: 'utf8' }).trim();
  copyFileSync(busybox, join(rootfs, 'bin', 'busybox'));
  for (const a of ['sh', 'sleep', 'touch', 'test', 'rm', 'cat', 'ls', 'echo'])
    symlinkSync('busybox', join(rootfs, 'bin', a));
  const tar = join(dir, 'app.tar');
  const podman = (...args: string[]) => run('podman', args, env);
  const must = async (...args: string[]) => {
    const r = await podman(...args);
    if (r.code !== 0) throw new Error(`podman ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
    return r;
  };
  let svc: ChildProcess | null = null;

  const startService = async () => {
    rmSync(socketPath, { force: true });
    svc = spawn('podman', ['system', 'service', '--time=0', `unix://${socketPath}`], {
      env,
      stdio: 'ignore',
    });
    await until('the podman service', () => ping(socketPath));
  };
  const stopService = async () => {
    const p = svc;
    svc = null;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise<void>((r) => p.once('exit', () => r()));
    p.kill('SIGTERM');
    await exited;
  };
  /** Processes still working in this dir: conmon, and the `podman container cleanup` conmon runs on exit. */
  const leftovers = async () => {
    const ps = await run('ps', ['-eo', 'pid=,args='], process.env);
    return ps.stdout
      .split('\n')
      .map((line) => /^\s*(\d+)\s+(\S+)/.exec(line))
      .filter((m): m is RegExpExecArray =>
        Boolean(m && m.input.includes(dir) && Number(m[1]) !== process.pid),
      )
      .map((m) => ({ pid: Number(m[1]), conmon: m[2]!.endsWith('conmon') }));
  };
  const stop = async () => {
    await podman('rm', '-af', '-t', '0');
    await stopService();
    // conmon's exit command (podman container cleanup) may still run and recreate files in the dir:
    // stop conmon, wait for the rest to finish (bounded), then remove the dir.
    for (let i = 0; i < 100; i++) {
      const left = await leftovers();
      if (left.length === 0) break;
      for (const p of left) {
        if (!p.conmon && i < 50) continue;
        try {
          process.kill(p.pid, 'SIGTERM');
        } catch (err) {
          void err; // already gone
        }
      }
      await new Promise((r) => setTimeout(r, 100));
    }
    rmSync(dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 100 });
  };

  try {
    await must('--version');
    await run('tar', ['-C', rootfs, '-cf', tar, '.'], env);
    const imp = async (ref: string, cmd: string[], extraEnv: Record<string, string>) =>
      must(
        'import',
        '--change',
        `CMD ${JSON.stringify(cmd)}`,
        '--change',
        'ENV PATH=/bin',
        ...Object.entries(extraEnv).flatMap(([k, v]) => ['--change', `ENV ${k}=${v}`]),
        tar,
        ref,
      );
    await imp('localhost/app:1.0', APP_CMD, {});
    await imp('localhost/app:1.1', APP_CMD, { APP_VERSION: '1.1' });
    for (const x of opts.extraImages ?? []) await imp(x.ref, x.cmd ?? APP_CMD, x.env ?? {});
    await startService();
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    dir,
    socketPath,
    env,
    podman,
    async healthcheck(name) {
      return (await podman('healthcheck', 'run', name)).code;
    },
    stopService,
    startService,
    stop,
  };
}
