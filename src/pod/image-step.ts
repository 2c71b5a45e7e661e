/**
 * The pod's image step (the kubelet's EnsureImageExists, before the sandbox and again on retries): every
 * container image that names a registry pulled into the store as its imagePullPolicy says, one at a time
 * (the kubelet's serialized pulls), images from local archives loaded, each leased for the pod so that
 * `rmi` and `prune` spare them. A failure is the container's waiting reason (the pod stays Pending),
 * retried with the kubelet's image back-off (src/image/pull-backoff.ts).
 * @module
 */
import type { Say } from './events';
import type { PodRunnerOptions } from './runner-options';
import type { ContainerSpec, PodSpecObject, RelatedObjects } from './types';
import { credentialsFrom, credentialsFromPullSecrets, firstCredentials } from '../image/credentials';
import { isRegistryImage } from '../image/ensure';
import { type LocalSource, loadLocalImages } from '../image/local-image';
import { ImagePullBackOff } from '../image/pull-backoff';
import { defaultPullPolicy, parseReference, referenceString } from '../image/reference';
import type { PullContext, StoredImage } from '../image/pull';
import { RegistryClient } from '../image/registry';
import { ImageLease } from '../image/leases';
import { defaultImageStoreDir, ImageStore } from '../image/store';
import { dataHome } from '../home-dir';
import type { BackoffSettings } from './backoff';
import { subordinateIds } from '../subordinate-ids';
import { type ImageVolumePull, imageVolumePulls } from './image-volumes';

/** A container's waiting reason from its image step. */
export interface ImageWaiting {
  reason: string;
  message: string;
}

/** What the image step needs of the pod and the runner. */
export interface ImageStepContext {
  pod: PodSpecObject;
  related: RelatedObjects;
  /** `--image NAME=DIR` roots: their images are not pulled. */
  images: ReadonlyMap<string, string>;
  imagePull: PodRunnerOptions['imagePull'];
  imageBackoff: BackoffSettings;
  root: boolean;
  euid: number;
  say: Say;
}

/**
 * The image step of one pod, and what it holds: the pulled images by name, the waiting reasons of
 * containers whose step failed, the pod's lease.
 *
 * @example
 * const step = new ImageStep({ pod, related, images, imagePull, imageBackoff, root, euid, say });
 * const { retryAt } = await step.ensure(() => stopped, (container, waiting) => setWaiting(container, waiting));
 */
export class ImageStep {
  /** Pulled (or loaded) images by image name. */
  readonly pulled = new Map<string, StoredImage>();
  /** The waiting reasons of containers whose image step failed. */
  readonly errors = new Map<string, ImageWaiting>();
  readonly #ctx: ImageStepContext;
  readonly #backOff: ImagePullBackOff;
  #lease: ImageLease | undefined;
  /** Retry times already handed out (each once). */
  readonly #retries = new Set<number>();

  constructor(ctx: ImageStepContext) {
    this.#ctx = ctx;
    this.#backOff = new ImagePullBackOff(ctx.imageBackoff);
  }

  /**
   * The step for every container not done yet; `outcome` hears each container's result at once (a
   * waiting reason, or undefined once its image is there). Resolves with the new times at which the step
   * is due again (each handed out once; call {@link retryFired} when it fires).
   */
  async ensure(
    stopped: () => boolean,
    outcome: (container: string, waiting: ImageWaiting | undefined) => void,
  ): Promise<{ retryAt: number[] }> {
    const pod = this.#ctx.pod;
    // Image volumes too (image-volumes.ts), after the containers, as the kubelet pulls them with the pod.
    const volumes = imageVolumePulls(pod.spec.volumes ?? []);
    const specs: Array<ContainerSpec | ImageVolumePull> = [
      ...(pod.spec.initContainers ?? []),
      ...pod.spec.containers,
      ...volumes,
    ];
    const pull = this.#ctx.imagePull;
    let ctx: PullContext | undefined;
    const retry = new Set<number>();
    for (const spec of specs) {
      const image = spec.image ?? '';
      if (image === '' || this.#ctx.images.has(image) || this.pulled.has(image)) continue;
      if (stopped()) return { retryAt: [] };
      const local = pull?.localImages?.get(image);
      if (local !== undefined) {
        if (this.errors.has(spec.name)) continue; // a bad archive stays bad: not loaded again
        ctx ??= this.#pullContext();
        const waiting = await this.#loadLocalImage(spec.name, image, local, ctx);
        if (waiting !== undefined) outcome(spec.name, waiting);
        continue;
      }
      const previous = this.errors.get(spec.name)?.reason;
      if (previous !== undefined && previous !== 'ErrImagePull' && previous !== 'ImagePullBackOff') continue;
      let registry: boolean;
      try {
        registry = isRegistryImage(image, pull?.mirrors);
      } catch {
        registry = true; // ensureImage reports it (InvalidImageName)
      }
      if (!registry) continue;
      ctx ??= this.#pullContext();
      this.#leaseImage(ctx, image);
      const result = await this.#backOff.ensure(
        image,
        spec.imagePullPolicy ?? defaultPullPolicy(image),
        ctx,
        (type, reason, message) => this.#ctx.say(type, reason, message, 'volume' in spec ? undefined : spec.name),
      );
      if ('image' in result) {
        this.pulled.set(image, result.image);
        this.#lease?.hold(result.image.reference, result.image.record);
        this.errors.delete(spec.name);
        outcome(spec.name, undefined);
      } else {
        this.errors.set(spec.name, result.waiting);
        outcome(spec.name, result.waiting);
        if (result.backOffAt !== undefined) retry.add(result.backOffAt);
        if (result.retryAt !== undefined) retry.add(result.retryAt);
      }
    }
    const fresh = [...retry].filter((at) => !this.#retries.has(at));
    for (const at of fresh) this.#retries.add(at);
    return { retryAt: fresh };
  }

  /** A retry time handed out by {@link ensure} has come. */
  retryFired(at: number): void {
    this.#retries.delete(at);
  }

  /** The pod's lease on its images goes (its end). */
  release(): void {
    this.#lease?.release();
  }

  /** The image step of an image from a local archive (src/image/local-image.ts): loaded, verified, into the store. */
  async #loadLocalImage(
    container: string,
    image: string,
    source: LocalSource,
    ctx: PullContext,
  ): Promise<ImageWaiting | undefined> {
    const quoted = JSON.stringify(image);
    try {
      const [loaded] = await loadLocalImages(source, ctx, image);
      this.pulled.set(image, loaded!);
      this.#leaseImage(ctx, loaded!.reference, loaded!.record);
      this.#ctx.say('Normal', 'Pulled', `Container image ${quoted} already present on machine`, container);
      return undefined;
    } catch (error) {
      if (!(error instanceof Error) || !['LocalImageError', 'ArchiveError', 'ImageReferenceError'].includes(error.name))
        throw error;
      const message = `${source.transport}:${source.path}: ${error.message}`;
      this.#ctx.say('Warning', 'Failed', `Failed to pull image ${quoted}: ${message}`, container);
      this.#ctx.say('Warning', 'Failed', 'Error: ErrImagePull', container);
      const waiting = { reason: 'ErrImagePull', message };
      this.errors.set(container, waiting);
      return waiting;
    }
  }

