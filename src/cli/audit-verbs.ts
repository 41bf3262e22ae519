/**
 * `oncall audit verify|show|timeline`
 *   verify [--file F]                      exit 0 when the chain is intact, 1 when not (each problem located)
 *   show [--since 2h] [--service S] [--incident ID] [--json]
 *   timeline --incident ID [--format md|json]
 * The file: --file, else --audit-file, else `audit.path` from the configuration (when one is found), else the
 * default ($XDG_STATE_HOME/oncall/audit.jsonl; demo-audit.jsonl with --demo). Rotated generations are included.
 */
import type { CliArgs } from './args.js';
import type { Io } from './io.js';
import { readAuditFile } from '../audit/log.js';
import { formatVerifyReport, verifyAuditFile } from '../audit/verify.js';
import { withLockIfPossible } from '../audit/lock.js';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { buildTimeline, timelineMarkdown, who } from '../audit/timeline.js';
import { parseDuration } from '../domain/slo.js';
import { defaultAuditFile } from './runtime.js';

async function auditFileFor(args: CliArgs, io: Io): Promise<string> {
  const explicit = args.file ?? args.auditFile;
  if (explicit) return explicit;
  if (!args.demo) {
    const { findConfigFile, loadConfigFile } = await import('../config/load.js');
    const cfg = findConfigFile({ flag: args.config, env: io.env, cwd: io.cwd });
    if (cfg) {
      const path = loadConfigFile(cfg).audit?.path;
      if (path) return path;
    }
  }
  return defaultAuditFile(args.demo ? 'demo' : 'live', io.env);
}

export async function runAuditVerb(args: CliArgs, io: Io): Promise<number> {
  const sub = args.verbArgs[0] ?? 'show';
  if (args.verbArgs.length > 1) {
    io.stderr(`oncall: unexpected argument "${args.verbArgs[1]}"\n`);
    return 2;
  }
  let file: string;
  try {
    file = await auditFileFor(args, io);
  } catch (err) {
    io.stderr(`oncall: ${(err as Error).message}\n`);
    return 2;
  }
  try {
    switch (sub) {
      case 'verify':
        return await verify(file, io);
      case 'show':
        return show(file, args, io);
      case 'timeline':
        return timeline(file, args, io);
      default:
        io.stderr(`oncall: unknown audit verb "${sub}" (expected show, verify or timeline)\n`);
        return 2;
    }
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    io.stderr(`oncall: audit ${sub}: ${e.code === 'ENOENT' ? `no audit file at ${file}` : e.message}\n`);
    return 1;
  }
}

async function verify(file: string, io: Io): Promise<number> {
  if (!existsSync(dirname(file))) {
    io.stderr(`oncall: audit verify: no audit file at ${file}\n`);
    return 1;
  }
  // Under the writers' lock when possible: a record being written right now is not a torn one.
  const { value: report, unlockedBecause } = await withLockIfPossible(file, 2000, () =>
    verifyAuditFile(file),
  );
  if (report.files.length === 0) {
    io.stderr(`oncall: audit verify: no audit file at ${file}\n`);
    return 1;
  }
  io.stdout(`${formatVerifyReport(report)}\n`);
  if (unlockedBecause && report.findings.some((f) => f.kind === 'truncated'))
    io.stdout(
      `  note: verified without the writers' lock (${unlockedBecause}); a torn last line may be a write in progress\n`,
    );
  return report.ok ? 0 : 1;
}

function show(file: string, args: CliArgs, io: Io): number {
  let since = -Infinity;
  if (args.since) {
    try {
      since = Date.now() - parseDuration(args.since) * 1000;
    } catch (err) {
      io.stderr(`oncall: --since: ${(err as Error).message}\n`);
      return 2;
    }
  }
  const records = readAuditFile(file).filter(
    (r) =>
      Date.parse(r.ts) >= since &&
      (!args.service || r.service === args.service) &&
      (!args.incident || r.incidentId === args.incident),
  );
  if (args.json) {
    io.stdout(`${JSON.stringify(records, null, 2)}\n`);
    return 0;
  }
  if (!records.length) io.stdout('no audit records match\n');
  for (const r of records)
    io.stdout(
      `${r.ts} #${r.seq} ${who(r.actor)} ${r.procedure} ${r.service} ${r.step} ${r.outcome}` +
        `${r.to && r.step === 'started' ? ` → ${r.to}` : ''}` +
        `${r.durationMs !== undefined ? ` (${r.durationMs} ms)` : ''}` +
        `${r.error ? ` ! ${r.error}` : r.detail ? ` : ${r.detail}` : ''}` +
        `${r.incidentId ? ` [${r.incidentId}]` : ''}\n`,
    );
  return 0;
}

function timeline(file: string, args: CliArgs, io: Io): number {
  if (!args.incident) {
    io.stderr('oncall: audit timeline needs --incident ID\n');
    return 2;
  }
  const format = args.format ?? 'md';
  if (format !== 'md' && format !== 'json') {
    io.stderr(`oncall: --format: expected md or json, got "${format}"\n`);
    return 2;
  }
  const report = verifyAuditFile(file);
  const chain = report.ok
    ? `chain OK, seq ${report.firstSeq ?? 0}–${report.lastSeq ?? 0}`
    : `CHAIN NOT INTACT: ${report.findings.length} problem(s), run oncall audit verify`;
  const t = buildTimeline(readAuditFile(file), args.incident);
  if (format === 'json') io.stdout(`${JSON.stringify({ ...t, source: { file, chain } }, null, 2)}\n`);
  else io.stdout(timelineMarkdown(t, { file, chain }));
  return t.events.length ? 0 : 1;
}
