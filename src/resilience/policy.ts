// Retries with exponential backoff and a circuit breaker (cockatiel), for transient faults only:
// a dropped connection. A command's own failure, bad config or a refused login fail at once.
// One breaker per target: after repeated drops the target is given a rest instead of hammered.
import {
  circuitBreaker,
  ConsecutiveBreaker,
  ExponentialBackoff,
  handleType,
  isBrokenCircuitError,
  retry,
  wrap,
  type IPolicy,
} from 'cockatiel';
import { ConnectionLostError, TargetError } from '../errors.js';

export interface TransientPolicyOptions {
  /** Extra attempts after the first. Default 2. */
  retries?: number;
  /** Consecutive failures that open the breaker. Default 3. */
  breakAfter?: number;
  /** How long the breaker stays open before one trial call. Default 30 s. */
  halfOpenAfterMs?: number;
  initialDelayMs?: number;
}

export function transientPolicy(o: TransientPolicyOptions = {}): IPolicy {
  const transient = handleType(ConnectionLostError);
  const breaker = circuitBreaker(transient, {
    halfOpenAfter: o.halfOpenAfterMs ?? 30_000,
    breaker: new ConsecutiveBreaker(o.breakAfter ?? 3),
  });
  const retrying = retry(transient, {
    maxAttempts: o.retries ?? 2,
    backoff: new ExponentialBackoff({ initialDelay: o.initialDelayMs ?? 500, maxDelay: 5_000 }),
  });
  return wrap(retrying, breaker);
}

/** Runs `fn` under the policy; an open breaker becomes one clear TargetError. */
export async function runTransient<T>(policy: IPolicy, where: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await policy.execute(fn);
  } catch (e) {
    if (isBrokenCircuitError(e)) {
      throw new TargetError(`The connection to ${where} keeps dropping; shipproof stopped trying for now.`, {
        hint: 'Check the network and sshd on the server (MaxStartups, MaxSessions), then run the command again.',
      });
    }
    throw e;
  }
}
