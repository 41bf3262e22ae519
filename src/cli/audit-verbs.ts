/** `oncall audit show|verify|timeline` (v1: show; the audit issue adds verify and timeline). */
import type { CliArgs } from './args.js';
import type { Io } from './main.js';
import { readAuditFile } from '../audit/log.js';
import { defaultAuditFile } from './runtime.js';

export async function runAuditVerb(args: CliArgs, io: Io): Promise<number> {
  const sub = args.verbArgs[0] ?? 'show';
  const file = args.file ?? args.auditFile ?? defaultAuditFile(args.demo ? 'demo' : 'live', io.env);
  if (sub === 'show') {
    const records = readAuditFile(file).filter((r) => !args.service || r.service === args.service);
    if (args.json) io.stdout(`${JSON.stringify(records, null, 2)}\n`);
    else
      for (const r of records)
        io.stdout(
          `${r.ts} ${r.actor.user} ${r.procedure} ${r.service} ${r.step} ${r.outcome}${r.to ? ` → ${r.to}` : ''}\n`,
        );
    return 0;
  }
  io.stderr(`oncall: unknown audit verb "${sub}" (expected show, verify or timeline)\n`);
  return 2;
}
