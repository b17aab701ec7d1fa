// Minimal globs for exclude lists: `*` and `?` within a path segment, `**` across segments. A glob
// without "/" matches the file name anywhere (as in .gitignore).
export function globToRegExp(glob: string): RegExp {
  let out = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    if (c === '*' && glob[i + 1] === '*') {
      const slash = glob[i + 2] === '/';
      out += slash ? '(?:.*/)?' : '.*';
      i += slash ? 2 : 1;
    } else if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else out += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${out}$`);
}

/** Whether a relative path (with "/") matches any of the globs. */
export function matchesAny(relPath: string, globs: readonly string[]): boolean {
  const name = relPath.split('/').pop() ?? relPath;
  return globs.some((g) => {
    const re = globToRegExp(g.replace(/\/$/, '/**'));
    return re.test(relPath) || (!g.includes('/') && re.test(name));
  });
}
