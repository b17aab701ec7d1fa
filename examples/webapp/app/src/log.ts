// One JSON line per event on stdout. Secret values known from the environment are scrubbed from
// every line as a last line of defence; callers log ids and error messages, never payloads or
// connection strings.
const MIN_SECRET_LENGTH = 4;

function secretValues(env: NodeJS.ProcessEnv): string[] {
  const values = [env.DATABASE_URL, env.PGPASSWORD, env.POSTGRES_PASSWORD, env.SESSION_SECRET];
  if (env.DATABASE_URL) {
    try {
      const password = new URL(env.DATABASE_URL).password;
      values.push(password, decodeURIComponent(password));
    } catch {
      // Not a URL: the whole value is already in the list.
    }
  }
  return values.filter((v): v is string => v !== undefined && v.length >= MIN_SECRET_LENGTH);
}

const secrets = secretValues(process.env);

export function scrub(text: string): string {
  let out = text;
  for (const secret of secrets) out = out.split(secret).join('[redacted]');
  return out;
}

export type LogFields = Record<string, string | number | boolean>;

export function log(level: 'info' | 'warn' | 'error', msg: string, fields: LogFields = {}): void {
  const line = JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields });
  process.stdout.write(`${scrub(line)}\n`);
}

/** The message (and code, when there is one) of an error: no stack, no query values. */
export function errorText(err: unknown): string {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return typeof code === 'string' && code !== '' ? `${err.message} (${code})` : err.message;
  }
  return String(err);
}
