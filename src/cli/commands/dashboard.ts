import type { Command } from 'commander';
import path from 'node:path';
import { resolveBackupSettings } from '../../backup/settings.js';
import { UsageError } from '../../errors.js';
import { openBrowser } from '../../dashboard/open-browser.js';
import { serverReader } from '../../dashboard/refresh.js';
import { startDashboard } from '../../dashboard/server.js';
import { loadProjectSettings } from '../../verify/settings.js';
import { loadCommandConfig } from '../config.js';
import { contextOf } from '../context.js';

export function registerDashboard(program: Command): void {
  program
    .command('dashboard')
    .description('serve a read-only web view of the evidence on 127.0.0.1: releases, health, backups, trends, reports')
    .option('-p, --port <port>', 'port on 127.0.0.1 (default: a free one)')
    .option('--open', 'open it in the default browser')
    .action(async (o: { port?: string; open?: boolean }, cmd: Command) => {
      const ctx = contextOf(cmd);
      const { options, out } = ctx;
      if (o.port !== undefined && !/^\d{1,5}$/.test(o.port)) throw new UsageError(`--port "${o.port}" is not a port number.`, { hint: 'Give 1-65535, or leave it out for a free port.' });
      const port = o.port === undefined ? undefined : Number(o.port);
      if (port !== undefined && (port < 1 || port > 65535)) throw new UsageError(`--port ${port} is out of range.`, { hint: 'Give 1-65535, or leave it out for a free port.' });
      const config = await loadCommandConfig(ctx);
      const backups = resolveBackupSettings(config);
      // The reports page still works when shipproof.verify.yaml is missing or has a mistake.
      const settings = await loadProjectSettings({ rootDir: config.rootDir, cwd: options.cwd }).catch(() => undefined);
      const running = await startDashboard({
        evidenceDir: config.evidenceDir,
        project: config.project,
        ...(port === undefined ? {} : { port }),
        ...(process.env.SHIPPROOF_HOME === undefined ? {} : { home: process.env.SHIPPROOF_HOME }),
        reports: {
          handover: path.resolve(config.rootDir, settings?.handover.path ?? 'HANDOVER.md'),
          verifyDir: path.resolve(config.rootDir, settings?.verify?.output ?? 'docs/verification'),
        },
        backups: {
          maxAgeMs: backups.maxAgeMs,
          offsiteConfigured: backups.offsite.length > 0,
          retention: backups.keep !== undefined || backups.keepDays !== undefined ? [backups.keep !== undefined ? `keep ${backups.keep}` : '', backups.keepDays !== undefined ? `keep ${backups.keepDays} days` : ''].filter(Boolean).join(', ') : 'keep all (no keep or keepDays set)',
        },
        readServer: serverReader(config, { acceptNewHostKey: options.acceptNewHostKey }),
      });
      out.result(() => `shipproof dashboard (read-only) at\n  ${running.url}\nThe URL carries its access token: share it with no one. Ctrl-C stops it.`, { url: running.url, port: running.port });
      let cleanup = (): void => undefined;
      if (o.open === true) {
        const opened = await openBrowser(running.url);
        cleanup = opened.cleanup;
        if (opened.problem !== undefined) out.note(`${opened.problem}; open the URL above yourself`);
      }
      await new Promise<void>((resolve) => {
        process.once('SIGINT', () => resolve());
        process.once('SIGTERM', () => resolve());
      });
      cleanup();
      await running.close();
    });
}
