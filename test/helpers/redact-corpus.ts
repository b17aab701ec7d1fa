// Planted secrets for the redaction tests, and independent checks that none of them survive.
// The derived forms here are computed with Node's own encoders, not with src/redact/variants.ts,
// so a bug in the variants cannot hide itself.
import { createHmac, generateKeyPairSync, randomBytes } from 'node:crypto';
import ssh2 from 'ssh2';
import { shellQuote } from '../../src/shell/quote.js';

/** Deterministic PRNG (mulberry32), so failures reproduce. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const ALNUM = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
export function randomString(rnd: () => number, length: number, alphabet = ALNUM): string {
  let s = '';
  for (let i = 0; i < length; i++) s += alphabet[Math.floor(rnd() * alphabet.length)];
  return s;
}

/** A text that must not survive redaction, where it was planted and the marker expected in its place. */
export interface Planted {
  name: string;
  /** Text containing the secret, as some tool would print it. */
  context: string;
  /** Strings that must not appear after redaction. */
  needles: string[];
  /** The rule the marker must name. */
  rule: string;
}

/** Independent computation of the forms the redactor claims to cover for a registered value. */
export function claimedForms(value: string): string[] {
  const bytes = Buffer.from(value, 'utf8');
  const withNl = Buffer.from(`${value}\n`, 'utf8');
  const forms = [
    value,
    bytes.toString('base64'),
    bytes.toString('base64').replace(/=+$/, ''),
    bytes.toString('base64url'),
    bytes.toString('base64url').padEnd(Math.ceil(bytes.toString('base64url').length / 4) * 4, '='),
    withNl.toString('base64'),
    withNl.toString('base64').replace(/=+$/, ''),
    encodeURIComponent(value),
    encodeURIComponent(value).replace(/%20/g, '+'),
    JSON.stringify(value).slice(1, -1),
    value.split("'").join(`'\\''`),
  ];
  if (value.includes('\n')) {
    for (const line of value.split('\n').map((l) => l.trim())) {
      if (line.length >= 6 && !/^-----(BEGIN|END) /.test(line)) forms.push(line);
    }
  }
  return [...new Set(forms)];
}

const decodedCache = new Map<string, string>();

/** Every base64-looking run of `text`, decoded at every alignment in both alphabets, joined. */
function decodedBase64(text: string): string {
  const cached = decodedCache.get(text);
  if (cached !== undefined) return cached;
  const parts: string[] = [];
  for (const m of text.matchAll(/[A-Za-z0-9+/_-]{8,}/g)) {
    for (let offset = 0; offset < 4; offset++) {
      const body = m[0].slice(offset);
      const usable = body.slice(0, body.length - (body.length % 4));
      for (const alphabet of ['base64', 'base64url'] as const) parts.push(Buffer.from(usable, alphabet).toString('latin1'));
    }
  }
  const joined = parts.join('\u0000');
  if (decodedCache.size > 50) decodedCache.clear();
  decodedCache.set(text, joined);
  return joined;
}

/**
 * Secret bytes hidden in base64: decodes every base64-looking run of `text` at every alignment,
 * in both alphabets, and returns the 8-byte windows of `value` found in a decoding.
 */
export function base64Leaks(text: string, value: string): string[] {
  const secret = Buffer.from(value, 'utf8');
  const width = Math.min(8, secret.length);
  const decoded = decodedBase64(text);
  const leaks = new Set<string>();
  for (let i = 0; i + width <= secret.length; i++) {
    const w = secret.subarray(i, i + width).toString('latin1');
    if (decoded.includes(w)) leaks.add(JSON.stringify(w));
  }
  return [...leaks];
}

/** Every needle, derived form or base64-hidden copy still in `text`. */
export function leaksIn(text: string, needles: readonly string[]): string[] {
  const found = needles.filter((n) => text.includes(n));
  for (const n of needles) if (n.length >= 8) found.push(...base64Leaks(text, n).map((w) => `base64-hidden window ${w}`));
  return found;
}

function base64Wrapped(value: string): string {
  return (Buffer.from(`${value}\n`).toString('base64').match(/.{1,76}/g) ?? []).join('\n');
}

