/**
 * The container mutate port: only ever handed to the policy gate.
 *
 * recreateWithImage: inspect (precondition: still there, still on the previewed image) → the target image
 * must be present locally (never pulled) → stop the original and rename it to NAME_oncall-kept → create
 * NAME from the original's own configuration with only the image changed → start. If create or start
 * fails, the new container is removed and the original renamed back and started again.
 * restoreOriginal puts a kept original back in place.
 */
import type Docker from 'dockerode';
import type { ContainerMutatePort, MutationResult, RecreateOptions } from '../ports.js';
import { PreconditionFailed } from '../ports.js';
import {
  containerName,
  endpointForCreate,
  extraNetworks,
  keptName,
  recreateBody,
  type ContainerInspect,
} from './inspect.js';
import { isNotFound, type DockerReadPort } from './read.js';

export class DockerMutatePort implements ContainerMutatePort {
  constructor(
    private readonly docker: Docker,
    private readonly read: DockerReadPort,
  ) {}

  private async current(id: string, what: string): Promise<ContainerInspect> {
    try {
      return await this.read.inspectRaw(id);
    } catch (err) {
      if (isNotFound(err))
        throw new Error(
          `container ${id.slice(0, 12)} no longer exists (removed by someone else since the preview?); nothing was ${what}`,
        );
      throw err;
    }
  }

  private stopTimeout(i: ContainerInspect): number {
    const t = i.Config.StopTimeout;
    return typeof t === 'number' && t >= 0 ? t : 10;
  }

  private async removeIfExists(idOrName: string): Promise<boolean> {
    try {
      await this.read.call(`remove ${idOrName}`, () =>
        this.docker.getContainer(idOrName).remove({ force: true, v: false }),
      );
      return true;
    } catch (err) {
      if (isNotFound(err)) return false;
      throw err;
    }
  }

  /**
   * A kept original must not come back by itself (restart policy "always" restarts stopped containers when
   * the daemon restarts): switch its policy off where the engine supports updates; say so where it does not.
   */
  private async setRestartPolicy(
    c: Docker.Container,
    name: string,
    policy: { Name?: string; MaximumRetryCount?: number },
  ): Promise<string> {
    try {
      await this.read.call(`update ${name}`, () =>
        c.update({
          RestartPolicy: { Name: policy.Name ?? 'no', MaximumRetryCount: policy.MaximumRetryCount ?? 0 },
        }),
      );
      return '';
    } catch (err) {
      // Podman (4.x) has no container update endpoint: it answers 404.
      const why = isNotFound(err) ? 'the engine cannot update containers (HTTP 404)' : (err as Error).message;
      return `; restart policy of ${name} not changed to ${policy.Name || 'no'}: ${why}`;
    }
  }

