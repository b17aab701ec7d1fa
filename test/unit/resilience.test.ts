import { describe, expect, it } from 'vitest';
import { CommandFailedError, ConnectionLostError, TargetError } from '../../src/errors.js';
import { runTransient, transientPolicy } from '../../src/resilience/policy.js';

describe('transient faults: retry with backoff, then a circuit breaker', () => {
  it('retries a dropped connection and returns the later success', async () => {
    const policy = transientPolicy({ initialDelayMs: 1 });
    let calls = 0;
    const r = await runTransient(policy, 'box', async () => {
      calls++;
      if (calls < 3) throw new ConnectionLostError('dropped');
      return 'ok';
    });
    expect(r).toBe('ok');
    expect(calls).toBe(3);
  });

  it('fails fast on anything that is not transient', async () => {
    const policy = transientPolicy({ initialDelayMs: 1 });
    let calls = 0;
    await expect(
      runTransient(policy, 'box', async () => {
        calls++;
        throw new CommandFailedError('exit 1', 1, null);
      }),
    ).rejects.toBeInstanceOf(CommandFailedError);
    expect(calls).toBe(1);
  });

  it('opens the breaker after repeated drops and says so in one sentence', async () => {
    const policy = transientPolicy({ initialDelayMs: 1, retries: 0, breakAfter: 2, halfOpenAfterMs: 60_000 });
    const drop = async (): Promise<never> => {
      throw new ConnectionLostError('dropped');
    };
    await expect(runTransient(policy, 'box', drop)).rejects.toBeInstanceOf(ConnectionLostError);
    await expect(runTransient(policy, 'box', drop)).rejects.toBeInstanceOf(ConnectionLostError);
    let ran = false;
    await expect(
      runTransient(policy, 'box', async () => {
        ran = true;
        return 1;
      }),
    ).rejects.toThrow(TargetError);
    expect(ran).toBe(false);
  });
});
