// `shipproof verify init`: a commented shipproof.verify.yaml made from the project — truths for
// the health endpoints, the proxy, the stateful services and the images of the release, each
// backed by checks shipproof can run; human items for what it cannot observe. The file is a start
// to edit, written once (never over an existing file).
import { access } from 'node:fs/promises';
import { refuseUnlessOurs, writeGeneratedFile } from '../evidence/generated-file.js';
import path from 'node:path';
import type { ResolvedConfig } from '../config/load.js';
import { loadCompose } from '../compose/load.js';
import type { ComposeProject } from '../compose/model.js';
import { detectStatefulServices } from '../compose/stateful.js';
import { ConfigError } from '../errors.js';
import { isProxy } from '../lint/classify.js';
import { lintSectionSchema } from '../lint/schema.js';
import { stringify } from 'yaml';
import { SETTINGS_FILE_NAME } from './settings.js';

export interface VerifyInitFacts {
  project: string;
  health: ResolvedConfig['health'];
  domains: readonly string[];
  proxies: string[];
  stateful: { service: string; engine: string }[];
  lockExists: boolean;
}

/** `${VAR:-default}` read as its default: enough to tell a proxy image. */
function imageAsWritten(image: string | undefined): string | undefined {
  return image?.replace(/\$\{[A-Za-z_][A-Za-z0-9_]*:?-([^}]*)\}/g, '$1');
}

export async function verifyInitFacts(config: ResolvedConfig, model?: ComposeProject): Promise<VerifyInitFacts> {
  const compose = model ?? (config.composeFiles.length === 0 ? undefined : await loadCompose(config.composeFiles));
  const lint = lintSectionSchema.parse({});
  const lockExists = await access(path.join(config.rootDir, 'shipproof.lock')).then(() => true, () => false);
  return {
    project: config.project,
    health: config.health,
    domains: config.domains,
    proxies: compose === undefined ? [] : compose.services.filter((s) => isProxy(s, lint, imageAsWritten(s.image))).map((s) => s.name),
    stateful: compose === undefined ? [] : detectStatefulServices(compose, config.stateful).map((s) => ({ service: s.service, engine: s.engine })),
    lockExists,
  };
}

