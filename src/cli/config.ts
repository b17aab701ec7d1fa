// Every command loads the project through here, so the secrets this machine knows are registered
// with the redactor before the command prints its first line.
import { loadConfig, type ResolvedConfig } from '../config/load.js';
import path from 'node:path';
import { registerEnvFilesIn, registerKnownSecrets } from '../core/known-secrets.js';
import type { CommandContext } from './context.js';

export async function loadCommandConfig(ctx: CommandContext): Promise<ResolvedConfig> {
  let config: ResolvedConfig;
  try {
    config = await loadConfig({ cwd: ctx.options.cwd, ...(ctx.options.config ? { configPath: ctx.options.config } : {}) });
  } catch (error) {
    // The error may quote the config (a secret pasted into it): register the env files first.
    const dir = ctx.options.config ? path.dirname(path.resolve(ctx.options.cwd, ctx.options.config)) : ctx.options.cwd;
    await registerEnvFilesIn(dir);
    throw error;
  }
  await registerKnownSecrets(config);
  return config;
}
