// Reads what the Redis fingerprint script (engines/redis.ts) prints after loading an RDB file into
// a scratch redis-server: key counts from redis-check-rdb and INFO keyspace, and DEBUG DIGEST.
import { ShipproofError } from '../../errors.js';
import type { RedisFingerprint } from './types.js';

export function parseRedisFingerprint(stdout: string): RedisFingerprint {
  const lines = stdout.split('\n').map((l) => l.trim()).filter(Boolean);
  if (!lines.includes('ok')) {
    throw new ShipproofError('The Redis fingerprint did not finish: the RDB file could not be checked or loaded.');
  }
  let keys: number | undefined;
  let expires = 0;
  let digest: string | null = null;
  const databases: RedisFingerprint['databases'] = [];
  for (const line of lines) {
    const [word, ...rest] = line.split(' ');
    if (word === 'keys') keys = Number(rest[0]);
    else if (word === 'expires') expires = Number(rest[0]);
    else if (word === 'db' && rest.length === 3) databases.push({ db: Number(rest[0]), keys: Number(rest[1]), expires: Number(rest[2]) });
    else if (word === 'digest' && rest[0] !== undefined && /^[0-9a-f]{40}$/.test(rest[0])) digest = rest[0];
  }
  if (keys === undefined || !Number.isFinite(keys)) throw new ShipproofError('The Redis fingerprint has no key count from redis-check-rdb.');
  return { kind: 'redis', keys, expires, databases, digest };
}

/** `db0:keys=3,expires=1,avg_ttl=0` -> { db: 0, keys: 3, expires: 1 }. */
export function parseKeyspaceLine(line: string): { db: number; keys: number; expires: number } | undefined {
  const m = /^db(\d+):keys=(\d+),expires=(\d+)/.exec(line.trim());
  return m ? { db: Number(m[1]), keys: Number(m[2]), expires: Number(m[3]) } : undefined;
}
