/**
 * Pure functions over Docker/Podman inspect documents: the ContainerView the app shows, and the create body
 * that recreates a container from its own configuration with only the image changed.
 *
 * Inspect merges the image's defaults into the container's Config (Env, Cmd, Labels, Healthcheck, ...).
 * Copying them verbatim would pin the OLD image's defaults onto the new image (an APP_VERSION=1.1 env on a
 * 1.0 image), so whatever equals the old image's default is left out and the new image supplies its own.
 */
import type { ContainerView } from '../../domain/model.js';
import { KEPT_CONTAINER_SUFFIX } from '../ports.js';

export interface HealthLogEntry {
  ExitCode?: number;
  Output?: string;
  End?: string;
}

export interface HealthConfig {
  Test?: string[] | null;
  Interval?: number;
  Timeout?: number;
  Retries?: number;
  StartPeriod?: number;
}

export interface InspectConfig {
  Hostname?: string;
  Domainname?: string;
  User?: string;
  Env?: string[] | null;
  Cmd?: string[] | null;
  Entrypoint?: string[] | string | null;
  WorkingDir?: string;
  Labels?: Record<string, string> | null;
  Healthcheck?: HealthConfig | null;
  ExposedPorts?: Record<string, object> | null;
  Volumes?: Record<string, object> | null;
  StopSignal?: string;
  StopTimeout?: number;
  Tty?: boolean;
  OpenStdin?: boolean;
  StdinOnce?: boolean;
  AttachStdin?: boolean;
  AttachStdout?: boolean;
  AttachStderr?: boolean;
  Image?: string;
}

export interface ContainerInspect {
  Id: string;
  Name: string;
  Image: string;
  RestartCount?: number;
  State: {
    Status: string;
    Running?: boolean;
    OOMKilled?: boolean;
    ExitCode?: number;
    StartedAt?: string;
    FinishedAt?: string;
    Health?: { Status?: string; FailingStreak?: number; Log?: HealthLogEntry[] | null } | null;
    Healthcheck?: { Status?: string; Log?: HealthLogEntry[] | null } | null;
  };
  Config: InspectConfig;
  HostConfig: Record<string, unknown> & {
    Binds?: string[] | null;
    Mounts?: unknown[] | null;
    RestartPolicy?: { Name?: string; MaximumRetryCount?: number };
    NetworkMode?: string;
    PortBindings?: Record<string, unknown> | null;
    Ulimits?: { Name: string; Soft: number; Hard: number }[] | null;
  };
  Mounts?: { Type?: string; Name?: string; Source?: string; Destination: string; RW?: boolean }[];
  NetworkSettings?: { Networks?: Record<string, NetworkEndpoint> | null };
}

export interface NetworkEndpoint {
  Aliases?: string[] | null;
  IPAMConfig?: Record<string, unknown> | null;
  Links?: string[] | null;
  MacAddress?: string;
}

export interface ImageInspect {
  Id: string;
  RepoTags?: string[] | null;
  RepoDigests?: string[] | null;
  Config?: InspectConfig | null;
}

/** Name suffix of an original container kept (stopped) while its replacement is verified. */
export const KEPT_SUFFIX = KEPT_CONTAINER_SUFFIX;

export function keptName(name: string): string {
  return `${name}${KEPT_SUFFIX}`;
}

export function isKeptName(name: string): boolean {
  return name.endsWith(KEPT_SUFFIX);
}

