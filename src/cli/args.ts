/** Command-line parsing. Every flag is validated; bad input names the flag and exits 2 before anything runs. */

export interface CliArgs {
  verb: 'tui' | 'status' | 'doctor' | 'config-check' | 'audit' | 'help' | 'version';
  verbArgs: string[];
  demo: boolean;
  readOnly: boolean;
  json: boolean;
  config?: string;
  auditFile?: string;
  speed: number;
  context?: string;
  namespace?: string;
  altScreen: boolean;
  since?: string;
  service?: string;
  file?: string;
  incident?: string;
  format?: string;
}

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

const VALUE_FLAGS = new Set([
  '--config',
  '--audit-file',
  '--speed',
  '--context',
  '--namespace',
  '--since',
  '--service',
  '--file',
  '--incident',
  '--format',
]);
const BOOL_FLAGS = new Set([
  '--demo',
  '--read-only',
  '--json',
  '--no-alt-screen',
  '--help',
  '-h',
  '--version',
  '-V',
]);

export const USAGE = `usage: oncall [verb] [flags]

verbs:
  (none)            the terminal UI for the configured services
  demo              the terminal UI on the embedded sandbox world (an incident develops)
  status [--json]   the same facts without the UI; exit 0 all OK, 1 warning, 2 critical
  doctor            for each configured source: reachable, authenticated, permitted actions, latency
  config check      validate the configuration and exit (0 valid, 2 invalid)
  audit verify [--file F]
                    check the hash chain (rotated files too); exit 1 naming each edited, deleted,
                    reordered or torn record
  audit show [--since 2h] [--service S] [--incident ID] [--json]
  audit timeline --incident ID [--format md|json]
                    a postmortem timeline: who did what, when, outcome, durations
                    (records carry the incident id set by $ONCALL_INCIDENT)

flags:
  --config FILE     configuration file (else $ONCALL_CONFIG, ./oncall.yaml, $XDG_CONFIG_HOME/oncall/config.yaml)
  --demo            use the sandbox world (any verb)
  --read-only       never change anything (also ONCALL_READ_ONLY=1 or readOnly: true)
  --context NAME    Kubernetes context;  --namespace NAME  Kubernetes namespace
  --speed N         demo time runs N times faster (1..1000)
  --audit-file F    where audit records go
  --no-alt-screen   draw in the normal screen (keeps tmux scrollback)
  --json            machine-readable output (status, audit show)
  --version, --help`;

export function parseArgs(argv: string[], env: NodeJS.ProcessEnv = process.env): CliArgs {
  const args: CliArgs = {
    verb: 'tui',
    verbArgs: [],
    demo: false,
    readOnly: env.ONCALL_READ_ONLY === '1' || env.ONCALL_READ_ONLY === 'true',
    json: false,
    speed: 1,
    altScreen: true,
  };
  const positional: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const [flag, inline] =
      a.startsWith('--') && a.includes('=')
        ? [a.slice(0, a.indexOf('=')), a.slice(a.indexOf('=') + 1)]
        : [a, undefined];
    if (VALUE_FLAGS.has(flag)) {
      const value = inline ?? argv[++i];
      if (value === undefined || value === '' || (inline === undefined && value.startsWith('--')))
        throw new UsageError(`${flag} needs a value`);
      switch (flag) {
        case '--config':
          args.config = value;
          break;
        case '--audit-file':
          args.auditFile = value;
          break;
        case '--speed': {
          const n = Number(value);
          if (!Number.isFinite(n) || n <= 0 || n > 1000)
            throw new UsageError(`--speed: expected a number from 0 to 1000, got "${value}"`);
          args.speed = n;
          break;
        }
        case '--context':
          args.context = value;
          break;
        case '--namespace':
          if (!/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/.test(value))
            throw new UsageError(`--namespace: "${value}" is not a valid namespace name`);
          args.namespace = value;
          break;
        case '--since':
          args.since = value;
          break;
        case '--service':
          args.service = value;
          break;
        case '--file':
          args.file = value;
          break;
        case '--incident':
          args.incident = value;
          break;
        case '--format':
          args.format = value;
          break;
      }
    } else if (BOOL_FLAGS.has(flag)) {
      if (inline !== undefined) throw new UsageError(`${flag} takes no value`);
      if (flag === '--demo') args.demo = true;
      else if (flag === '--read-only') args.readOnly = true;
      else if (flag === '--json') args.json = true;
      else if (flag === '--no-alt-screen') args.altScreen = false;
      else if (flag === '--help' || flag === '-h') args.verb = 'help';
      else args.verb = 'version';
    } else if (a.startsWith('-')) {
      throw new UsageError(`unknown flag ${flag} (see oncall --help)`);
    } else {
      positional.push(a);
    }
  }
  if (args.verb === 'help' || args.verb === 'version') return args;
  const [verb, ...rest] = positional;
  switch (verb) {
    case undefined:
      break;
    case 'demo':
      args.demo = true;
      break;
    case 'status':
      args.verb = 'status';
      break;
    case 'doctor':
      args.verb = 'doctor';
      break;
    case 'config':
      if (rest[0] !== 'check')
        throw new UsageError(`unknown config verb "${rest[0] ?? ''}" (expected: config check)`);
      args.verb = 'config-check';
      rest.shift();
      break;
    case 'audit':
      args.verb = 'audit';
      break;
    default:
      throw new UsageError(`unknown verb "${verb}" (see oncall --help)`);
  }
  args.verbArgs = rest;
  if (args.verb !== 'audit' && rest.length) throw new UsageError(`unexpected argument "${rest[0]}"`);
  return args;
}
