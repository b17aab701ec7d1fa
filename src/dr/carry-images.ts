// Carrying images to a target that has none (a disaster-recovery host, when no registry
// answers): `docker save` on the source streamed through this machine into `docker load` on the
// destination, both through the target layer; nothing is written to disk on either side but the
// engines' own stores. The image id on arrival must equal the source's.
import { PassThrough } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { Target } from '../targets/target.js';

export const imageIdCommand = (ref: string): string[] => ['docker', 'image', 'inspect', '--format', '{{.Id}}', ref];
export const saveImagesCommand = (refs: readonly string[]): string[] => ['docker', 'save', '--', ...refs];
export const loadImagesCommand = (): string[] => ['docker', 'load', '--quiet'];

export interface CarriedImage {
  ref: string;
  id: string;
  /** Whether it was already there (then nothing was sent). */
  present: boolean;
}

async function imageId(t: Target, ref: string): Promise<string | undefined> {
  const r = await t.exec(imageIdCommand(ref), { reject: false, timeoutMs: 60_000 });
  return r.exitCode === 0 ? r.stdout.trim() : undefined;
}

export async function carryImages(o: { from: Target; to: Target; refs: readonly string[]; timeoutMs?: number; onProgress?: (line: string) => void }): Promise<{ images: CarriedImage[]; bytes: number }> {
  const images: CarriedImage[] = [];
  const missing: { ref: string; id: string }[] = [];
  for (const ref of [...new Set(o.refs)]) {
    const id = await imageId(o.from, ref);
    if (!id) throw new Error(`the image ${ref} is not on ${o.from.description}, so it cannot be carried over`);
    const there = await imageId(o.to, ref);
    if (there === id) images.push({ ref, id, present: true });
    else missing.push({ ref, id });
  }
  let bytes = 0;
  if (missing.length) {
    o.onProgress?.(`carrying ${missing.map((m) => m.ref).join(', ')} to ${o.to.description} (docker save | docker load)`);
    const timeoutMs = o.timeoutMs ?? 3_600_000;
    const save = await o.from.spawn(saveImagesCommand(missing.map((m) => m.ref)), { timeoutMs });
    const load = await o.to.spawn(loadImagesCommand(), { timeoutMs });
    save.stdin.end();
    const counter = new PassThrough({ highWaterMark: 1 << 20 });
    counter.on('data', (c: Buffer) => (bytes += c.length));
    const errs = [save, load].map((p) => {
      let text = '';
      p.stderr.on('data', (d: Buffer) => (text = (text + d.toString('utf8')).slice(-2000)));
      return () => text.trim();
    });
    load.stdout.resume();
    const piping = pipeline(save.stdout, counter, load.stdin).catch((e: unknown) => e);
    const [s, l, p] = await Promise.all([save.done, load.done, piping]);
    if (s.exitCode !== 0) throw new Error(`docker save on ${o.from.description} failed: ${errs[0]?.() || `exit ${s.exitCode}`}`);
    if (l.exitCode !== 0) throw new Error(`docker load on ${o.to.description} failed: ${errs[1]?.() || `exit ${l.exitCode}`}`);
    if (p instanceof Error) throw p;
    for (const m of missing) {
      const arrived = await imageId(o.to, m.ref);
      if (arrived !== m.id) throw new Error(`${m.ref} arrived on ${o.to.description} as ${arrived ?? 'nothing'}, not ${m.id}`);
      images.push({ ref: m.ref, id: m.id, present: false });
    }
  }
  return { images, bytes };
}
