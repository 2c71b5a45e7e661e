/**
 * The kubelet's image step (`EnsureImageExists`) for an image from a registry: the pull policy
 * (`Never` → ErrImageNeverPull; `IfNotPresent` with the image present → no request; `Always` →
 * one manifest HEAD, a pull only when the digest moved), with the kubelet's events and waiting
 * reasons (ErrImagePull, InvalidImageName).
 * @module
 */
import { type PullContext, pullImage, remoteDigest, type StoredImage, storedImage } from './pull';
import { ImageReferenceError, invalidImageMessage, parseReference } from './reference';

/** What the image step ends in: an image to run, or the container's waiting reason. */
export type EnsureResult = { image: StoredImage } | { waiting: { reason: string; message: string } };

/** An event as the kubelet emits it for the image step. */
export type ImageEvent = (type: 'Normal' | 'Warning', reason: string, message: string) => void;

/**
 * Go's `time.Duration` string of `ms` milliseconds, truncated to ms as the kubelet prints it.
 *
 * @example
 * goDuration(1234); // '1.234s'
 * goDuration(890); // '890ms'
 */
export function goDuration(ms: number): string {
  const whole = Math.max(0, Math.floor(ms));
  if (whole === 0) return '0s';
  if (whole < 1000) return `${whole}ms`;
  const minutes = Math.floor(whole / 60000);
  const seconds = ((whole % 60000) / 1000).toFixed(3).replace(/\.?0+$/, '');
  return minutes > 0 ? `${minutes}m${seconds}s` : `${seconds}s`;
}

/**
 * Whether the runner pulls `image`: it names a registry (`host:port/x`, `a.b/x`, `localhost/x`), or its
 * registry (docker.io for a bare `busybox:1`, `user/app`) has mirrors configured. Other names run on the
 * host's filesystem (or an `--image` directory). Throws {@link ImageReferenceError} for a name that is
 * not a reference.
 *
 * @example
 * isRegistryImage('127.0.0.1:5000/bb:1'); // true
 * isRegistryImage('busybox'); // false
 * isRegistryImage('busybox', new Map([['docker.io', ['http://127.0.0.1:5000']]])); // true
 */
export function isRegistryImage(image: string, mirrors?: ReadonlyMap<string, readonly string[]>): boolean {
  const ref = parseReference(image);
  return ref.explicitDomain || (mirrors?.get(ref.domain)?.length ?? 0) > 0;
}

/**
 * Makes sure `image` is in the store as `policy` asks, emitting the kubelet's events.
 *
 * @example
 * const result = await ensureImage('127.0.0.1:5000/bb:1', 'IfNotPresent', ctx, emit);
 */
export async function ensureImage(
  image: string,
  policy: string,
  ctx: PullContext,
  emit: ImageEvent,
): Promise<EnsureResult> {
  try {
    parseReference(image);
  } catch (error) {
    if (!(error instanceof ImageReferenceError)) throw error;
    const message = invalidImageMessage(image, error);
    emit('Warning', 'InspectFailed', message);
    return { waiting: { reason: 'InvalidImageName', message } };
  }
  const quoted = JSON.stringify(image);
  const present = storedImage(ctx.store, image);
  if (policy === 'Never' || (policy === 'IfNotPresent' && present)) {
    if (present) {
      emit('Normal', 'Pulled', `Container image ${quoted} already present on machine`);
      return { image: present };
    }
    const message = `Container image ${quoted} is not present with pull policy of Never`;
    emit('Warning', 'ErrImageNeverPull', message);
    return { waiting: { reason: 'ErrImageNeverPull', message } };
  }
  emit('Normal', 'Pulling', `Pulling image ${quoted}`);
  const started = Date.now();
  try {
    let image_ = present;
    if (!image_ || (await remoteDigest(ctx.client, image)) !== image_.record.digest)
      image_ = await pullImage(image, ctx);
    const took = goDuration(Date.now() - started);
    emit(
      'Normal',
      'Pulled',
      `Successfully pulled image ${quoted} in ${took} (${took} including waiting). Image size: ${image_.record.size} bytes.`,
    );
    return { image: image_ };
  } catch (error) {
    if (!(error instanceof Error) || !['RegistryError', 'LayerError', 'TarFormatError'].includes(error.name))
      throw error;
    emit('Warning', 'Failed', `Failed to pull image ${quoted}: ${error.message}`);
    return { waiting: { reason: 'ErrImagePull', message: error.message } };
  }
}
