/**
 * The TUI over the real Docker adapter and a real Podman: the Service screen follows a container's health
 * live (events stream, no polling), and with --read-only a recording proxy in front of the socket sees
 * nothing but GET requests (and the events stream) after every key binding has been pressed.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createServer, request, type Server } from 'node:http';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import Docker from 'dockerode';
import { requireBinaries } from '../helpers/backend.js';
import { startPodman, type PodmanService } from '../helpers/podman.js';
import { KEYS, renderApp, type RenderedApp } from '../helpers/render-app.js';
import { parseConfigText } from '../../src/config/load.js';
import { bindingsFor } from '../../src/screens/registry.js';
import type { AppServices } from '../../src/hooks/app-context.js';

const HEALTH = {
  Test: ['CMD-SHELL', 'test -f /healthy && echo fine'],
  Interval: 1e9,
  Timeout: 1e9,
  Retries: 1,
};

/** An HTTP proxy on a unix socket that forwards to the Podman socket and records every request line. */
async function recordingProxy(upstream: string, path: string) {
  const seen: string[] = [];
  const server: Server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    const up = request(
      { socketPath: upstream, method: req.method, path: req.url, headers: req.headers },
      (ur) => {
        res.writeHead(ur.statusCode ?? 502, ur.headers);
        res.flushHeaders();
        ur.pipe(res);
      },
    );
    up.on('error', (err) => {
      res.writeHead(502).end(err.message);
    });
    res.on('close', () => up.destroy());
    req.pipe(up);
  });
  await new Promise<void>((r) => server.listen(path, r));
  return {
    seen,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

const KEY_SEQ: Record<string, string> = {
  enter: KEYS.enter,
  esc: KEYS.esc,
  up: KEYS.up,
  down: KEYS.down,
  backspace: KEYS.backspace,
  tab: '\t',
  pageup: '\u001b[5~',
  pagedown: '\u001b[6~',
};

describe.runIf(requireBinaries(['podman', 'runc', 'busybox']))(
  'containers in the TUI over real Podman',
  () => {
    let pm: PodmanService;
    let docker: Docker;
    let app: RenderedApp | null = null;

    const config = (socket: string) =>
      parseConfigText(
        `
docker: {host: "unix://${socket}"}
services:
  - name: web
    tier: dev
    container: {name: web}
`,
        'test.yaml',
      );

    const openWeb = async (a: RenderedApp) => {
      await a.waitForFrame(/web\s+\S+/);
      await a.press(KEYS.enter);
      return a.waitForFrame('CONTAINR');
    };

    beforeAll(async () => {
      pm = await startPodman();
      docker = new Docker({ socketPath: pm.socketPath });
      await (
        await docker.createContainer({
          name: 'web',
          Image: 'localhost/app:1.1',
          Healthcheck: HEALTH,
          StopTimeout: 1,
          HostConfig: { NetworkMode: 'none' },
        })
      ).start();
    }, 60_000);

    afterEach(async () => {
      await app?.cleanup();
      app = null;
    });

    afterAll(async () => {
      await pm?.stop();
    }, 60_000);

    it('shows the health change live: starting → healthy → unhealthy (CRIT) with the probe output', async () => {
      app = await renderApp({ mode: 'live', config: config(pm.socketPath), columns: 100 });
      const f = await openWeb(app);
      expect(f).toMatch(/web running · starting · localhost\/app:1\.1@[0-9a-f]{12} · up \d+s · 0 restarts/);
      expect(await pm.healthcheck('web')).toBe(0);
      await app.waitForFrame(/web running · healthy ·/);
      expect(app.frame()).toContain('last probe exit 0: fine');

      const ex = await docker.getContainer('web').exec({ Cmd: ['rm', '/healthy'], AttachStdout: true });
      const s = await ex.start({});
      s.resume();
      await new Promise((r) => s.on('end', r));
      expect(await pm.healthcheck('web')).toBe(1);
      const bad = await app.waitForFrame(/web running · unhealthy ·/);
      expect(bad).toContain('container web unhealthy');
      expect(bad).toMatch(/web\s+dev\s+CRIT/);
      // Healthy again for the next test.
      const ex2 = await docker.getContainer('web').exec({ Cmd: ['touch', '/healthy'], AttachStdout: true });
      const s2 = await ex2.start({});
      s2.resume();
      await new Promise((r) => s2.on('end', r));
      expect(await pm.healthcheck('web')).toBe(0);
    }, 60_000);

    it('a missing socket shows as a source error on the screen, and the app keeps running', async () => {
      const missing = join(pm.dir, 'gone.sock');
      app = await renderApp({ mode: 'live', config: config(missing), columns: 100 });
      await app.waitForFrame(/web\s+\S+/);
      await app.press(KEYS.enter);
      await app.waitForFrame(`Docker API socket unix://${missing} not found`);
    });

    it('with --read-only, every key binding leaves only GET requests (and the events stream) at the socket', async () => {
      const proxySock = join(pm.dir, 'proxy.sock');
      rmSync(proxySock, { force: true });
      const proxy = await recordingProxy(pm.socketPath, proxySock);
      try {
        app = await renderApp({
          mode: 'live',
          readOnly: true,
          readOnlyReason: 'read-only mode (--read-only)',
          config: config(proxySock),
          columns: 100,
        });
        await openWeb(app);
        await app.waitForFrame(/web running · healthy/);
        const services: AppServices = {
          store: app.rt.store,
          procedures: app.rt.procedures,
          quit: () => undefined,
          color: false,
          reloadAudit: () => undefined,
        };
        const keys = new Set<string>();
        for (const screen of ['service', 'overview'] as const)
          for (const b of bindingsFor(services, app.rt.store.getState(), screen))
            for (const k of b.keys) if (k !== 'q' && k !== 'ctrl+c') keys.add(k);
        expect([...keys]).toEqual(expect.arrayContaining(['r', 'R', 'u']));
        for (const k of keys) {
          // Every key from the Service screen of web; Esc/Enter bring it back where needed.
          await app.press(KEY_SEQ[k] ?? k);
          await app.press(KEYS.esc, KEYS.esc, KEYS.esc);
          await openWeb(app);
        }
        await app.press('r');
        await app.waitForFrame('rollback disabled: read-only mode (--read-only)');
        await app.press('R');
        await app.waitForFrame('restart disabled: read-only mode (--read-only)');
        expect(app.rt.store.getState().procedure).toBeNull();
        expect(proxy.seen.length).toBeGreaterThan(3);
        expect(proxy.seen.filter((l) => !l.startsWith('GET '))).toEqual([]);
        expect(proxy.seen.some((l) => /^GET \/[^ ]*events/.test(l))).toBe(true);
        const ids = (await docker.listContainers({ all: true })).map((c) => `${c.Names[0]} ${c.State}`);
        expect(ids).toEqual(['/web running']);
      } finally {
        await app?.cleanup();
        app = null;
        await proxy.close();
      }
    }, 60_000);
  },
);
