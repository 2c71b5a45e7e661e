// A PodRunner for the integration tests, with what happened recorded in order: events
// (`Reason container`), log lines (`container: line`) and status transitions (`started c`, `ready c`,
// `creating c` once a started container shows ContainerCreating, as during its postStart).
import { loadPod, type LogLine, type PodEvent, PodRunner, type PodRunnerOptions } from '../../src';

/* eslint-disable @typescript-eslint/no-explicit-any -- container states are read loosely in tests */
export type ContainerStatus = {
  name: string;
  state: any;
  lastState: any;
  ready: boolean;
  started: boolean;
  restartCount: number;
};
/* eslint-enable @typescript-eslint/no-explicit-any */

/** The part of a Pod object the tests read. */
export interface PodObject {
  status: {
    phase: string;
    conditions: Array<{ type: string; status: string }>;
    containerStatuses: ContainerStatus[];
    initContainerStatuses?: ContainerStatus[];
  };
}

/**
 * Loads `manifest`, starts it under `stateRoot` and records its events, logs and statuses.
 *
 * @example
 * const pod = startPod(manifest, stateRoot);
 * await pod.started;
 * await pollUntil(() => pod.condition('Ready') === 'True', 'Ready');
 */
export function startPod(manifest: string, stateRoot: string, options: PodRunnerOptions = {}) {
  const { pod } = loadPod(manifest);
  const runner = new PodRunner(pod, { ...options, stateRoot });
  const events: PodEvent[] = [];
  const timeline: string[] = [];
  let latest: PodObject | undefined;
  const once = (entry: string) => {
    if (!timeline.includes(entry)) timeline.push(entry);
  };
  runner.on('event', (e: PodEvent) => {
    events.push(e);
    timeline.push(`${e.reason} ${e.container ?? ''}`.trim());
  });
  runner.on('log', (l: LogLine) => timeline.push(`${l.container}: ${l.line}`));
  runner.on('status', (o: PodObject) => {
    latest = o;
    for (const s of [...(o.status.initContainerStatuses ?? []), ...o.status.containerStatuses]) {
      if (s.started) once(`started ${s.name}`);
      if (s.ready) once(`ready ${s.name}`);
      if (s.state.waiting?.reason === 'ContainerCreating' && timeline.includes(`Started ${s.name}`))
        once(`creating ${s.name}`);
    }
  });
  const status = (name: string) => latest?.status.containerStatuses.find((s) => s.name === name);
  const condition = (type: string) => latest?.status.conditions.find((c) => c.type === type)?.status;
  return { runner, events, timeline, status, condition, started: runner.start() };
}
