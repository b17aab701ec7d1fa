// Values that sit where secrets sit but are not secrets: a path to a secret file (Docker secrets,
// `*_PASSWORD=/run/secrets/db-password`) and the names of authentication mechanisms
// (`--default-authentication-plugin=mysql_native_password`). The redactor still masks them, as it
// should err on the safe side; lint and the model use this to avoid false alarms.

/** Names of auth plugins and methods: configuration, not credentials. */
const MECHANISMS = new Set([
  'mysql_native_password',
  'caching_sha2_password',
  'sha256_password',
  'mysql_clear_password',
  'auth_socket',
  'unix_socket',
  'ed25519',
  'scram-sha-256',
  'md5',
  'trust',
  'peer',
  'password',
  'plain',
  'none',
]);

/** An absolute path of two or more parts, like /run/secrets/db-password: where a secret is, not the secret. */
export function isSecretFilePath(value: string): boolean {
  return /^(\/[A-Za-z0-9._-]+){2,}\/?$/.test(value.trim());
}

export function isAuthMechanism(value: string): boolean {
  return MECHANISMS.has(value.trim().toLowerCase());
}

export function isNonSecretValue(value: string): boolean {
  return isSecretFilePath(value) || isAuthMechanism(value);
}
