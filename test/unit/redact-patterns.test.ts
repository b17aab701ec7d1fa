import { describe, expect, it } from 'vitest';
import { classifyKeyName, PATTERN_RULES, Redactor } from '../../src/redact/index.js';
import { looksLikeDigest, looksLikeSecretValue, mixesClasses, shannonEntropy } from '../../src/redact/entropy.js';

const r = new Redactor();
const redact = (s: string): string => r.redact(s).text;

describe('pattern rules', () => {
  it('has the rule ids the markers and evidence rely on', () => {
    expect(PATTERN_RULES.map((p) => p.id).sort()).toEqual(
      [
        'age-secret-key', 'aws-access-key-id', 'aws-secret-access-key', 'bearer-token', 'github-token', 'google-api-key',
        'jwt', 'pem-private-key', 'secret-assignment', 'slack-token', 'ssh-private-key-inline', 'stripe-key', 'url-credentials',
      ].sort(),
    );
    for (const rule of PATTERN_RULES) expect(rule.regex.flags).toMatch(/^(?=.*d)(?=.*g)/);
  });

  const positives: [string, string, string][] = [
    ['aws-access-key-id', 'key AKIAIOSFODNN7EXAMPLE here', 'key [REDACTED:aws-access-key-id] here'],
    ['aws-access-key-id', 'ASIAY34FZKBOKMUTVV7A', '[REDACTED:aws-access-key-id]'],
    ['aws-secret-access-key', 'AWS_SECRET_ACCESS_KEY=wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY', 'AWS_SECRET_ACCESS_KEY=[REDACTED:aws-secret-access-key]'],
    ['aws-secret-access-key', 'secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"', 'secretAccessKey: "[REDACTED:aws-secret-access-key]"'],
    ['github-token', 'ghu_0123456789abcdefghijABCDEFGHIJ012345', '[REDACTED:github-token]'],
    ['github-token', 'ghr_0123456789abcdefghijABCDEFGHIJ012345.', '[REDACTED:github-token].'],
    ['slack-token', 'xoxa-2-1234567890-abcdef', '[REDACTED:slack-token]'],
    ['stripe-key', 'sk_live_4eC39HqLyjWDarjtT1zdp7dc', '[REDACTED:stripe-key]'],
    ['google-api-key', 'AIzaSyA-1234567890abcdefghijklmnopqrstu', '[REDACTED:google-api-key]'],
    [
      'jwt',
      'token=eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U',
      'token=[REDACTED:jwt]',
    ],
    ['jwt', 'unsigned eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9. end', 'unsigned [REDACTED:jwt] end'],
    ['bearer-token', 'authorization: token ghx_not_a_pattern_token', 'authorization: token [REDACTED:bearer-token]'],
    ['bearer-token', '"Authorization": "Bearer abc"', '"Authorization": "Bearer [REDACTED:bearer-token]"'],
    ['bearer-token', 'Proxy-Authorization: Basic dXNlcjpwYXNz', 'Proxy-Authorization: Basic [REDACTED:bearer-token]'],
    ['bearer-token', 'sent bearer a1b2c3d4e5f6 to api', 'sent bearer [REDACTED:bearer-token] to api'],
    ['url-credentials', 'postgres://app:p@ss@db:5432/app', 'postgres://app:[REDACTED:url-credentials]@db:5432/app'],
    ['url-credentials', 'amqps://user:pa:ss@mq', 'amqps://user:[REDACTED:url-credentials]@mq'],
    ['secret-assignment', 'DB_PASSWORD: "Xk2#pq9z!"', 'DB_PASSWORD: "[REDACTED:secret-assignment]"'],
    ['secret-assignment', "apiKey = 'AbCdEf123456'", "apiKey = '[REDACTED:secret-assignment]'"],
    ['secret-assignment', 'x-api-key: 9f8e7d6c5b4a3210fedcba98', 'x-api-key: [REDACTED:secret-assignment]'],
    ['secret-assignment', '?access_token=abc123def456&x=1', '?access_token=[REDACTED:secret-assignment]&x=1'],
    ['secret-assignment', 'OAUTH_CLIENT_SECRET=qwertyuiopasdfghjklzxcv', 'OAUTH_CLIENT_SECRET=[REDACTED:secret-assignment]'],
    ['secret-assignment', 'Authentication-Token => "Zz9-yy8-Xx7"', 'Authentication-Token => "[REDACTED:secret-assignment]"'],
    ['age-secret-key', 'AGE-SECRET-KEY-1QQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQQ', '[REDACTED:age-secret-key]'],
    [
      'pem-private-key',
      'KEY="-----BEGIN OPENSSH PRIVATE KEY----- b3BlbnNzaC1rZXktdjEAAAAA -----END OPENSSH PRIVATE KEY-----"',
      'KEY="[REDACTED:pem-private-key]"',
    ],
    [
      'pem-private-key',
      '{"key":"-----BEGIN RSA PRIVATE KEY-----\\nMIIEpAIBAAKCAQEA\\nAbCd==\\n-----END RSA PRIVATE KEY-----\\n"}',
      '{"key":"[REDACTED:pem-private-key]\\n"}',
    ],
    ['pem-private-key', '-----BEGIN PGP PRIVATE KEY BLOCK-----\n\nlQOYBF\n-----END PGP PRIVATE KEY BLOCK-----', '[REDACTED:pem-private-key]'],
    [
      'pem-private-key',
      '-----BEGIN RSA PRIVATE KEY-----\nProc-Type: 4,ENCRYPTED\nDEK-Info: AES-128-CBC,00FF\n\nMIIEpAIBAAKCAQEA\n(cut)',
      '[REDACTED:pem-private-key]\n(cut)',
    ],
    ['ssh-private-key-inline', 'SSH_KEY=b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQ== next', 'SSH_KEY=[REDACTED:ssh-private-key-inline] next'],
    ['ssh-private-key-inline', 'Private-Lines: 2\nAAAAIQCx\nAAAAEHh4\nPrivate-MAC: 00', '[REDACTED:ssh-private-key-inline]\nPrivate-MAC: 00'],
  ];
  for (const [rule, input, expected] of positives) {
    it(`${rule}: ${input.slice(0, 50)}`, () => {
      expect(redact(input)).toBe(expected);
    });
  }

  const negatives = [
    'AKIAIOSFODNN7EXAMPL', // 15 chars after AKIA
    'XAKIAIOSFODNN7EXAMPLE0',
    'aws_secret_access_key = short',
    'ghp_short',
    'the sk_live_ prefix',
    'AIzaShort',
    'eyJhbGciOi.short',
    'Authorization: required',
    'bearer authentication is enabled',
    'basic health check passed',
    'https://app.example.com:8443/path?user=a@b.c',
    'http://localhost:3000/',
    'password: changeme',
    'password=short1',
    'password: ${DB_PASSWORD}',
    'password: <your-password>',
    'password: ********',
    'token: Production',
    'tokenizer=whitespace-split',
    'authorized_keys: /home/deploy/.ssh/authorized_keys',
    'author=JaneDoe2024',
    'PWD=/srv/app2',
    'OLDPWD=/srv/app1',
    'secret_name: db-password-v2',
    'secrets_dir=/run/secrets2',
    'private_key_path: /etc/ssl/private/key1.pem',
    'public_key: ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIA',
    '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----',
    '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIU\n-----END CERTIFICATE-----',
  ];
  for (const input of negatives) {
    it(`leaves alone: ${input.slice(0, 50)}`, () => {
      expect(redact(input)).toBe(input);
    });
  }
});

