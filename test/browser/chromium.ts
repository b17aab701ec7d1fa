// Debian's chromium driven by playwright-core (no browser download): a fresh profile per launch.
// Fails with an install hint when chromium is missing, never skips.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.SHIPPROOF_CHROMIUM ?? '/usr/bin/chromium';

export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing, and the dashboard tests drive a real browser. Run \`sudo bash scripts/setup/chromium.sh\` (installs Debian's chromium).`);
  }
}

/** A persistent context on a fresh, empty profile folder (playwright passes it as --user-data-dir). */
export async function launchChromium(viewport = { width: 1280, height: 900 }): Promise<{ context: BrowserContext; close: () => Promise<void> }> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'shipproof-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport,
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
  return {
    context,
    close: async () => {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}