export function containerName(i: { Name?: string; Names?: string[] }): string {
  const n = i.Name || i.Names?.[0] || '';
  return n.replace(/^\//, '');
}

function parseTime(s: string | undefined): number | undefined {
  if (!s || s.startsWith('0001-')) return undefined;
  const t = Date.parse(s);
  return Number.isFinite(t) ? t : undefined;
}

function lastProbeOutput(log: HealthLogEntry[] | null | undefined): string | undefined {
  const last = log && log.length ? log[log.length - 1] : undefined;
  if (!last) return undefined;
  const out = (last.Output ?? '').trim();
  return out ? `exit ${last.ExitCode ?? '?'}: ${out}` : `exit ${last.ExitCode ?? '?'}`;
}

/** When the last health probe finished (ms since epoch). */
export function lastProbeAt(i: ContainerInspect): number | undefined {
  const log = (i.State.Health ?? i.State.Healthcheck)?.Log;
  return parseTime(log && log.length ? log[log.length - 1]!.End : undefined);
}

export function hasHealthcheck(cfg: InspectConfig | null | undefined): boolean {
  const t = cfg?.Healthcheck?.Test;
  return Boolean(t && t.length && t[0] !== 'NONE');
}

/** The app's view of one inspected container (the caller sanitises remote text before it reaches the store). */
export function toContainerView(i: ContainerInspect, imageDigest?: string): ContainerView {
  const h = i.State.Health ?? i.State.Healthcheck ?? null;
  const status = h?.Status;
  const health: ContainerView['health'] =
    status === 'healthy' || status === 'unhealthy' || status === 'starting'
      ? status
      : hasHealthcheck(i.Config) && i.State.Status === 'running'
        ? 'starting'
        : 'none';
  return {
    id: i.Id,
    name: containerName(i),
    state: i.State.Status,
    health,
    healthOutput: health === 'none' ? undefined : lastProbeOutput(h?.Log)?.slice(0, 300),
    image: i.Config.Image ?? i.Image,
    imageDigest,
    restartCount: i.RestartCount ?? 0,
    oomKilled: Boolean(i.State.OOMKilled),
    exitCode: i.State.ExitCode ?? 0,
    startedAt: i.State.Status === 'running' ? parseTime(i.State.StartedAt) : undefined,
  };
}

/** The digest of an image: the repo digest of its own repository, else its ID. */
export function imageDigestOf(img: ImageInspect, ref: string): string {
  const repo = repository(ref);
  const d = img.RepoDigests?.find((r) => r.startsWith(`${repo}@`)) ?? img.RepoDigests?.[0];
  return d ? d.slice(d.indexOf('@') + 1) : img.Id;
}

/** "registry:5000/team/app:1.2" → "registry:5000/team/app" (digest references lose the digest). */
export function repository(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(0, colon) : noDigest;
}

export function tagOf(ref: string): string {
  const noDigest = ref.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.lastIndexOf(':');
  return colon > slash ? noDigest.slice(colon + 1) : 'latest';
}

const emptyToNull = <T>(v: T[] | string | null | undefined): T[] | string | null =>
  v === undefined || v === null || (Array.isArray(v) && v.length === 0) || v === '' ? null : v;

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

function subtractRecord<T>(
  own: Record<string, T> | null | undefined,
  image: Record<string, T> | null | undefined,
): Record<string, T> | undefined {
  if (!own) return undefined;
  const out: Record<string, T> = {};
  for (const [k, v] of Object.entries(own)) if (!image || !same(image[k], v)) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}

/** HostConfig as inspect reports it, made acceptable to create again (Podman reports ulimit names as RLIMIT_*). */
function hostConfigForCreate(hc: ContainerInspect['HostConfig'], mounts: ContainerInspect['Mounts']) {
  const out: Record<string, unknown> = { ...hc };
  if (Array.isArray(hc.Ulimits))
    out.Ulimits = hc.Ulimits.map((u) => ({ ...u, Name: u.Name.replace(/^RLIMIT_/, '').toLowerCase() }));
  // Podman reports its runtime as "oci" (not a runtime name create accepts).
  if (out.Runtime === 'oci') delete out.Runtime;
  // Anonymous volumes would be recreated empty: bind them by name so the data stays with the container.
  const binds = [...(hc.Binds ?? [])];
  const hcMounts = (hc.Mounts ?? []) as { Target?: string }[];
  for (const m of mounts ?? []) {
    if (m.Type !== 'volume' || !m.Name) continue;
    const declared =
      binds.some((b) => b.split(':')[1] === m.Destination) ||
      hcMounts.some((x) => x.Target === m.Destination);
    if (!declared) binds.push(`${m.Name}:${m.Destination}${m.RW === false ? ':ro' : ''}`);
  }
  if (binds.length) out.Binds = binds;
  return out;
}

/**
 * The create body for a container like `i` but running `image`: the container's own settings (env,
 * mounts, labels, health check, restart policy, network mode, command, user, ports, ...) are carried
 * over; values equal to the old image's defaults are left for the new image to supply.
 */
export function recreateBody(
  i: ContainerInspect,
  oldImage: ImageInspect | null,
  image: string,
): Record<string, unknown> {
  const c = i.Config;
  const ic = oldImage?.Config ?? {};
  const autoHostname = c.Hostname === i.Id.slice(0, 12);
  const imageEnv = new Set(ic.Env ?? []);
  const env = (c.Env ?? []).filter(
    (e) => !imageEnv.has(e) && !(autoHostname && e === `HOSTNAME=${c.Hostname}`),
  );
  const body: Record<string, unknown> = {
    name: containerName(i),
    Image: image,
    Env: env,
    Labels: subtractRecord(c.Labels, ic.Labels) ?? {},
    Tty: c.Tty,
    OpenStdin: c.OpenStdin,
    StdinOnce: c.StdinOnce,
    AttachStdin: c.AttachStdin,
    AttachStdout: c.AttachStdout,
    AttachStderr: c.AttachStderr,
    HostConfig: hostConfigForCreate(i.HostConfig, i.Mounts),
  };
  if (!autoHostname && c.Hostname) body.Hostname = c.Hostname;
  if (c.Domainname) body.Domainname = c.Domainname;
  if (c.User && c.User !== (ic.User ?? '')) body.User = c.User;
  if (!same(emptyToNull(c.Cmd), emptyToNull(ic.Cmd))) body.Cmd = c.Cmd;
  if (!same(emptyToNull(c.Entrypoint), emptyToNull(ic.Entrypoint))) {
    const ep = emptyToNull(c.Entrypoint);
    // An explicit empty entrypoint resets the image's; leave it unset when neither had one.
    body.Entrypoint = ep ?? [''];
  }
  const wd = c.WorkingDir ?? '';
  const iwd = ic.WorkingDir ?? '';
  if (wd && wd !== iwd && !(iwd === '' && wd === '/')) body.WorkingDir = wd;
  if (c.Healthcheck && !same(c.Healthcheck, ic.Healthcheck)) body.Healthcheck = c.Healthcheck;
  const ports = subtractRecord(c.ExposedPorts, ic.ExposedPorts);
  if (ports) body.ExposedPorts = ports;
  const vols = subtractRecord(c.Volumes, ic.Volumes);
  if (vols) body.Volumes = vols;
  if (c.StopSignal && !same(c.StopSignal, ic.StopSignal)) body.StopSignal = c.StopSignal;
  if (c.StopTimeout !== undefined && c.StopTimeout !== null) body.StopTimeout = c.StopTimeout;
  // The primary network at create time; further networks are connected after create.
  const nets = Object.entries(i.NetworkSettings?.Networks ?? {});
  const mode = String(i.HostConfig.NetworkMode ?? '');
  const primary = nets.find(([n]) => n === mode) ?? (mode === 'default' ? nets[0] : undefined);
  if (primary)
    body.NetworkingConfig = { EndpointsConfig: { [primary[0]]: endpointForCreate(primary[1], i) } };
  return body;
}

export function endpointForCreate(ep: NetworkEndpoint, i: ContainerInspect): Record<string, unknown> {
  const short = i.Id.slice(0, 12);
  const out: Record<string, unknown> = {};
  const aliases = (ep.Aliases ?? []).filter((a) => a !== short && a !== i.Id);
  if (aliases.length) out.Aliases = aliases;
  if (ep.IPAMConfig && Object.keys(ep.IPAMConfig).length) out.IPAMConfig = ep.IPAMConfig;
  if (ep.Links?.length) out.Links = ep.Links;
  return out;
}

/** Networks besides the primary one, to connect after create. */
export function extraNetworks(i: ContainerInspect): [string, NetworkEndpoint][] {
  const mode = String(i.HostConfig.NetworkMode ?? '');
  const nets = Object.entries(i.NetworkSettings?.Networks ?? {});
  const primary = nets.find(([n]) => n === mode)?.[0] ?? (mode === 'default' ? nets[0]?.[0] : undefined);
  return nets.filter(([n]) => n !== primary);
}

/** What the preview lists as carried over (names, never env values: they may be secrets). */
export function carriedSummary(i: ContainerInspect, oldImage: ImageInspect | null): string[] {
  const body = recreateBody(i, oldImage, i.Config.Image ?? i.Image);
  const hc = body.HostConfig as ContainerInspect['HostConfig'];
  const envKeys = ((body.Env as string[]) ?? []).map((e) => e.split('=')[0]).sort();
  const labels = Object.keys((body.Labels as Record<string, string>) ?? {});
  const mounts = (i.Mounts ?? []).map((m) => `${m.Destination}${m.RW === false ? ':ro' : ''}`);
  const rp = hc.RestartPolicy;
  const ports = Object.keys((hc.PortBindings as Record<string, unknown>) ?? {});
  const cmd = body.Cmd as string[] | undefined;
  const hcheck = i.Config.Healthcheck;
  return [
    `env ${envKeys.length ? envKeys.join(',') : '–'} (values hidden) · mounts ${mounts.length ? mounts.join(',') : '–'} · labels ${labels.length ? labels.join(',') : '–'}`,
    [
      `restart ${rp?.Name || 'no'}${rp?.MaximumRetryCount ? `:${rp.MaximumRetryCount}` : ''}`,
      `network ${hc.NetworkMode || 'default'}`,
      ports.length ? `ports ${ports.join(',')}` : '',
      // Arguments may carry secrets (--password=...): name the program and count the rest.
      cmd ? `cmd ${cmd[0] ?? ''}${cmd.length > 1 ? ` +${cmd.length - 1} args` : ''}` : '',
      body.User ? `user ${String(body.User)}` : '',
      `health ${hasHealthcheck(i.Config) ? `${hcheck?.Test?.[0] ?? ''} ${body.Healthcheck ? '(own)' : '(image default)'}` : 'none'}`,
    ]
      .filter(Boolean)
      .join(' · '),
  ];
}

/** Compare tags: numeric-aware, so 1.10 sorts above 1.9. */
export function compareTags(a: string, b: string): number {
  return a.localeCompare(b, 'en', { numeric: true });
}
