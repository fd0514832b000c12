/**
 * CheckState is the active checker's view of one backend: its verdict and the
 * current run of equal probe results.
 */
export interface CheckState {
  readonly up: boolean;
  /** Consecutive successful probes (0 after a failure). */
  readonly successes: number;
  /** Consecutive failed probes (0 after a success). */
  readonly failures: number;
}

/**
 * nextState applies one probe result with HAProxy's rise/fall rule: an up
 * backend goes down only after `fall` failures in a row and a down one comes
 * back only after `rise` successes in a row, so one blip never flaps it.
 * Run lengths stop growing at the threshold so they never overflow.
 */
export function nextState(state: CheckState, ok: boolean, rise: number, fall: number): CheckState {
  if (ok) {
    const successes = Math.min(state.successes + 1, Math.max(rise, 1));
    return { up: state.up || successes >= rise, successes, failures: 0 };
  }
  const failures = Math.min(state.failures + 1, Math.max(fall, 1));
  return { up: state.up && failures < fall, successes: 0, failures };
}
