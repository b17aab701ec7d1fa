// Every command loads the project through here, so the secrets this machine knows are registered
// with the redactor before the command prints its first line.
import { loadConfig, type ResolvedConfig } from '../config/load.js';
import { registerKnownSecrets } from '../core/known-secrets.js';
import type { CommandContext } from './context.js';

export async function loadCommandConfig(ctx: CommandContext): Promise<ResolvedConfig> {
  const config = await loadConfig({ cwd: ctx.options.cwd, ...(ctx.options.config ? { configPath: ctx.options.config } : {}) });
  await registerKnownSecrets(config);
  return config;
}
