/** Pure parts of the Docker adapter: where the API lives, and the recreate body built from an inspect. */
import { describe, expect, it } from 'vitest';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describeDockerError, resolveDockerTarget } from '../../src/adapters/docker/connection.js';
import {
  carriedSummary,
  recreateBody,
  repository,
  tagOf,
  toContainerView,
  type ContainerInspect,
  type ImageInspect,
} from '../../src/adapters/docker/inspect.js';
import { previousFromAudit } from '../../src/procedures/container-rollback.js';
import type { AuditRecord } from '../../src/audit/record.js';

describe('resolveDockerTarget', () => {
  it('prefers docker.host, then DOCKER_HOST, then the first existing Docker/Podman socket', () => {
    expect(resolveDockerTarget('unix:///a.sock', { DOCKER_HOST: 'unix:///b.sock' })).toMatchObject({
      kind: 'unix',
      socketPath: '/a.sock',
    });
    expect(resolveDockerTarget(undefined, { DOCKER_HOST: 'unix:///b.sock' })).toMatchObject({
      socketPath: '/b.sock',
    });
    const env = { XDG_RUNTIME_DIR: '/run/user/1000' };
    expect(
      resolveDockerTarget(undefined, env, (p) => p === '/run/user/1000/podman/podman.sock'),
    ).toMatchObject({
      socketPath: '/run/user/1000/podman/podman.sock',
    });
    expect(resolveDockerTarget(undefined, env, () => false)).toMatchObject({
      socketPath: '/var/run/docker.sock',
    });
  });

  it('tcp:// is plain unless DOCKER_TLS_VERIFY is set; then the certificates come from DOCKER_CERT_PATH', () => {
    expect(resolveDockerTarget(undefined, { DOCKER_HOST: 'tcp://127.0.0.1:2375' })).toMatchObject({
      kind: 'tcp',
      host: '127.0.0.1',
      port: 2375,
      tls: null,
      describe: 'tcp://127.0.0.1:2375',
    });
    const dir = mkdtempSync(join(tmpdir(), 'oncall-certs-'));
    try {
      for (const f of ['ca.pem', 'cert.pem', 'key.pem']) writeFileSync(join(dir, f), f);
      const t = resolveDockerTarget(undefined, {
        DOCKER_HOST: 'tcp://[::1]:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: dir,
      });
      expect(t).toMatchObject({ kind: 'tcp', host: '::1', port: 2376, describe: 'tcp+tls://[::1]:2376' });
      expect(t.kind === 'tcp' && t.tls?.ca.toString()).toBe('ca.pem');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    expect(() => resolveDockerTarget('ssh://me@127.0.0.1', {})).toThrow(
      'docker.host ssh://me@127.0.0.1: only unix:// and tcp:// are supported',
    );
    expect(() => resolveDockerTarget('unix://relative.sock', {})).toThrow(/absolute socket path/);
  });

  it('names the socket and the fix in transport errors, without control characters', () => {
    const t = resolveDockerTarget('unix:///x.sock', {});
    expect(describeDockerError(Object.assign(new Error('x'), { code: 'EACCES' }), t)).toBe(
      'permission denied on unix:///x.sock: join the docker group, or use the rootless Podman socket',
    );
    expect(describeDockerError({ statusCode: 500, json: { message: 'boom\u001b[31mred' } }, t)).toBe(
      'unix:///x.sock: HTTP 500: boomred',
    );
  });
});

const inspect = (over: Partial<ContainerInspect> = {}): ContainerInspect => ({
  Id: 'abcdef0123456789abcdef',
  Name: '/web',
  Image: 'sha256:old',
  RestartCount: 2,
  State: {
    Status: 'running',
    OOMKilled: true,
    ExitCode: 0,
    StartedAt: '2026-11-26T07:00:00Z',
    Health: {
      Status: 'unhealthy',
      Log: [{ ExitCode: 1, Output: 'curl: (7) refused\n', End: '2026-11-26T07:01:00Z' }],
    },
  },
  Config: {
    Hostname: 'abcdef012345',
    Env: ['PATH=/bin', 'APP_VERSION=1.1', 'FOO=bar', 'HOSTNAME=abcdef012345'],
    Cmd: ['serve'],
    Entrypoint: null,
    WorkingDir: '/srv',
    Labels: { 'org.opencontainers.image.version': '1.1', app: 'web' },
    Healthcheck: { Test: ['CMD', 'true'] },
    ExposedPorts: { '8080/tcp': {} },
    Volumes: { '/data': {} },
    Image: 'registry.test:5000/team/web:1.1',
    User: 'app',
    StopSignal: 'SIGTERM',
  },
  HostConfig: {
    NetworkMode: 'appnet',
    RestartPolicy: { Name: 'unless-stopped' },
    PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] },
    Binds: ['/etc/web:/etc/web:ro'],
    Ulimits: [{ Name: 'RLIMIT_NOFILE', Soft: 1024, Hard: 2048 }],
    Runtime: 'oci',
  },
  Mounts: [
    { Type: 'bind', Source: '/etc/web', Destination: '/etc/web', RW: false },
    { Type: 'volume', Name: '3f2a9c', Destination: '/data', RW: true },
  ],
  NetworkSettings: {
    Networks: {
      appnet: { Aliases: ['abcdef012345', 'web'], IPAMConfig: null },
      monitoring: { Aliases: ['web-metrics'] },
    },
  },
  ...over,
});

