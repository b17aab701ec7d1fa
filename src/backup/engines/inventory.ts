// What an engine's read-only probes ask it inside the service's container (collect, milestones 3
// and 8): its own is-ready answer, the database inventory (version, names and sizes: never rows)
// and whether its dump tool is there. Each engine module declares its own; src/probes runs them.

export interface Readiness {
  argv: readonly string[];
  /** Whether the command's result means "accepting connections". */
  ready(exitCode: number | null, stdout: string): boolean;
}

export interface DatabaseInventory {
  version: string;
  databases: { name: string; bytes: number }[];
}

export interface Inventory {
  argv: readonly string[];
  parse(stdout: string): DatabaseInventory | undefined;
}

export interface EngineProbes {
  readiness?: Readiness;
  inventory?: Inventory;
  /** Prints the dump tool's version: the backup's tool is in the container. None = a helper container takes the backup. */
  dumpTool?: readonly string[];
}

/** Exit code 0 means ready: most engines' own is-ready commands. */
export const exitsZero = (exitCode: number | null): boolean => exitCode === 0;

/** Reads "version" then one "name<sep>bytes" line per database; undefined when nothing was printed. */
export function parseInventoryLines(stdout: string, sep: string): DatabaseInventory | undefined {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  const version = lines[0];
  if (version === undefined) return undefined;
  const databases = lines.slice(1).flatMap((l) => {
    const [name, size] = l.split(sep);
    return name && size !== undefined && /^\d+$/.test(size.trim()) ? [{ name, bytes: Number(size) }] : [];
  });
  return { version, databases };
}
