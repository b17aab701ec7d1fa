// When Compose itself refuses (config, build, up), the operator needs Compose's own words and what
// to do about them, not "exited with code 1". This finds Compose's error line in its output (v1 and
// v2 word things differently), redacts it, and pairs it with advice for the known causes.
// Pure apart from the process-wide redactor.
import { ShipproofError } from '../errors.js';
import { redactText } from '../redact/index.js';

export type ComposeStage = 'config' | 'build' | 'up';

export interface ComposeOutput {
  exitCode: number | null;
  stdout: string;
  stderr: string;
  timedOut?: boolean;
}

const MAX_LINE = 300;
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;?]*[A-Za-z]/g;
const ERRORISH = /\b(error|failed|failure|refused|not found|no such|invalid|couldn't|could not|cannot|can't|denied|unable|conflict|already (allocated|in use)|missing|does not exist)\b/i;

/** One line as a person reads it: no colour codes, no logrus framing, no "ERROR:" shouting. */
function clean(line: string): string {
  let s = line.replace(ANSI, '').trim();
  const logrus = /\blevel=(?:error|fatal)\s+msg="((?:[^"\\]|\\.)*)"/.exec(s);
  if (logrus?.[1] !== undefined) s = logrus[1].replace(/\\"/g, '"');
  return s.replace(/^(ERROR|Error):\s*/, '').replace(/^#\d+\s+(\d+(\.\d+)?\s+)?/, '').trim();
}

/**
 * Compose's own error line, redacted and shortened: the last line of stderr (then stdout) that reads
 * like an error, else the last non-empty line; undefined when Compose printed nothing.
 */
export function composeErrorLine(out: Pick<ComposeOutput, 'stdout' | 'stderr'>): string | undefined {
  for (const text of [out.stderr, out.stdout]) {
    const lines = text.split(/\r?\n/).map(clean).filter((l) => l.length > 0);
    const line = [...lines].reverse().find((l) => ERRORISH.test(l)) ?? lines[lines.length - 1];
    if (line !== undefined) {
      const red = redactText(line);
      return red.length > MAX_LINE ? `${red.slice(0, MAX_LINE - 1)}…` : red;
    }
  }
  return undefined;
}

interface Advice {
  test: RegExp;
  advice: (m: RegExpExecArray) => string;
}

// Most specific first. Each says what to change, and where.
const ADVICE: Advice[] = [
  {
    // v2: "env file /x/.env.prod not found: stat …"; v1: "Couldn't find env file: /x/.env.prod"
    test: /env file (\S+) not found|Couldn't find env file:\s*(\S+)/i,
    advice: (m) =>
      `the env file ${basename(m[1] ?? m[2] ?? '')} is not on the server: declare it in shipproof.yaml under envFiles (with \`source:\` to upload it) — \`shipproof check\` finds every undeclared one`,
  },
  {
    // v2: "required variable X is missing a value"; v1: "Missing mandatory value for "environment" option interpolating …"
    test: /required variable (\S+) is missing a value|Missing mandatory value for/i,
    advice: (m) => `set ${m[1] ?? 'the variable'} in an env file shipproof.yaml declares (envFiles, with \`required:\`), or give it a default in the compose file`,
  },
  {
    test: /(port is already allocated|address already in use)/i,
    advice: () => 'another process or container holds that host port: stop it, or publish this service on another port',
  },
  {
    test: /(pull access denied|manifest unknown|repository does not exist|not found: manifest|failed to resolve source metadata|no such host)/i,
    advice: () => 'an image could not be fetched: check its name and tag, log the server in to the registry, or build/load the image on the server first',
  },
  {
    test: /(no space left on device)/i,
    advice: () => 'the server is out of disk space: free some (`docker system df` shows what images and build cache take)',
  },
  {
    test: /(yaml:|mapping values are not allowed|additional propert|Unsupported config option|is invalid|invalid type|must be a)/i,
    advice: () => 'the compose file is not valid for the Compose on the server: fix the line named, and run `shipproof check` locally',
  },
  {
    test: /(Conflict\. The container name|is already in use by container)/i,
    advice: () => 'a container with the same name exists outside this project: remove or rename it (`docker ps -a` shows it)',
  },
];

const STAGE_ADVICE: Record<ComposeStage, string> = {
  config: 'run `docker compose config` (or `docker-compose config`) in the release folder on the server to see the whole message',
  build: 'fix the Dockerfile or build context, then build it yourself in the release folder on the server (`docker compose build`) to see the whole log',
  up: 'look at `docker compose ps` and `docker compose logs` in the release folder on the server',
};

function basename(p: string): string {
  return p.replace(/:$/, '').split('/').pop() ?? p;
}

/** What to do about a Compose refusal: advice for a known cause, else where to look. */
export function composeAdvice(stage: ComposeStage, line: string | undefined): string {
  if (line !== undefined) {
    for (const a of ADVICE) {
      const m = a.test.exec(line);
      if (m) return a.advice(m);
    }
  }
  return STAGE_ADVICE[stage];
}

const WHAT: Record<ComposeStage, string> = {
  config: 'compose could not read the release configuration',
  build: 'compose build failed',
  up: 'compose up failed',
};

/** One sentence for a failed step: what failed, Compose's own line, what to do. */
export function describeComposeFailure(stage: ComposeStage, out: ComposeOutput, what = WHAT[stage]): string {
  if (out.timedOut) return `${what}: it timed out`;
  const line = composeErrorLine(out);
  const said = line === undefined ? ` (exit code ${out.exitCode ?? 'none'}, nothing printed)` : `: ${line}`;
  return `${what}${said} — ${composeAdvice(stage, line)}`;
}

/** Compose refused; the message holds its line (redacted), the hint what to do. */
export class ComposeRefusedError extends ShipproofError {
  override readonly code = 'compose_refused';
}

export function composeRefused(stage: ComposeStage, out: ComposeOutput): ComposeRefusedError {
  const line = composeErrorLine(out);
  const said = out.timedOut ? ' (timed out)' : line === undefined ? ` (exit code ${out.exitCode ?? 'none'}, nothing printed)` : `: ${line}`;
  return new ComposeRefusedError(`${WHAT[stage]}${said}`, { hint: composeAdvice(stage, line) });
}
