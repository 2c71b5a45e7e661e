/**
 * The verbs over the state directory (`get`, `logs`, `describe`, `top` read it; `delete` asks a pod's
 * pod-init), loaded only when used.
 * @module
 */
import { deletePods, parseDeleteArgs } from './delete-command';
import { describePods, parseDescribeArgs } from './describe-command';
import { getPods, parseGetArgs } from './get-command';
import { parseLogsArgs, podLogs } from './logs-command';
import { parsePruneArgs, prunePods } from './prune-command';
import { stateLocation } from './state-location';
import { parseTopArgs, topPods } from './top-command';

/**
 * Runs `pod-init get|logs|describe|delete ...` (`args` from the verb on); resolves with the exit code.
 *
 * @example
 * process.exitCode = await runOpsCommand(['get', 'pods', '-o', 'wide']);
 */
export async function runOpsCommand(args: string[]): Promise<number> {
  const location = stateLocation(process.env, process.geteuid?.() ?? 0);
  if (args[0] === 'delete') return deletePods(parseDeleteArgs(args.slice(1)), location, process.stdout, process.stderr);
  if (args[0] === 'describe')
    return describePods(parseDescribeArgs(args.slice(1)), location, process.stdout, process.stderr);
  if (args[0] === 'prune') return prunePods(parsePruneArgs(args.slice(1)), location, process.stdout, process.stderr);
  if (args[0] === 'top') return topPods(parseTopArgs(args.slice(1)), location, process.stdout, process.stderr);
  if (args[0] === 'get') return getPods(parseGetArgs(args.slice(1)), location, process.stdout, process.stderr);
  return podLogs(parseLogsArgs(args.slice(1)), location, process.stdout, process.stderr);
}
