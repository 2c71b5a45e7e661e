/**
 * The verbs over the state directory (`get`, `logs`, `describe`, `top`, `events` read it; `delete`
 * and `apply` ask a pod's pod-init, or start one; `prune` removes ended pods), each loaded only when used: `get` must not pay for the
 * manifest layer that `delete -f` needs.
 * @module
 */
import { stateLocation } from './state-location';

/**
 * Runs `pod-init get|logs|describe|top|prune|delete|events|apply ...` (`args` from the verb on); resolves with the exit code.
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
      const options = parseGetArgs(rest);
      if (options.watch) return (await import('./get-watch')).watchPods(options, location, stdout, stderr);
      return getPods(options, location, stdout, stderr);
    }
    case 'events': {
      const { listEvents, parseEventsArgs } = await import('./events-command');
      return listEvents(parseEventsArgs(rest), location, stdout, stderr);
    }
    case 'apply': {
      const { applyPod, parseApplyArgs } = await import('./apply-command');
      return applyPod(parseApplyArgs(rest), location, stdout, stderr);
    }
    default: {
      const { parseLogsArgs, podLogs } = await import('./logs-command');
      return podLogs(parseLogsArgs(rest), location, stdout, stderr);
    }
  }
}
