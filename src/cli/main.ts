/** Entry logic: parse argv, load config, pick the world (sandbox or real), then render or run a verb. */
import { parseArgs, UsageError, USAGE, type CliArgs } from './args.js';
import { ConfigError, findConfigFile, loadConfigFile, parseConfigText } from '../config/load.js';
import { loadConfigCached } from './config-cache.js';
import { readFileSync } from 'node:fs';
import type { Config } from '../config/schema.js';
import { VERSION } from '../version.js';

import type { Io } from './io.js';
export type { Io } from './io.js';

const defaultIo: Io = {
  stdout: (s) => process.stdout.write(s),
  stderr: (s) => process.stderr.write(s),
  env: process.env,
  cwd: process.cwd(),
};

function readConfigText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`${file}: cannot read config: ${(err as Error).message}`, file);
  }
}

async function loadConfig(args: CliArgs, io: Io): Promise<{ config: Config; demo: boolean }> {
  if (args.demo) {
    const { demoConfig } = await import('../sandbox/demo-config.js');
    return { config: demoConfig(), demo: true };
  }
  const file = findConfigFile({ flag: args.config, env: io.env, cwd: io.cwd });
  if (!file) {
    throw new ConfigError(
      'no configuration found (--config, $ONCALL_CONFIG, ./oncall.yaml, $XDG_CONFIG_HOME/oncall/config.yaml); try `oncall demo`',
      '<none>',
    );
  }
  // TUI and status start from the cached validation when the file is unchanged (see config-cache.ts).
  if (args.verb === 'config-check') return { config: loadConfigFile(file), demo: false };
  return { config: loadConfigCached(file, io.env, readConfigText, parseConfigText), demo: false };
}

export async function main(argv: string[], io: Io = defaultIo): Promise<number> {
  let args: CliArgs;
  try {
    args = parseArgs(argv, io.env);
  } catch (err) {
    if (err instanceof UsageError) {
      io.stderr(`oncall: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.verb === 'help') {
    io.stdout(`${USAGE}\n`);
    return 0;
  }
  if (args.verb === 'version') {
    io.stdout(`oncall ${VERSION}\n`);
    return 0;
  }
  if (args.verb === 'audit') {
    const { runAuditVerb } = await import('./audit-verbs.js');
    return runAuditVerb(args, io);
  }
  let loaded: { config: Config; demo: boolean };
  try {
    loaded = await loadConfig(args, io);
  } catch (err) {
    if (err instanceof ConfigError) {
      io.stderr(`oncall: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
  if (args.verb === 'config-check') {
    io.stdout(`config OK: ${loaded.config.services.length} service(s)\n`);
    return 0;
  }
  const readOnly = args.readOnly || loaded.config.readOnly;
  const readOnlyReason = args.readOnly
    ? io.env.ONCALL_READ_ONLY && !argv.includes('--read-only')
      ? 'read-only mode (ONCALL_READ_ONLY=1)'
      : 'read-only mode (--read-only)'
    : loaded.config.readOnly
      ? 'read-only mode (readOnly: true in config)'
      : undefined;
  const { createRuntime } = await import('./runtime.js');
  const rt = await createRuntime({
    config: loaded.config,
    mode: loaded.demo ? 'demo' : 'live',
    readOnly,
    readOnlyReason,
    auditFile: args.auditFile,
    incidentId: args.incident,
    speed: args.speed,
    context: args.context,
    namespace: args.namespace,
    env: io.env,
  });

  if (args.verb === 'status') {
    const { statusJson, statusExitCode, statusText } = await import('./status.js');
    const sources = await rt.start();
    await sources.refreshNow();
    await waitForSources(rt, 15_000);
    const state = rt.store.getState();
    io.stdout(args.json ? `${JSON.stringify(statusJson(state), null, 2)}\n` : `${statusText(state)}\n`);
    await rt.stop();
    return statusExitCode(state);
  }
  if (args.verb === 'doctor') {
    const { runDoctor, formatDoctor } = await import('./doctor.js');
    await rt.start();
    const lines = await runDoctor(rt);
    io.stdout(`${formatDoctor(lines)}\n`);
    await rt.stop();
    return lines.every((l) => l.reachable) ? 0 : 1;
  }
  const { runTui } = await import('./tui.js');
  return runTui(rt, { altScreen: args.altScreen, env: io.env });
}

/** Wait until every configured source has answered once (data or error), or the timeout. */
async function waitForSources(rt: import('./runtime.js').Runtime, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const svcCount = rt.config.services.filter((s) => s.kubernetes || s.container).length;
  while (Date.now() < deadline) {
    const s = rt.store.getState();
    const pending = Object.values(s.sources).some(
      (src) => src.configured && src.updatedAt === null && src.error === null,
    );
    const workloadsPending =
      Object.keys(s.workloads).length +
        Object.keys(s.workloadErrors).length +
        Object.keys(s.containers).length <
      svcCount;
    if (!pending && !(workloadsPending && !s.sources.cluster.error && !s.sources.containers.error)) return;
    await new Promise((r) => setTimeout(r, 20));
  }
}
