// The engine classes by name.
import type { Engine } from '../../config/schema.js';
import { filesEngine } from './files.js';
import { mariadbEngine } from './mariadb.js';
import { postgresEngine } from './postgres.js';
import { redisEngine } from './redis.js';
import { sqliteEngine } from './sqlite.js';
import type { EngineSpec } from './types.js';
import { minioEngine, mongodbEngine, vaultEngine } from './untested.js';
import { volumeEngine } from './volume.js';

export const ENGINE_SPECS: Record<Engine, EngineSpec> = {
  postgres: postgresEngine,
  mariadb: mariadbEngine,
  redis: redisEngine,
  sqlite: sqliteEngine,
  volume: volumeEngine,
  files: filesEngine,
  mongodb: mongodbEngine,
  vault: vaultEngine,
  minio: minioEngine,
};

export function engineSpec(engine: Engine): EngineSpec {
  return ENGINE_SPECS[engine];
}