const slug = (s: string) => s.toLowerCase().replace(/[^a-z0-9_.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 60) || 'x';

/** The file's text: pure, so a unit test reads exactly what a user gets. */
export function renderVerifyInit(f: VerifyInitFacts): string {
  const truths: Record<string, unknown>[] = [];
  const probes: Record<string, unknown>[] = [];
  const milestones: Record<string, unknown>[] = [];
  const artifacts: Record<string, unknown>[] = [];
  const human: Record<string, unknown>[] = [];
  const milestone = (id: string, m: number) => {
    if (!milestones.some((x) => x.id === id)) milestones.push({ id, milestone: m });
    return id;
  };

  for (const h of f.health) {
    const id = `health-${slug(h.name)}`;
    probes.push({ id, url: h.url, status: h.status, ...(h.body === undefined ? {} : { body: h.body }), ...(h.bodyRegex === undefined ? {} : { bodyRegex: h.bodyRegex }), ...(h.insecure ? { insecure: true } : {}), on: 'target' });
    truths.push({ id: `answers-${slug(h.name)}`, truth: `GET ${h.url} answers ${h.status}${h.body === undefined ? '' : ' with the expected body'}`, checks: [id, milestone('health-gate', 7)] });
  }
  if (f.proxies.length > 0) {
    const viaProxy = probes.filter((p) => String(p.url).startsWith('https://')).map((p) => p.id as string);
    const checks = [...viaProxy, ...(f.domains.length > 0 ? [milestone('proxy-tls', 8)] : [])];
    if (checks.length > 0) truths.push({ id: 'proxy', truth: `The reverse proxy (${f.proxies.join(', ')}) serves the app over TLS`, checks });
    human.push({
      id: 'public-tls',
      title: 'Public certificate on the real domain',
      test: `open https://${f.domains[0] ?? '<your domain>'}/ in a browser outside the server`,
      expected: 'the app, with a certificate from a public CA and no warning',
      why: 'shipproof checks TLS from the server; how the world sees the certificate (DNS, ACME, the CA) needs a person outside it',
    });
    truths.push({ id: 'public-tls', truth: 'A public certificate is served for the real domain', checks: ['public-tls'] });
  }
  if (f.stateful.length > 0) {
    truths.push({
      id: 'backups',
      truth: `The data of ${f.stateful.map((s) => `${s.service} (${s.engine})`).join(', ')} is backed up and a restore is rehearsed`,
      checks: [milestone('backup-runs', 9), milestone('restore-rehearsal', 10)],
    });
  }
  if (f.lockExists) artifacts.push({ id: 'image-lock', path: 'shipproof.lock', expected: 'the digest of every image the release runs', minLines: 1 });
  truths.push({
    id: 'release',
    truth: 'The release that serves is the one this source makes, with the images built or pinned for it',
    checks: [milestone('bundle-synced', 1), milestone('all-images-build', 5), milestone('stack-starts', 6), ...(f.lockExists ? ['image-lock'] : [])],
  });
  human.push({
    id: 'main-flow',
    title: 'The main user flow works',
    test: 'sign in (or open the start page) and do the one thing the app is for',
    expected: 'it works end to end, with the data you expect',
    why: 'a health endpoint says the process answers, not that the app does its job',
  });
  truths.push({ id: 'main-flow', truth: 'A person can use the app for what it is for', checks: ['main-flow'] });

  const verify = {
    verify: {
      phase: `${slug(f.project)}-v1`,
      goal: `${f.project} serves, behind its proxy, with its data backed up and restorable`,
      truths,
      ...(artifacts.length === 0 ? {} : { artifacts }),
      keyLinks: [],
      spotChecks: [],
      probes,
      milestones,
      human,
    },
  };
  const body = stringify(verify, { lineWidth: 0 });
  return `${HEADER}${body}${FOOTER}`;
}

const HEADER = `# shipproof.verify.yaml — the must-haves \`shipproof verify\` checks (written by \`shipproof verify init\`).
# Edit freely: this is a start made from shipproof.yaml and the compose files.
#
# verify.truths    observable sentences; each is VERIFIED only when every check it names passes.
# verify.probes    HTTP requests (on: target runs curl on the server, on: local here).
# verify.milestones  a milestone has passing evidence for the current release (1-10 or its id).
# verify.artifacts a file exists (minLines:, contains: [regex…]); keyLinks: one file wires another.
# verify.spotChecks a command that must succeed, e.g.
#   - id: users-table
#     behavior: the users table exists
#     on: target            # runs in the live release folder; "local" runs here
#     run: [docker, compose, exec, -T, postgres, psql, -U, app, -tAc, "select to_regclass('users')"]
#     expect: { exitCode: 0, stdout: users }   # output is compared, never recorded
# verify.human     what no command can observe; a person signs it off in shipproof.attestations.yaml:
#   attestations:
#     - item: public-tls
#       status: passed
#       by: ana                 # a key in <evidence folder>/reviewers/ana.pub (or its sha256: fingerprint)
#       justification: opened the site from a phone on mobile data; Let's Encrypt certificate, no warning
#       evidence: docs/evidence-files/public-tls.png   # a file in the project (or an https:// URL)
#       sha256: <sha256 of that file>                  # required for a file: the sign-off names those bytes
#       expires: 2027-03-31
#
# Status: gaps_found when a check fails or a sign-off does not hold; human_needed when only human
# items (or truths no check backs) are open; passed otherwise.
`;

const FOOTER = `
# lint:       production lint policy changes, e.g. switch a rule off with a reason:
#   rules:
#     healthcheck-required: { off: true, services: [worker], reason: "a queue consumer with no port; restarts on failure" }
# handover:   where HANDOVER.md goes, e.g.  path: HANDOVER.md
`;

/** Writes the file next to shipproof.yaml; refuses to replace one. */
export async function writeVerifyInit(config: ResolvedConfig, file = path.join(config.rootDir, SETTINGS_FILE_NAME)): Promise<{ path: string; text: string; facts: VerifyInitFacts }> {
  // The settings file is the person's from the moment it is written: an existing one is never replaced.
  await refuseUnlessOurs(file, { syntax: 'person', shown: file, hint: 'Move it aside (or edit it by hand), then run `shipproof verify init` again.' });
  const facts = await verifyInitFacts(config);
  const text = renderVerifyInit(facts);
  await writeGeneratedFile(file, text, { syntax: 'person', shown: file });
  return { path: file, text, facts };
}
