/**
 * What a pod tells its listeners: events with the kubelet's reason strings and the lines its containers
 * write. The runner emits them; the modules it calls report through a {@link Say} callback and never
 * print.
 * @module
 */

/** An event, with the kubelet's reason strings (KUBERNETES.md B.12). */
export interface PodEvent {
  type: 'Normal' | 'Warning';
  reason: string;
  message: string;
  /** The container it is about, if any. */
  container?: string;
  time: Date;
}

/** A line a container wrote. */
export interface LogLine {
  container: string;
  stream: 'stdout' | 'stderr';
  line: string;
  time: Date;
  /** A piece of a longer line (at most 16 KiB, a CRI `P` record): the next piece of this stream continues it. */
  partial?: boolean;
}

/**
 * How a module reports an event: the runner records and emits it.
 *
 * @example
 * const say: Say = (type, reason, message, container) => console.log(type, reason, message, container);
 */
export type Say = (type: PodEvent['type'], reason: string, message: string, container?: string) => void;
