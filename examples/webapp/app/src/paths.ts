// Folders next to dist/ in the image (/app/static, /app/migrations) and in app/ on the host.
import { fileURLToPath } from 'node:url';

export const STATIC_DIR = fileURLToPath(new URL('../static/', import.meta.url));
export const MIGRATIONS_DIR = fileURLToPath(new URL('../migrations/', import.meta.url));
