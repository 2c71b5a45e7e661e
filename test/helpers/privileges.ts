/**
 * One probe for the privileged integration tests: a reason string when they cannot run here, else
 * undefined. With POD_INIT_REQUIRE_PRIVILEGES=1 (CI) a reason is a failure, not a skip.
 */
export function privilegeSkipReason(): string | undefined {
  let reason: string | undefined;
  if (process.platform !== 'linux') reason = 'pod-init needs Linux';
  else if (process.geteuid?.() !== 0) reason = 'needs root (run the suite as root, or in a privileged container)';
  if (reason !== undefined && process.env.POD_INIT_REQUIRE_PRIVILEGES === '1') {
    throw new Error(`POD_INIT_REQUIRE_PRIVILEGES=1 but this test would be skipped: ${reason}`);
  }
  if (reason !== undefined) console.warn(`skipping privileged tests: ${reason}`);
  return reason;
}

/** Suite title with the skip reason in it, so a skipped suite says why. */
export function titled(title: string, reason: string | undefined): string {
  return reason === undefined ? title : `${title} (skipped: ${reason})`;
}
