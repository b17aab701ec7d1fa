// A working copy of examples/webapp for a test: its app built (the image copies app/node_modules
// and app/dist), the folder copied without docs/ and .env, and a 0600 .env with fresh secrets,
// the given ports and the offline stand-in images. One home for what every webapp test needs.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const WEBAPP_EXAMPLE = fileURLToPath(new URL('../../examples/webapp', import.meta.url));

export interface WebappCopy {
  /** The planted database password and session secret (tests look for them in every output). */
  password: string;
  session: string;
}

export function copyWebapp(dir: string, o: { project: string; https: number; password?: string; session?: string }): WebappCopy {
  execFileSync('bash', [join(WEBAPP_EXAMPLE, 'build.sh')], { stdio: 'pipe' });
  cpSync(WEBAPP_EXAMPLE, dir, { recursive: true, filter: (src) => !/\/(docs|\.env)$/.test(src) });
  const password = o.password ?? `pw-${randomBytes(12).toString('hex')}`;
  const session = o.session ?? randomBytes(24).toString('hex');
  writeFileSync(
    join(dir, '.env'),
    [
      'POSTGRES_USER=webapp',
      `POSTGRES_PASSWORD=${password}`,
      'POSTGRES_DB=webapp',
      `DATABASE_URL=postgres://webapp:${password}@postgres:5432/webapp`,
      `SESSION_SECRET=${session}`,
      'DOMAIN=localhost',
      'TLS_MODE=internal',
      `HTTP_PORT=${o.https + 1}`,
      `HTTPS_PORT=${o.https}`,
      `APP_IMAGE=${o.project}/app:latest`,
      readFileSync(join(WEBAPP_EXAMPLE, 'offline.env'), 'utf8'),
    ].join('\n'),
    { mode: 0o600 },
  );
  return { password, session };
}
