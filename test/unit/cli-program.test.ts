// The CLI loads only the module of the command it runs: every top-level command must be claimed
// by the entry that registers it, or it would be found only on the slow all-commands path.
import { describe, expect, it } from 'vitest';
import { ALL_COMMANDS, COMMAND_GROUPS } from '../../src/cli/command-names.js';
import { buildProgram, commandWord } from '../../src/cli/program.js';

const COMMAND_NAMES: readonly (readonly string[])[] = Object.values(COMMAND_GROUPS);

describe('lazy command loading', () => {
  it('each top-level command is named by exactly the entry that registers it', async () => {
    const all = await buildProgram(['node', 'shipproof', '--help']);
    const registered = all.commands.map((c) => c.name()).sort();
    expect([...COMMAND_NAMES.flat()].sort()).toEqual(registered);
    expect(ALL_COMMANDS).toEqual(all.commands.map((c) => c.name())); // help order too
    for (const names of COMMAND_NAMES) {
      const one = await buildProgram(['node', 'shipproof', names[0]!]);
      expect(one.commands.map((c) => c.name()).sort()).toEqual([...names].sort());
    }
  });

  it('finds the command word past global options and their values', () => {
    expect(commandWord(['--json', '-t', 'prod', 'deploy', '--yes'])).toBe('deploy');
    expect(commandWord(['--config', 'x.yaml', '--log-file', 'l', 'status'])).toBe('status');
    expect(commandWord(['--json'])).toBeUndefined();
    expect(commandWord(['--', 'check'])).toBe('check');
  });

  it('an unknown word or --help loads every command (for suggestions and the full help)', async () => {
    expect((await buildProgram(['node', 'shipproof', 'deplyo'])).commands.length).toBe(COMMAND_NAMES.flat().length);
    expect((await buildProgram(['node', 'shipproof', 'deploy', '--help'])).commands.length).toBe(COMMAND_NAMES.flat().length);
    expect((await buildProgram(['node', 'shipproof', '--version'])).commands).toEqual([]);
  });
});
