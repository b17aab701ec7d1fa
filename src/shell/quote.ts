// The one quoting function. Every argument that reaches a remote shell passes through here;
// nothing builds a shell string by concatenating unquoted input.

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/**
 * Quotes one argument for a POSIX shell so it arrives byte-exact: single quotes, with each
 * embedded single quote written as '\''. Safe for spaces, $(...), ;, newlines and non-ASCII.
 */
export function shellQuote(arg: string): string {
  if (arg === '') return "''";
  if (SAFE.test(arg)) return arg;
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/** Joins an argv into one shell command line, every element quoted. */
export function shellJoin(argv: readonly string[]): string {
  if (argv.length === 0) throw new Error('shellJoin: empty argv');
  return argv.map(shellQuote).join(' ');
}