describe('classifyKeyName', () => {
  it.each([
    'DB_PASSWORD', 'db_pass', 'dbPwd', 'passwd', 'clientSecret', 'API_KEY', 'apikey', 'x-api-key', 'AWS_ACCESS_KEY',
    'private_key', 'credentials', 'auth', 'OAUTH_TOKEN', 'authorization', 'SECRET_KEY_BASE', 'APP_KEY', 'passphrase',
  ])('%s names a secret', (key) => {
    expect(classifyKeyName(key).secret).toBe(true);
  });
  it.each([
    'PWD', 'OLDPWD', 'author', 'authority', 'password_file', 'secret_name', 'token_type', 'api_key_id', 'public_key',
    'token_hash', 'secret_sha256', 'digest', 'image', 'HOSTNAME', 'auth_user', 'password_hash', 'key', 'cache_key',
  ])('%s does not', (key) => {
    expect(classifyKeyName(key).secret).toBe(false);
  });
});

describe('entropy', () => {
  it('measures bits per character', () => {
    expect(shannonEntropy('')).toBe(0);
    expect(shannonEntropy('aaaa')).toBe(0);
    expect(shannonEntropy('abab')).toBeCloseTo(1);
    expect(shannonEntropy('0123456789abcdef')).toBeCloseTo(4);
  });

  it('tells mixed classes from words', () => {
    expect(mixesClasses('hunter22')).toBe(true);
    expect(mixesClasses('Pa55word')).toBe(true);
    expect(mixesClasses('Ab$cdefg')).toBe(true);
    expect(mixesClasses('Production')).toBe(false);
    expect(mixesClasses('my-service_name.v')).toBe(false);
  });

  it('knows digests', () => {
    expect(looksLikeDigest(`sha256:${'a'.repeat(64)}`)).toBe(true);
    expect(looksLikeDigest('SHA256:nThbg6kXUpJWGl7E1IGOCspRomTxdCARLviKw6E5SY8')).toBe(true);
    expect(looksLikeDigest(`sha256:${'a'.repeat(10)}`)).toBe(false);
    expect(looksLikeDigest('a'.repeat(64))).toBe(false);
  });

  it('decides on values', () => {
    expect(looksLikeSecretValue('kJ8#xQ2!')).toBe(true);
    expect(looksLikeSecretValue('ABCDEFGHIJKLMNOPQRSTUVWXYZ')).toBe(true); // long and random-looking
    expect(looksLikeSecretValue('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855', true)).toBe(false);
    expect(looksLikeSecretValue(`sha256:${'ab'.repeat(32)}`)).toBe(false);
    expect(looksLikeSecretValue('short1')).toBe(false);
    expect(looksLikeSecretValue('production')).toBe(false);
  });
});