function b64url(obj: unknown): string {
  return Buffer.from(JSON.stringify(obj)).toString('base64url');
}

export function makeJwt(payload: Record<string, unknown>, key: string): string {
  const head = `${b64url({ alg: 'HS256', typ: 'JWT' })}.${b64url(payload)}`;
  return `${head}.${createHmac('sha256', key).update(head).digest('base64url')}`;
}

function pemBodyLines(pem: string): string[] {
  return pem
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length >= 16 && !l.startsWith('-----') && !l.includes(':'));
}

export interface EnvEntry {
  key: string;
  value: string;
}

export interface Corpus {
  /** dotenv text of `.env.prod` and what each value is after parsing. */
  envProd: string;
  envProdValues: EnvEntry[];
  /** Container environment (`docker exec web env`), registered with a secret-key-name filter. */
  containerEnv: string;
  containerSecrets: EnvEntry[];
  /** Values in the container env that are not secrets and must stay readable. */
  containerPlain: EnvEntry[];
  /** Every planted secret in its context. */
  planted: Planted[];
}

export function buildCorpus(seed = 0x5eed): Corpus {
  const rnd = prng(seed);
  const r = (n: number, alphabet?: string): string => randomString(rnd, n, alphabet);

  const tlsKey = generateKeyPairSync('ed25519').privateKey.export({ type: 'pkcs8', format: 'pem' }).toString().trimEnd();
  const envProdValues: EnvEntry[] = [
    { key: 'DB_PASSWORD', value: r(24, `${ALNUM}-_.`) },
    { key: 'API_TOKEN', value: r(40) },
    { key: 'REDIS_PASSWORD', value: `correct horse battery ${r(6)}` },
    { key: 'SESSION_SECRET', value: `sq $NOT_EXPANDED "dq" =eq ${r(5)}` },
    { key: 'SMTP_PASSWORD', value: `He said "hi" = ok ${r(6)}` },
    { key: 'WEBHOOK_SECRET', value: `abc=def==ghi+/${r(8)}` },
    { key: 'MINIO_ROOT_PASSWORD', value: r(40) },
    { key: 'TLS_PRIVATE_KEY', value: tlsKey },
    { key: 'JWT_SIGNING_KEY', value: randomBytes(32).toString('hex') },
    { key: 'OAUTH_CLIENT_SECRET', value: `pässwörd-ÜñÎ-${r(4)}-日本語` },
    { key: 'DOLLAR_PASS', value: `p4$$w0rd-$UNSET-${r(6)}` },
    { key: 'BACKUP_PASSPHRASE', value: `correct#horse#battery#${r(5)}` },
    { key: 'LONG_TOKEN', value: r(120, `${ALNUM}+/`) },
    { key: 'QUOTE_IN_VALUE', value: `it's-a-${r(8)}` },
  ];
  const v = (key: string): string => (envProdValues.find((e) => e.key === key) as EnvEntry).value;
  const envProd = [
    '# production settings',
    `DB_PASSWORD=${v('DB_PASSWORD')}`,
    `export API_TOKEN=${v('API_TOKEN')}`,
    `REDIS_PASSWORD="${v('REDIS_PASSWORD')}"`,
    `SESSION_SECRET='${v('SESSION_SECRET')}'`,
    `SMTP_PASSWORD="${v('SMTP_PASSWORD').replace(/"/g, '\\"')}"`,
    `WEBHOOK_SECRET=${v('WEBHOOK_SECRET')}`,
    `MINIO_ROOT_PASSWORD=${v('MINIO_ROOT_PASSWORD')} # rotated 2024-05`,
    `TLS_PRIVATE_KEY="${v('TLS_PRIVATE_KEY')}"`,
    `JWT_SIGNING_KEY=${v('JWT_SIGNING_KEY')}`,
    `OAUTH_CLIENT_SECRET=${v('OAUTH_CLIENT_SECRET')}`,
    `DOLLAR_PASS="${v('DOLLAR_PASS')}"`,
    `BACKUP_PASSPHRASE=${v('BACKUP_PASSPHRASE')}`,
    `LONG_TOKEN=${v('LONG_TOKEN')}`,
    `QUOTE_IN_VALUE="${v('QUOTE_IN_VALUE')}"`,
    'SHORT_PIN=abc',
    'EMPTY=',
    '',
  ].join('\n');

  const containerSecrets: EnvEntry[] = [
    { key: 'POSTGRES_PASSWORD', value: r(28, `${ALNUM}!@%^*`) },
    { key: 'RAILS_SECRET_KEY_BASE', value: randomBytes(64).toString('hex') },
    { key: 'S3_SECRET_KEY', value: r(40, `${ALNUM}/+`) },
    { key: 'GRAFANA_ADMIN_PASSWORD', value: r(16) },
    { key: 'STRIPE_WEBHOOK_SECRET', value: `whsec_${r(32)}` },
  ];
  const containerPlain: EnvEntry[] = [
    { key: 'HOSTNAME', value: 'web-1' },
    { key: 'PATH', value: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' },
    { key: 'NODE_ENV', value: 'production' },
    { key: 'PGHOST', value: 'db' },
  ];
  const containerEnv = [...containerPlain, ...containerSecrets].map((e) => `${e.key}=${e.value}`).join('\n') + '\n';

  const planted: Planted[] = [];
  const registered = [...envProdValues.map((e) => ({ ...e, label: 'env:.env.prod' })), ...containerSecrets.map((e) => ({ ...e, label: 'env:web' }))];
  for (const { key, value, label } of registered) {
    const rule = `known:${label}:${key}`;
    const needles = claimedForms(value);
    const add = (how: string, context: string): void => {
      planted.push({ name: `${key} ${how}`, context, needles, rule });
    };
    add('plain in a log line', `web-1  | connecting with ${value} now`);
    add('docker inspect JSON', JSON.stringify({ Config: { Env: [`${key}=${value}`, 'HOSTNAME=web-1'] } }, null, 2));
    add('echo | base64', `$ echo "$${key}" | base64\n${base64Wrapped(value)}`);
    add('base64 -w0', `data:\n  ${key}: ${Buffer.from(value).toString('base64')}`);
    add('url-safe base64 unpadded', `GET /cb?state=${Buffer.from(value).toString('base64url')} 302`);
    for (const prefix of ['', 'A', 'AB']) {
      add(`embedded base64 at alignment ${prefix.length}`, `blob ${Buffer.from(`${prefix}x=1\n${key}=${value}\nY=2\n`).toString('base64')}`);
    }
    add('percent-encoded query', `GET https://hooks.example.com/cb?secret=${encodeURIComponent(value)}&ok=1 200`);
    add('form-encoded body', `POST /login body=user=app&password=${encodeURIComponent(value).replace(/%20/g, '+')}`);
    add('set -x trace', `+ docker run -e ${shellQuote(`${key}=${value}`)} app:1.2.3`);
  }

  const jwt1 = makeJwt({ sub: 'user-42', iat: 1714557600, role: 'admin' }, 'k1');
  const jwt2 = makeJwt({ sub: r(12), scope: 'deploy', exp: 1999999999, jti: r(24) }, 'k2');
  const awsId = `AKIA${r(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
  const awsSts = `ASIA${r(16, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567')}`;
  const awsSecret1 = r(40, `${ALNUM}/+`);
  const awsSecret2 = r(40, `${ALNUM}/+`);
  const pat = (name: string, context: string, secret: string, rule: string): void => {
    planted.push({ name, context, needles: [secret], rule });
  };
  pat('jwt in a header', `Authorization: JWT ${jwt1}`, jwt1, 'jwt');
  pat('jwt in JSON', `{"access_token":"${jwt2}","token_type":"Bearer"}`, jwt2, 'jwt');
  pat('aws access key id', `aws_access_key_id = ${awsId}`, awsId, 'aws-access-key-id');
  pat('aws sts key id', `"AccessKeyId": "${awsSts}",`, awsSts, 'aws-access-key-id');
  pat('aws secret (ini)', `aws_secret_access_key = ${awsSecret1}`, awsSecret1, 'aws-secret-access-key');
  pat('aws secret (sts JSON)', `"SecretAccessKey": "${awsSecret2}",`, awsSecret2, 'aws-secret-access-key');
  for (const prefix of ['ghp_', 'gho_', 'ghs_']) {
    const t = `${prefix}${r(36)}`;
    pat(`github ${prefix}`, `remote: https://github.com using ${t}`, t, 'github-token');
  }
  const fineGrained = `github_pat_${r(22)}_${r(59)}`;
  pat('github fine-grained', `GH_TOKEN ${fineGrained}`, fineGrained, 'github-token');
  const slackBot = `xoxb-${r(12, '0123456789')}-${r(13, '0123456789')}-${r(24)}`;
  const slackUser = `xoxp-${r(12, '0123456789')}-${r(12, '0123456789')}-${r(32)}`;
  pat('slack bot token', `posting with ${slackBot}`, slackBot, 'slack-token');
  pat('slack user token', `SLACK=${slackUser}`, slackUser, 'slack-token');
  const stripeSk = `sk_live_${r(24)}`;
  const stripeRk = `rk_live_${r(24)}`;
  pat('stripe secret key', `stripe.api_key set to ${stripeSk}`, stripeSk, 'stripe-key');
  pat('stripe restricted key', `key: ${stripeRk}`, stripeRk, 'stripe-key');
  const google = `AIza${r(35, `${ALNUM}_-`)}`;
  pat('google api key', `maps?key=${google}&q=x`, google, 'google-api-key');
  const opaque = r(32, `${ALNUM}-._~`);
  pat('bearer header', `> Authorization: Bearer ${opaque}`, opaque, 'bearer-token');
  const basic = Buffer.from(`deploy:${r(14)}`).toString('base64');
  pat('basic header', `curl -H 'Authorization: Basic ${basic}' https://registry.example.com/v2/`, basic, 'bearer-token');
  const bare = `${r(20)}-${r(6, '0123456789')}`;
  pat('bare bearer', `retrying request with bearer ${bare} after 401`, bare, 'bearer-token');
  const pgPass = r(18);
  planted.push({
    name: 'postgres url credentials',
    context: `DATABASE_URL=postgres://app:${pgPass}@db:5432/app`,
    needles: [pgPass],
    rule: 'url-credentials',
  });
  const redisPass = r(20);
  pat('redis url with empty user', `connecting to redis://:${redisPass}@redis:6379/0`, redisPass, 'url-credentials');
  const gitPass = r(24);
  pat('https git credentials', `fatal: unable to access 'https://deploy:${gitPass}@git.example.com/acme/app.git/'`, gitPass, 'url-credentials');
  const escapedUrlPass = r(16);
  pat('JSON-escaped url credentials', `{"url":"amqp:\\/\\/guest:${escapedUrlPass}@mq:5672"}`, escapedUrlPass, 'url-credentials');
  const assigned = [
    ['password=', r(14) + '7a'],
    ['"api_key": "', r(32)],
    ['client_secret: ', r(28)],
    ['--db-password=', `${r(10)}!${r(3, '0123456789')}`],
    ['SMTP_PASS=', `Pa55-${r(10)}`],
  ] as const;
  for (const [prefix, value] of assigned) {
    pat(`assignment ${prefix}`, `${prefix}${value}${prefix.includes('"') ? '"' : ''} # set`, value, 'secret-assignment');
  }
  const ageKey = `AGE-SECRET-KEY-1${r(58, 'QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L')}`;
  pat('age identity', `# created: 2024-05-01\n${ageKey}`, ageKey, 'age-secret-key');

  const pems: [string, string][] = [
    ['rsa pkcs1', generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()],
    ['ec sec1', generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'sec1', format: 'pem' }).toString()],
    [
      'encrypted pkcs8',
      generateKeyPairSync('ec', { namedCurve: 'P-256' })
        .privateKey.export({ type: 'pkcs8', format: 'pem', cipher: 'aes-256-cbc', passphrase: 'pw' })
        .toString(),
    ],
    [
      'legacy encrypted rsa',
      generateKeyPairSync('rsa', { modulusLength: 1024 })
        .privateKey.export({ type: 'pkcs1', format: 'pem', cipher: 'aes-128-cbc', passphrase: 'pw' })
        .toString(),
    ],
    ['openssh', ssh2.utils.generateKeyPairSync('ed25519').private],
  ];
  for (const [name, pem] of pems) {
    planted.push({ name: `pem ${name}`, context: `$ cat key\n${pem.trimEnd()}\n$ echo done`, needles: pemBodyLines(pem), rule: 'pem-private-key' });
  }
  const truncated = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  planted.push({
    name: 'pem truncated (no END line)',
    context: truncated.split('\n').slice(0, 8).join('\n'),
    needles: pemBodyLines(truncated).slice(0, 7),
    rule: 'pem-private-key',
  });
  const opensshBody = pemBodyLines(ssh2.utils.generateKeyPairSync('ed25519').private);
  planted.push({
    name: 'openssh key body without armour, JSON-escaped newlines',
    context: `{"material": "${opensshBody.join('\\n')}"}`,
    needles: opensshBody,
    rule: 'ssh-private-key-inline',
  });

  return { envProd, envProdValues, containerEnv, containerSecrets, containerPlain, planted };
}

/** Text that must come out of redaction unchanged. Evidence is full of digests; none is a secret. */
export function harmlessText(seed = 7): string {
  const rnd = prng(seed);
  const hex = (n: number): string => randomString(rnd, n, '0123456789abcdef');
  const uuid = (): string => `${hex(8)}-${hex(4)}-4${hex(3)}-a${hex(3)}-${hex(12)}`;
  return [
    '2024-05-01T10:00:00.123Z web-1  | GET /healthz 200 1.2ms',
    '2024-05-01T10:00:01Z worker-1 | job 8f2c processed in 35ms',
    `${hex(64)}  backups/2024-05-01T03-00-00Z/db.sql.gz`,
    `sha256:${hex(64)}`,
    `ghcr.io/acme/web@sha256:${hex(64)}`,
    `postgres:16-alpine@sha256:${hex(64)}`,
    `{"digest": "sha256:${hex(64)}", "size": 7023, "mediaType": "application/vnd.oci.image.manifest.v1+json"}`,
    `{"sha256": "${hex(64)}", "prevHash": "${hex(64)}", "keyId": "${hex(16)}"}`,
    `evidence_hash=${hex(64)} checksum: ${hex(64)} hash=${hex(40)}`,
    `secret_sha256=${hex(64)}`,
    `token_hash: ${hex(64)}`,
    `"envFingerprint": "${hex(64)}"`,
    `commit ${hex(40)}`,
    `request_id=${uuid()} trace=${uuid()}`,
    `container ${hex(12)} started at 2024-05-01T10:00:00+02:00`,
    'path=/srv/shipproof/releases/2024-05-01T10-00-00Z/compose.yaml',
    '/var/lib/docker/volumes/app_pgdata/_data',
    'services: web, worker, db, redis, caddy, minio',
    ' Container app-db-1  Healthy',
    ' Network app_default  Created',
    '0.0.0.0:443->443/tcp, :::80->80/tcp',
    'https://app.example.com:8443/healthz?probe=1',
    'redis://redis:6379/0 postgres://db:5432/app',
    'PWD=/home/deploy/app',
    'password_file: /run/secrets/db_password',
    'secret_name: db-password',
    'token_type: bearer',
    'max_tokens: 4096',
    'author: Jane Doe <jane@example.com>',
    'Authorization header missing, retrying',
    'bearer tokens are accepted',
    'POSTGRES_PASSWORD_FILE=/run/secrets/pg',
    'auth_mode: Production',
    'api_key_id: 12345678',
    'image: caddy:2.8 version v1.2.3-rc.1',
    `data: ${Buffer.from('hello world, nothing to hide here').toString('base64')}`,
    'email=someone@example.com user=deploy',
    '-----BEGIN PUBLIC KEY-----',
    'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl deploy@host',
    'SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8 (ED25519)',
    '',
  ].join('\n');
}
