// Static files baked into the image, read once at start-up and served from memory: no file system
// access per request, and no request path ever reaches the file system.
import { readdir, readFile } from 'node:fs/promises';
import { extname, join } from 'node:path';

export interface Asset {
  body: Buffer;
  contentType: string;
}

const CONTENT_TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

/** URL path → asset: `/` is index.html, every file is also at `/static/<name>`. */
export async function loadStaticAssets(dir: string): Promise<Map<string, Asset>> {
  const assets = new Map<string, Asset>();
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const asset = {
      body: await readFile(join(dir, entry.name)),
      contentType: CONTENT_TYPES[extname(entry.name)] ?? 'application/octet-stream',
    };
    assets.set(`/static/${entry.name}`, asset);
    if (entry.name === 'index.html') assets.set('/', asset);
  }
  return assets;
}
