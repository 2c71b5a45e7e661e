// Pod phase, rule by rule (KUBERNETES.md B.6, kubelet_pods.go getPhase and its unit tests).
import { describe, expect, it } from 'vitest';
import { type PhaseContainerStatus, type PhaseInput, podPhase } from '../../src/pod/phase';

const running: PhaseContainerStatus = { state: { running: {} }, started: true };
const runningNotStarted: PhaseContainerStatus = { state: { running: {} }, started: false };
const exited = (exitCode: number): PhaseContainerStatus => ({ state: { terminated: { exitCode } } });
const waiting: PhaseContainerStatus = { state: { waiting: {} } };
const crashLoop = (exitCode: number): PhaseContainerStatus => ({
  state: { waiting: {} },
  lastState: { terminated: { exitCode } },
});

function phase(partial: Partial<PhaseInput>): string {
  return podPhase({
    restartPolicy: 'Always',
    initStatuses: [],
    sidecarStatuses: [],
    statuses: [],
    terminal: false,
    anyContainerStarted: false,
    ...partial,
  });
}

describe('podPhase', () => {
  it('rule 1: a failed init container with restartPolicy Never fails the pod', () => {
    expect(phase({ restartPolicy: 'Never', initStatuses: [exited(1)], statuses: [waiting] })).toBe('Failed');
    expect(phase({ restartPolicy: 'OnFailure', initStatuses: [crashLoop(1)], statuses: [waiting] })).toBe('Pending');
  });

  it('rule 2: pending init or waiting containers keep it Pending', () => {
    expect(phase({ initStatuses: [running], statuses: [waiting] })).toBe('Pending');
    expect(phase({ initStatuses: [undefined], statuses: [undefined] })).toBe('Pending');
    expect(phase({ statuses: [running, waiting] })).toBe('Pending');
    expect(phase({ sidecarStatuses: [runningNotStarted], statuses: [undefined] })).toBe('Pending');
  });

  it('rule 3: something running and nothing unknown is Running', () => {
    expect(phase({ statuses: [running, exited(0)] })).toBe('Running');
    expect(phase({ sidecarStatuses: [running], statuses: [exited(0)], anyContainerStarted: true })).toBe('Running');
    expect(phase({ statuses: [running, undefined] })).toBe('Pending');
  });

  it('rule 4b: all stopped, not terminal, depends on restartPolicy', () => {
    expect(phase({ restartPolicy: 'Always', statuses: [crashLoop(0)] })).toBe('Running');
    expect(phase({ restartPolicy: 'OnFailure', statuses: [exited(0), exited(0)] })).toBe('Succeeded');
    expect(phase({ restartPolicy: 'OnFailure', statuses: [exited(0), crashLoop(1)] })).toBe('Running');
    expect(phase({ restartPolicy: 'Never', statuses: [exited(0), exited(2)] })).toBe('Failed');
    expect(phase({ restartPolicy: 'Never', statuses: [exited(0)] })).toBe('Succeeded');
  });

  it('rule 4a: a terminal pod (deleted) is judged by its exit codes (since 1.27)', () => {
    expect(phase({ restartPolicy: 'Always', statuses: [exited(0)], terminal: true })).toBe('Succeeded');
    expect(phase({ restartPolicy: 'Always', statuses: [exited(143)], terminal: true })).toBe('Failed');
  });

  it('terminated sidecars are ignored', () => {
    expect(
      phase({
        restartPolicy: 'Never',
        sidecarStatuses: [exited(137)],
        statuses: [exited(0)],
        anyContainerStarted: true,
      }),
    ).toBe('Succeeded');
  });

  it('rule 4b with container policies (KEP-5307): a stopped container that will restart keeps it Running', () => {
    const rule42 = {
      restartPolicy: 'Never',
      restartPolicyRules: [{ action: 'Restart', exitCodes: { operator: 'In', values: [42] } }],
    };
    expect(phase({ restartPolicy: 'Never', statuses: [crashLoop(1)], restarts: [{ restartPolicy: 'Always' }] })).toBe(
      'Running',
    );
    expect(phase({ restartPolicy: 'Never', statuses: [crashLoop(42)], restarts: [rule42] })).toBe('Running');
    expect(phase({ restartPolicy: 'Never', statuses: [exited(1)], restarts: [rule42] })).toBe('Failed');
    expect(phase({ restartPolicy: 'Always', statuses: [exited(0)], restarts: [{ restartPolicy: 'Never' }] })).toBe(
      'Succeeded',
    );
    expect(phase({ restartPolicy: 'Always', statuses: [exited(3)], restarts: [{ restartPolicy: 'OnFailure' }] })).toBe(
      'Running',
    );
    expect(
      phase({
        restartPolicy: 'Always',
        statuses: [exited(0), exited(3)],
        restarts: [{ restartPolicy: 'OnFailure' }, { restartPolicy: 'Never' }],
      }),
    ).toBe('Failed');
  });
});