  async recreateWithImage(
    containerId: string,
    image: string,
    opts: RecreateOptions = {},
  ): Promise<MutationResult & { containerId: string; keptName?: string }> {
    const orig = await this.current(containerId, 'changed');
    const name = containerName(orig);
    const running = orig.Config.Image ?? orig.Image;
    if (opts.expectedImage && running !== opts.expectedImage)
      throw new PreconditionFailed(
        `container ${name} now runs ${running}, not ${opts.expectedImage} as in the preview`,
      );
    if (!(await this.read.imageRaw(image)))
      throw new Error(`image ${image} is not present locally; oncall never pulls (nothing was changed)`);
    const oldImage = await this.read.imageRaw(orig.Image);
    const body = recreateBody(orig, oldImage, image);
    const keep = opts.keepOriginal !== false;
    const kept = keptName(name);
    const c = this.docker.getContainer(orig.Id);
    const wasRunning = orig.State.Status === 'running';

    if (keep) await this.removeIfExists(kept);
    if (wasRunning)
      await this.read.call(`stop ${name}`, () => c.stop({ t: this.stopTimeout(orig) }).catch(notModified));
    if (keep) await this.read.call(`rename ${name}`, () => c.rename({ name: kept }));
    else await this.read.call(`remove ${name}`, () => c.remove({ v: false }));
    const policy = orig.HostConfig.RestartPolicy;
    let note = '';
    if (keep && policy?.Name && policy.Name !== 'no')
      note = await this.setRestartPolicy(c, kept, { Name: 'no' });

    let newId: string | null = null;
    try {
      const created = await this.read.call(`create ${name} from ${image}`, () =>
        this.docker.createContainer(body as Docker.ContainerCreateOptions),
      );
      newId = created.id;
      for (const [net, ep] of extraNetworks(orig))
        await this.read.call(`connect ${name} to ${net}`, () =>
          this.docker
            .getNetwork(net)
            .connect({ Container: created.id, EndpointConfig: endpointForCreate(ep, orig) }),
        );
      // Started even when the original had exited: a crashing container is what a rollback is for.
      await this.read.call(`start ${name}`, () => created.start());
    } catch (err) {
      const why = (err as Error).message;
      if (!keep) throw new Error(`${why}; the original container was already removed`);
      // Put the original back exactly as it was.
      const undo: string[] = [];
      if (note === '' && policy?.Name && policy.Name !== 'no') {
        const back = await this.setRestartPolicy(c, name, policy);
        if (back) undo.push(back.slice(2));
      }
      if (newId) await this.removeIfExists(newId).catch((e: Error) => undo.push(e.message));
      await this.read
        .call(`rename ${kept}`, () => c.rename({ name }))
        .catch((e: Error) => undo.push(e.message));
      if (wasRunning)
        await this.read.call(`start ${name}`, () => c.start()).catch((e: Error) => undo.push(e.message));
      throw new Error(
        undo.length
          ? `${why}; restoring the original also failed: ${undo.join('; ')}`
          : `${why}; the original container was put back and started`,
      );
    }
    return {
      containerId: newId,
      keptName: keep ? kept : undefined,
      detail: `container ${name} recreated from ${image} (was ${running}, id ${orig.Id.slice(0, 12)} → ${newId.slice(0, 12)})${keep ? `; original kept stopped as ${kept}` : ''}${note}`,
    };
  }

  async restart(containerId: string, opts: { expectedImage?: string } = {}): Promise<MutationResult> {
    const i = await this.current(containerId, 'restarted');
    const name = containerName(i);
    const running = i.Config.Image ?? i.Image;
    if (opts.expectedImage && running !== opts.expectedImage)
      throw new PreconditionFailed(
        `container ${name} now runs ${running}, not ${opts.expectedImage} as in the preview`,
      );
    await this.read.call(`restart ${name}`, () =>
      this.docker.getContainer(i.Id).restart({ t: this.stopTimeout(i) }),
    );
    return { detail: `container ${name} restarted (id ${i.Id.slice(0, 12)})` };
  }

  async restoreOriginal(name: string): Promise<MutationResult & { containerId: string }> {
    const kept = keptName(name);
    let orig: ContainerInspect;
    try {
      orig = await this.read.inspectRaw(kept);
    } catch (err) {
      if (isNotFound(err))
        throw new Error(`no kept original for ${name} (${kept} does not exist); nothing was changed`);
      throw err;
    }
    let replaced = 'no current container';
    // The replacement carries the original's restart policy (the kept one had it switched off).
    let policy = orig.HostConfig.RestartPolicy;
    try {
      const cur = await this.read.inspectRaw(name);
      policy = cur.HostConfig.RestartPolicy ?? policy;
      await this.removeIfExists(cur.Id);
      replaced = `removed ${cur.Config.Image ?? cur.Image} (id ${cur.Id.slice(0, 12)})`;
    } catch (err) {
      if (!isNotFound(err)) throw err;
    }
    const c = this.docker.getContainer(orig.Id);
    await this.read.call(`rename ${kept}`, () => c.rename({ name }));
    await this.read.call(`start ${name}`, () => c.start().catch(notModified));
    const own = orig.HostConfig.RestartPolicy;
    const note =
      policy?.Name && (policy.Name !== own?.Name || policy.MaximumRetryCount !== own?.MaximumRetryCount)
        ? await this.setRestartPolicy(c, name, policy)
        : '';
    return {
      containerId: orig.Id,
      detail: `original container ${name} restored on ${orig.Config.Image ?? orig.Image} (id ${orig.Id.slice(0, 12)}); ${replaced}${note}`,
    };
  }
}

/** 304 Not Modified: already stopped / already started. */
function notModified(err: unknown): void {
  if ((err as { statusCode?: number })?.statusCode === 304) return;
  throw err;
}
