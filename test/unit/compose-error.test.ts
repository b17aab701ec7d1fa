import { describe, expect, it } from 'vitest';
import { composeAdvice, composeErrorLine, composeRefused, describeComposeFailure } from '../../src/docker/compose-error.js';
import { redactor } from '../../src/redact/index.js';

const out = (stderr: string, stdout = '') => ({ exitCode: 1, stdout, stderr });

describe('Compose error lines', () => {
  it('finds Compose v1 and v2 wording of a missing env file, and says to declare it', () => {
    const v1 = out("Couldn't find env file: /srv/app/releases/abc/.env.prod\n");
    const v2 = out('env file /srv/app/releases/abc/.env.prod not found: stat /srv/app/releases/abc/.env.prod: no such file or directory\n');
    expect(composeErrorLine(v1)).toBe("Couldn't find env file: /srv/app/releases/abc/.env.prod");
    expect(composeErrorLine(v2)).toBe('env file /srv/app/releases/abc/.env.prod not found: stat /srv/app/releases/abc/.env.prod: no such file or directory');
    for (const o of [v1, v2]) {
      expect(composeAdvice('config', composeErrorLine(o))).toBe(
        'the env file .env.prod is not on the server: declare it in shipproof.yaml under envFiles (with `source:` to upload it) — `shipproof check` finds every undeclared one',
      );
    }
  });

  it('takes the last error-looking line, not warnings or progress, and strips colour and logrus framing', () => {
    const o = out(
      [
        'WARNING: The FOO variable is not set. Defaulting to a blank string.',
        'Creating network "x_default" with the default driver',
        '\u001b[31mERROR:\u001b[0m for web  Cannot start service web: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated',
        'Creating x_db_1 ... done',
      ].join('\n'),
    );
    expect(composeErrorLine(o)).toBe('for web  Cannot start service web: driver failed programming external connectivity: Bind for 0.0.0.0:8080 failed: port is already allocated');
    expect(composeAdvice('up', composeErrorLine(o))).toMatch(/^another process or container holds that host port/);
    expect(composeErrorLine(out('time="2026-01-01T00:00:00Z" level=error msg="yaml: line 3: mapping values are not allowed in this context"'))).toBe(
      'yaml: line 3: mapping values are not allowed in this context',
    );
  });

  it('falls back to the last line, then to stdout, then to nothing', () => {
    expect(composeErrorLine(out('something odd\nreally odd\n'))).toBe('really odd');
    expect(composeErrorLine(out('', 'failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1\n'))).toBe(
      'failed to solve: process "/bin/sh -c npm ci" did not complete successfully: exit code: 1',
    );
    expect(composeErrorLine(out(''))).toBeUndefined();
    expect(describeComposeFailure('build', out(''))).toBe(
      'compose build failed (exit code 1, nothing printed) — fix the Dockerfile or build context, then build it yourself in the release folder on the server (`docker compose build`) to see the whole log',
    );
  });

  it('redacts the line: a known secret and a URL password never come through', () => {
    const secret = 'Sup3r-s3cret-value-for-compose';
    redactor.addSecret(secret, 'test');
    const line = composeErrorLine(out(`invalid interpolation format for DATABASE_URL: "postgres://app:${secret}@db/app"`)) ?? '';
    expect(line).not.toContain(secret);
    expect(line).toMatch(/^invalid interpolation format for DATABASE_URL/);
  });

  it('shortens a very long line', () => {
    const line = composeErrorLine(out(`error: ${'x'.repeat(1000)}`)) ?? '';
    expect(line.length).toBe(300);
    expect(line.endsWith('…')).toBe(true);
  });

  it('a refusal carries the line in the message and the advice in the hint', () => {
    const e = composeRefused('config', out('Missing mandatory value for "environment" option interpolating {\'X\': \'${NEEDED:?must be set}\'} in service "web": must be set'));
    expect(e.message).toBe('compose could not read the release configuration: Missing mandatory value for "environment" option interpolating {\'X\': \'${NEEDED:?must be set}\'} in service "web": must be set');
    expect(e.hint).toMatch(/^set the variable in an env file shipproof.yaml declares/);
    expect(e.exitCode).toBe(1);
    expect(composeRefused('config', { exitCode: null, stdout: '', stderr: '', timedOut: true }).message).toBe('compose could not read the release configuration (timed out)');
    expect(composeAdvice('config', 'services.web.ports contains an invalid type, it should be a number, or an object')).toMatch(/the compose file is not valid/);
  });
});
