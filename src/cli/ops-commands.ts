/**
 * The verbs over the state directory (`get`, `logs`, `describe`, `top` read it; `delete` asks a pod's
 * pod-init; `prune` removes ended pods), each loaded only when used: `get` must not pay for the
 * manifest layer that `delete -f` needs.
 * @module
 */
import { stateLocation } from './state-location';

/**
 * Runs `pod-init get|logs|describe|top|prune|delete ...` (`args` from the verb on); resolves with the exit code.
 *
 * @example
 * process.exitCode = await runOpsCommand(['get', 'pods', '-o', 'wide']);
 */
export async function runOpsCommand(args: string[]): Promise<number> {
  const location = stateLocation(process.env, process.geteuid?.() ?? 0);
  const rest = args.slice(1);
  const { stdout, stderr } = process;
  switch (args[0]) {
    case 'delete': {
      const { deletePods, parseDeleteArgs } = await import('./delete-command');
      return deletePods(parseDeleteArgs(rest), location, stdout, stderr);
    }
    case 'describe': {
      const { describePods, parseDescribeArgs } = await import('./describe-command');
      return describePods(parseDescribeArgs(rest), location, stdout, stderr);
    }
    case 'prune': {
      const { parsePruneArgs, prunePods } = await import('./prune-command');
      return prunePods(parsePruneArgs(rest), location, stdout, stderr);
    }
    case 'top': {
      const { parseTopArgs, topPods } = await import('./top-command');
      return topPods(parseTopArgs(rest), location, stdout, stderr);
    }
    case 'get': {
      const { getPods, parseGetArgs } = await import('./get-command');
      return getPods(parseGetArgs(rest), location, stdout, stderr);
    }
    default: {
      const { parseLogsArgs, podLogs } = await import('./logs-command');
      return podLogs(parseLogsArgs(rest), location, stdout, stderr);
    }
  }
}
