// BFD_CHECK (check_bfd.c): the real server follows a BFD session run by the BFD child. The session
// states arrive as 'bfd-state' messages (the supervisor relays the BFD child's) and are kept here;
// the check reads the latest one. keepalived reacts to the event at once; the scheduler here polls
// it every BFD_POLL_MS, so a change reaches the real server within that much more.
import { failure, success, type BfdCheckSpec, type CheckDeps, type CheckResult } from './types.js';

/** How often a BFD_CHECK looks at its session's state. */
export const BFD_POLL_MS = 100;

/** Up (true) / Down of each bfd_instance as last reported; absent: not reported yet (Down). */
export const bfdSessionStates = new Map<string, boolean>();

export async function runBfdCheck(spec: BfdCheckSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const up = bfdSessionStates.get(spec.name) === true;
  const what = `BFD_CHECK ${spec.name}`;
  return up ? success(`${what}: session Up`, started, deps.now) : failure(`${what}: session ${bfdSessionStates.has(spec.name) ? 'Down' : 'not reported yet'}`, started, deps.now);
}
