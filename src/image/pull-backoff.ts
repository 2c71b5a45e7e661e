/**
 * The kubelet's image pull back-off (`EnsureImageExists` with its `flowcontrol.Backoff`, keyed
 * `<podUID>_<image>`: one instance per pod, keyed by image here): a failed pull is `ErrImagePull`;
 * until the back-off has passed since that failure the image step is `ImagePullBackOff` (Normal
 * `BackOff` "Back-off pulling image \"x\"", message "Back-off pulling image \"x\": ErrImagePull: <err>")
 * and nothing is fetched; then the next step pulls again. 10 s doubling to 300 s, as the kubelet's.
 * Every image error also gets the kuberuntime's Warning `Failed` "Error: <reason>".
 * @module
 */
import { Backoff, type BackoffSettings, kubeletBackoff } from '../pod/backoff';
import { type EnsureResult, ensureImage, type ImageEvent } from './ensure';
import type { PullContext } from './pull';

/** The image step's result, and when a failed pull's image step should run again (epoch ms). */
export type BackedOffResult = EnsureResult & {
  /** After an ErrImagePull: when the back-off ends (pull again then). */
  retryAt?: number;
  /** After an ErrImagePull: a moment inside the back-off (ImagePullBackOff shows from then). */
  backOffAt?: number;
};

/**
 * The image step of one pod, with the kubelet's pull back-off.
 *
 * @example
 * const steps = new ImagePullBackOff({ initialMs: 10_000, maxMs: 300_000 });
 * const r = await steps.ensure('127.0.0.1:5000/bb:1', 'IfNotPresent', ctx, emit);
 * if ('waiting' in r && r.retryAt) setTimeout(again, r.retryAt - Date.now());
 */
export class ImagePullBackOff {
  readonly #backoff: Backoff;
  /** The last failure of each image: when, and its `ErrImagePull: <message>`. */
  readonly #failures = new Map<string, { at: number; error: string }>();

  constructor(settings: BackoffSettings = kubeletBackoff) {
    this.#backoff = new Backoff(settings);
  }

  /** Whether `image`'s back-off is still running at `now` (its step would be ImagePullBackOff). */
  inBackOff(image: string, now: number = Date.now()): boolean {
    const failure = this.#failures.get(image);
    return failure !== undefined && this.#backoff.delayBeforeRestart(image, failure.at, now) > 0;
  }

  /** {@link ensureImage}, unless `image` is in back-off; a failed pull advances its back-off. */
  async ensure(
    image: string,
    policy: string,
    ctx: PullContext,
    emit: ImageEvent,
    now: () => number = Date.now,
  ): Promise<BackedOffResult> {
    const quoted = JSON.stringify(image);
    const failure = this.#failures.get(image);
    if (failure !== undefined && this.inBackOff(image, now())) {
      const message = `Back-off pulling image ${quoted}`;
      emit('Normal', 'BackOff', message);
      emit('Warning', 'Failed', 'Error: ImagePullBackOff');
      // The retry time again: a timer may fire a little early, and the runner must try again then.
      return {
        waiting: { reason: 'ImagePullBackOff', message: `${message}: ${failure.error}` },
        retryAt: failure.at + this.#backoff.currentMs(image),
      };
    }
    const result = await ensureImage(image, policy, ctx, emit);
    if ('image' in result) {
      this.#failures.delete(image);
      return result;
    }
    emit('Warning', 'Failed', `Error: ${result.waiting.reason}`);
    if (result.waiting.reason !== 'ErrImagePull') return result;
    const at = now();
    this.#backoff.recordRestart(image, at);
    this.#failures.set(image, { at, error: `ErrImagePull: ${result.waiting.message}` });
    const delay = this.#backoff.currentMs(image);
    return { ...result, backOffAt: at + Math.floor(delay / 2), retryAt: at + delay };
  }
}
