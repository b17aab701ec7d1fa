// What every command gets: the parsed global options and an Output.
import type { Command } from 'commander';
import { colorWanted, Output } from './output.js';

export interface GlobalOptions {
  config?: string;
  target?: string;
  json: boolean;
  debug: boolean;
  color: boolean;
  acceptNewHostKey: boolean;
  logFile?: string;
  cwd: string;
}

export interface CommandContext {
  options: GlobalOptions;
  out: Output;
}

export function contextOf(command: Command): CommandContext {
  const o = command.optsWithGlobals<{
    config?: string;
    target?: string;
    json?: boolean;
    debug?: boolean;
    color?: boolean;
    acceptNewHostKey?: boolean;
    logFile?: string;
  }>();
  const options: GlobalOptions = {
    ...(o.config === undefined ? {} : { config: o.config }),
    ...(o.target === undefined ? {} : { target: o.target }),
    json: o.json === true,
    debug: o.debug === true,
    color: colorWanted(o.color),
    acceptNewHostKey: o.acceptNewHostKey === true,
    ...(o.logFile === undefined ? {} : { logFile: o.logFile }),
    cwd: process.cwd(),
  };
  return { options, out: new Output({ json: options.json, color: options.color, debug: options.debug }) };
}
