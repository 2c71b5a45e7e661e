/**
 * The image step (image-step.ts) inside the loop: each container's outcome observed (`image`), each
 * retry the step asks for a timer, the retries one at a time, and a failure of the store itself
 * observed as a warning rather than thrown.
 * @module
 */
import type { ImageStep } from './image-step';
import type { Loop } from './loop';

/**
 * Runs the image step for the loop.
 *
 * @example
 * const images = new ImageLoop(imageStep, loop);
 * await images.ensure(); // before the volumes and the sandbox
 */
export class ImageLoop {
  readonly #step: ImageStep;
  readonly #loop: Loop;
  #retry: Promise<void> = Promise.resolve();

  constructor(step: ImageStep, loop: Loop) {
    this.#step = step;
    this.#loop = loop;
  }

  /** The image step of every container not done yet: its outcomes observed, its retries set as timers. */
  async ensure(): Promise<void> {
    const loop = this.#loop;
    const { retryAt } = await this.#step.ensure(
      () => loop.state().deleted || loop.state().done,
      (container, waiting) => loop.observe({ type: 'image', container, ...(waiting ? { waiting } : {}) }),
    );
    const now = Date.now();
    for (const at of retryAt)
      loop.later(Math.max(0, at - now), () => {
        this.#step.retryFired(at);
        this.#again();
      });
  }

  /** The image step again (one at a time), then whatever it made startable. */
  #again(): void {
    const loop = this.#loop;
    const over = () => loop.state().deleted || loop.state().done;
    this.#retry = this.#retry.then(async () => {
      if (over()) return;
      await this.ensure();
      if (over()) return;
      loop.changed();
      loop.sync();
    });
    // Not a pull failure (ensureImage reports those): the store itself failed. Said, not thrown.
    this.#retry = this.#retry.catch((error: unknown) =>
      loop.observe({
        type: 'failed',
        reason: 'Failed',
        message: `Error: ${error instanceof Error ? error.message : String(error)}`,
      }),
    );
  }
}
