import { readFileSync } from 'node:fs';

// Read from package.json so the version is stated once.
export const TOOL_VERSION: string = (
  JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }
).version;
