// `node dist/probe.js <url> [timeoutMs]`: exits 0 when the URL answers 2xx, 1 otherwise. The
// compose healthcheck uses it, so the image needs no curl or wget.
import { get as httpGet } from 'node:http';
import { get as httpsGet } from 'node:https';

const url = process.argv[2];
const timeoutMs = Number(process.argv[3] ?? 3000);

function fail(message: string): never {
  process.stderr.write(`probe: ${message}\n`);
  process.exit(1);
}

if (url === undefined || !/^https?:\/\//.test(url)) fail('usage: node dist/probe.js <http(s)://url> [timeoutMs]');

const get = url.startsWith('https:') ? httpsGet : httpGet;
const req = get(url, { timeout: timeoutMs }, (res) => {
  res.resume();
  const status = res.statusCode ?? 0;
  if (status >= 200 && status < 300) process.exit(0);
  fail(`HTTP ${status}`);
});
req.on('timeout', () => {
  req.destroy();
  fail(`no answer within ${timeoutMs} ms`);
});
req.on('error', (err) => fail(err.message));