  /**
   * Leases `image` for this pod before it is pulled (so GC never takes it between the pull and the
   * start) and with its layers once known; released at the pod's end.
   */
  #leaseImage(ctx: PullContext, image: string, record?: { config: string; diffIds: string[] }): void {
    let reference: string;
    try {
      reference = referenceString(parseReference(image));
    } catch {
      return; // InvalidImageName: nothing to lease
    }
    const m = this.#ctx.pod.metadata;
    this.#lease ??= new ImageLease(ctx.store.dir, `${m.namespace}/${m.name}`);
    this.#lease.hold(reference, record ?? { config: '', diffIds: [] });
  }

  /**
   * Credentials from the pod's imagePullSecrets (the Secrets of its input), as the kubelet's keyring:
   * missing ones get its `FailedToRetrieveImagePullSecret` warning, unusable ones a warning saying why.
   */
  #pullSecretCredentials(): ReturnType<typeof credentialsFromPullSecrets>['credentials'] {
    const related = this.#ctx.related;
    const say = this.#ctx.say;
    const names = (this.#ctx.pod.spec.imagePullSecrets ?? []).map((s) => s.name ?? '').filter((n) => n !== '');
    const found = names.filter((n) => related.secrets.has(n));
    const missing = names.filter((n) => !related.secrets.has(n));
    if (missing.length > 0)
      say(
        'Warning',
        'FailedToRetrieveImagePullSecret',
        `Unable to retrieve some image pull secrets (${missing.join(', ')}); attempting to pull the image may not succeed.`,
      );
    const { credentials, problems } = credentialsFromPullSecrets(
      found.map((name) => ({
        name,
        data:
          related.bytes?.secrets.get(name) ??
          Object.fromEntries(Object.entries(related.secrets.get(name)!).map(([k, v]) => [k, Buffer.from(v)])),
      })),
    );
    for (const problem of problems) say('Warning', 'FailedToRetrieveImagePullSecret', problem);
    return credentials;
  }

  #pullContext(): PullContext {
    const pull = this.#ctx.imagePull ?? {};
    const root = this.#ctx.root;
    return {
      // The library's default store: no environment read (the CLI passes its own).
      store: new ImageStore(pull.storeDir ?? defaultImageStoreDir(this.#ctx.euid, dataHome({}, this.#ctx.euid))),
      client: new RegistryClient({
        insecureRegistries: pull.insecureRegistries ?? [],
        credentials: firstCredentials(this.#pullSecretCredentials(), credentialsFrom(pull.authFiles ?? [])),
        ...(pull.mirrors !== undefined ? { mirrors: pull.mirrors } : {}),
        ...(pull.trust !== undefined ? { trust: pull.trust } : {}),
      }),
      ...(pull.onProgress !== undefined ? { onProgress: pull.onProgress } : {}),
      unpack: {
        chown: root,
        devices: root,
        xattrNamespace: root ? 'trusted' : 'user',
        syncFs: pull.syncFs === true,
        ...(root ? {} : subordinateIds()),
        warn: (m) => this.#ctx.say('Warning', 'ImageUnpack', m),
      },
    };
  }
}