const oldImage: ImageInspect = {
  Id: 'sha256:old',
  Config: {
    Env: ['PATH=/bin', 'APP_VERSION=1.1'],
    Cmd: ['serve'],
    Labels: { 'org.opencontainers.image.version': '1.1' },
    ExposedPorts: { '8080/tcp': {} },
    WorkingDir: '/srv',
  },
};

describe('recreateBody', () => {
  it("carries the container's own settings and leaves the old image's defaults to the new image", () => {
    const b = recreateBody(inspect(), oldImage, 'registry.test:5000/team/web:1.0');
    expect(b).toMatchObject({
      name: 'web',
      Image: 'registry.test:5000/team/web:1.0',
      Env: ['FOO=bar'],
      Labels: { app: 'web' },
      User: 'app',
      Healthcheck: { Test: ['CMD', 'true'] },
      StopSignal: 'SIGTERM',
      Volumes: { '/data': {} },
      NetworkingConfig: { EndpointsConfig: { appnet: { Aliases: ['web'] } } },
    });
    // Image defaults are not pinned: Cmd, WorkingDir, ExposedPorts equal the old image's.
    expect(b).not.toHaveProperty('Cmd');
    expect(b).not.toHaveProperty('WorkingDir');
    expect(b).not.toHaveProperty('ExposedPorts');
    expect(b).not.toHaveProperty('Hostname');
    const hc = b.HostConfig as Record<string, unknown>;
    expect(hc).toMatchObject({
      NetworkMode: 'appnet',
      RestartPolicy: { Name: 'unless-stopped' },
      PortBindings: { '8080/tcp': [{ HostIp: '127.0.0.1', HostPort: '18080' }] },
      // The anonymous volume is bound by name so its data stays.
      Binds: ['/etc/web:/etc/web:ro', '3f2a9c:/data'],
      Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }],
    });
    expect(hc).not.toHaveProperty('Runtime');
  });

  it('keeps an overridden command and a set hostname; resets an entrypoint the container cleared', () => {
    const i = inspect();
    i.Config.Cmd = ['serve', '--debug'];
    i.Config.Hostname = 'web-1';
    const img = { ...oldImage, Config: { ...oldImage.Config, Entrypoint: ['/entry.sh'] } };
    i.Config.Entrypoint = [];
    const b = recreateBody(i, img, 'x:1');
    expect(b).toMatchObject({ Cmd: ['serve', '--debug'], Hostname: 'web-1', Entrypoint: [''] });
    expect(b.Env).toEqual(['FOO=bar', 'HOSTNAME=abcdef012345']);
  });

  it('summarises what is carried with env names only (never values)', () => {
    const lines = carriedSummary(inspect(), oldImage).join('\n');
    expect(lines).toContain('env FOO (values hidden)');
    expect(lines).not.toContain('bar');
    expect(lines).toContain('restart unless-stopped · network appnet · ports 8080/tcp');
    // Command arguments and health check commands may carry secrets: only the program is named.
    const i = inspect();
    i.Config.Cmd = ['serve', '--password=hunter2'];
    i.Config.Healthcheck = { Test: ['CMD-SHELL', 'curl -u admin:s3cret http://127.0.0.1/'] };
    const more = carriedSummary(i, oldImage).join('\n');
    expect(more).toContain('cmd serve +1 args');
    expect(more).toContain('health CMD-SHELL (own)');
    expect(more).not.toMatch(/hunter2|s3cret/);
  });
});

describe('toContainerView', () => {
  it('reports state, health with the last probe, restarts, OOMKilled, image and uptime start', () => {
    expect(toContainerView(inspect(), 'sha256:d1')).toEqual({
      id: 'abcdef0123456789abcdef',
      name: 'web',
      state: 'running',
      health: 'unhealthy',
      healthOutput: 'exit 1: curl: (7) refused',
      image: 'registry.test:5000/team/web:1.1',
      imageDigest: 'sha256:d1',
      restartCount: 2,
      oomKilled: true,
      exitCode: 0,
      startedAt: Date.parse('2026-11-26T07:00:00Z'),
    });
  });

  it('image references: repository and tag with registry ports and digests', () => {
    expect(repository('registry.test:5000/team/web:1.1')).toBe('registry.test:5000/team/web');
    expect(tagOf('registry.test:5000/team/web')).toBe('latest');
    expect(repository('web@sha256:abc')).toBe('web');
  });
});

describe('previousFromAudit', () => {
  const rec = (seq: number, step: string, from: string, to: string, opId?: string): AuditRecord =>
    ({
      id: `r${seq}`,
      seq,
      ts: '',
      procedure: 'container-rollback',
      service: 'web',
      target: 'container/web',
      step,
      from,
      to,
      outcome: 'pending',
      operationId: opId,
    }) as AuditRecord;

  it('is the image the last executed operation replaced with the current one', () => {
    const records = [
      rec(1, 'started', 'web:1.2', 'web:1.1'),
      rec(2, 'executed', '', '', 'r1'),
      rec(3, 'started', 'web:1.3', 'web:1.1'), // refused or failed before acting: not executed
    ];
    expect(previousFromAudit(records, 'web', 'web:1.1')).toBe('web:1.2');
    expect(previousFromAudit(records, 'web', 'web:1.0')).toBeNull();
  });
});
