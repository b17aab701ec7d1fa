// Shared by the backup integration tests: small helpers to look at the server side.
import { execFileSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';

/** Names in a folder with their permission bits. */
export function listModes(dir: string): Record<string, number> {
  return Object.fromEntries(readdirSync(dir).map((n) => [n, statSync(`${dir}/${n}`).mode & 0o777]));
}

/**
 * Waits until no rehearsal scratch is left on the engine. Other test files may be rehearsing at the
 * same moment (their scratch is gone when they finish), so this polls; scratch this file left
 * behind stays, and fails the test after `timeoutMs`.
 */
export async function expectNoRehearsalLeftovers(timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let left = rehearsalLeftovers();
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 1_000));
    left = rehearsalLeftovers();
  }
  if (left.length > 0) throw new Error(`rehearsal scratch left on the engine: ${left.join(', ')}`);
}

/** Containers, volumes and networks labelled as rehearsal scratch, on this engine. */
export function rehearsalLeftovers(): string[] {
  const out: string[] = [];
  for (const args of [
    ['ps', '-a', '-q', '--filter', 'label=shipproof.rehearsal'],
    ['volume', 'ls', '-q', '--filter', 'label=shipproof.rehearsal'],
    ['network', 'ls', '-q', '--filter', 'label=shipproof.rehearsal'],
  ]) {
    out.push(...execFileSync('docker', args).toString().split('\n').filter(Boolean));
  }
  return out;
}
