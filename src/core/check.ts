// `shipproof check`: shipproof.yaml and the compose files read and cross-checked on this machine,
// touching no server. Problems that would make a deploy wrong are ConfigErrors; doubtful but
// workable setups are warnings.
import path from 'node:path';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject } from '../compose/model.js';
import { detectStatefulServices, type StatefulService } from '../compose/stateful.js';
import { suggestionHint } from '../config/did-you-mean.js';
import { CONFIG_FILE_NAME, displayPath, loadConfig, type ResolvedConfig } from '../config/load.js';
import { describeWeakSecret, findWeakSecrets } from '../probes/secret-strength.js';
import { preflightErrors } from './preflight.js';
import { throwIfErrors } from '../config/yaml-positions.js';
import { ConfigError, type SourceLocation } from '../errors.js';
import { swarmFindings } from '../swarm/compat.js';

export interface CheckWarning {
  message: string;
  location?: SourceLocation;
}

export interface CheckReport {
  /** Absolute; undefined when the embedded default was used. */
  configPath?: string;
  /** Absolute. */
  composeFiles: string[];
  services: string[];
  stateful: StatefulService[];
  warnings: CheckWarning[];
}

export async function checkProject(opts: { cwd: string; configPath?: string }): Promise<CheckReport> {
  const config = await loadConfig(opts);
  const compose = await loadCompose(config.composeFiles, { cwd: opts.cwd });
  // The preflight (shared with every deploy) refuses weak secrets; the allowed ones are warnings here.
  throwIfErrors([...unknownStatefulServices(config, compose), ...(await preflightErrors(config, compose))]);
  const weak = await findWeakSecrets(config, compose);
  // With a shipproof.yaml, an env file compose reads but shipproof does not upload or link makes
  // `compose config` fail on the server (milestone 5): refuse it here, before any deploy.
  if (config.configPath !== undefined) throwIfErrors(undeclaredEnvFileErrors(config, compose));
  return {
    configPath: config.configPath,
    composeFiles: config.composeFiles,
    services: compose.services.map((s) => s.name),
    stateful: detectStatefulServices(compose, config.stateful),
    warnings: [
      ...compose.warnings,
      // Only when a target deploys to Docker Swarm: what Swarm ignores or rejects, and what shipproof does.
      ...(Object.values(config.targets).some((t) => t.swarm)
        ? swarmFindings(compose).map((f) => ({ message: `swarm ${f.swarm} ${f.service}.${f.key} (${f.handling}): ${f.message}`, ...(f.location ? { location: f.location } : {}) }))
        : []),
      ...(config.configPath === undefined ? undeclaredEnvFiles(config, compose).map(({ envFile: _, ...w }) => w) : []),
      ...weak.filter((w) => w.allowed !== undefined).map((w) => ({ message: `${describeWeakSecret(w, config.rootDir)}; allowed by secrets.allowWeak (${w.allowed}), so it is not redacted.`, location: { file: path.relative(opts.cwd, w.file) || w.file, ...(w.line === undefined ? {} : { line: w.line }) } })),
    ],
  };
}

/** A misspelt name under `stateful:` would silently leave a service without its backup. */
function unknownStatefulServices(config: ResolvedConfig, compose: ComposeProject): ConfigError[] {
  const services = compose.services.map((s) => s.name);
  return Object.keys(config.stateful)
    .filter((name) => !services.includes(name))
    .map(
      (name) =>
        new ConfigError(`"stateful.${name}" in ${CONFIG_FILE_NAME} names no service of the compose file.`, {
          location: config.locate(['stateful', name], 'key'),
          hint: suggestionHint(name, services, 'Services'),
        }),
    );
}

/** Each env file compose needs that shipproof.yaml does not declare, as an error at its compose line. */
export function undeclaredEnvFileErrors(config: ResolvedConfig, compose: ComposeProject): ConfigError[] {
  return undeclaredEnvFiles(config, compose).map((w) => {
    const at = w.location ? `${w.location.file}:${w.location.line ?? 1}` : 'compose.yaml';
    return new ConfigError(`${at} names env_file \`${w.envFile}\`, which ${CONFIG_FILE_NAME} does not declare: add it under envFiles (with \`source:\` to upload it)`, {
      ...(w.location ? { location: { file: w.location.file, ...(w.location.line === undefined ? {} : { line: w.location.line }) } } : {}),
      hint: `For example, in ${CONFIG_FILE_NAME}:  envFiles: [{ path: ${w.envFile}, source: ${w.envFile} }]  (source: a local file uploaded over stdin; leave it out when the file is already on the server).`,
    });
  });
}

/** Env files compose needs that shipproof.yaml does not list, so their names go unchecked. */
function undeclaredEnvFiles(config: ResolvedConfig, compose: ComposeProject): (CheckWarning & { envFile: string })[] {
  const declared = new Set(config.envFiles.map((e) => path.posix.normalize(e.path)));
  const seen = new Set<string>();
  const warnings: (CheckWarning & { envFile: string })[] = [];
  for (const service of compose.services) {
    for (const envFile of service.envFiles) {
      // Compose paths are relative to the project folder; shipproof's to the app folder, which mirrors rootDir.
      const relative = path.relative(config.rootDir, path.resolve(compose.projectDir, envFile.path)).split(path.sep).join('/');
      const key = path.posix.normalize(path.isAbsolute(envFile.path) ? envFile.path : relative);
      if (!envFile.required || declared.has(key) || seen.has(key)) continue;
      seen.add(key);
      const users = compose.services.filter((s) => s.envFiles.some((f) => f.path === envFile.path)).map((s) => s.name);
      warnings.push({
        message: `Compose reads the env file "${envFile.path}" (services ${users.join(', ')}), but ${CONFIG_FILE_NAME} does not list it under envFiles, so nothing checks it exists on the server with the names it needs.`,
        location: envFile.location,
        envFile: envFile.path,
      });
    }
  }
  return warnings;
}
