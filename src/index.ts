// The library API. The CLI (src/cli) is a thin layer over these.
export * from './errors.js';
export { shellQuote, shellJoin } from './shell/quote.js';
export type * from './targets/target.js';
export { LocalTarget } from './targets/local.js';
export { SshTarget } from './targets/ssh.js';
export { createTarget } from './targets/create.js';
export { Docker, ComposeProject } from './docker/docker.js';
export * as dockerCommands from './docker/commands.js';
export type { ContainerInfo, DockerVersion, ImageInfo } from './docker/parse.js';
export { loadConfig, resolveTargetName } from './config/load.js';
export type { ResolvedConfig, ResolvedTarget } from './config/load.js';
export { configJsonSchema } from './config/schema.js';
export { checkProject } from './core/check.js';
export { initProject } from './core/init.js';
export { targetsStatus, targetStatus } from './core/target-status.js';
export { TOOL_VERSION } from './version.js';
