import { describe, expect, it } from 'vitest';
import {
  describeEnvValue,
  findInterpolations,
  parsePortSpec,
  parseVolumeSpec,
  substituteDefaults,
} from '../../src/compose/model.js';

describe('parsePortSpec', () => {
  it.each([
    ['3000', { target: 3000, protocol: 'tcp', interpolated: false }],
    ['8080:80', { target: 80, published: 8080, protocol: 'tcp', interpolated: false }],
    ['443:443/udp', { target: 443, published: 443, protocol: 'udp', interpolated: false }],
    ['127.0.0.1:8001:8001', { target: 8001, published: 8001, protocol: 'tcp', hostIp: '127.0.0.1', interpolated: false }],
    ['127.0.0.1::5432', { target: 5432, protocol: 'tcp', hostIp: '127.0.0.1', interpolated: false }],
    ['[::1]:6000:6000', { target: 6000, published: 6000, protocol: 'tcp', hostIp: '::1', interpolated: false }],
    ['::1:6000:6000', { target: 6000, published: 6000, protocol: 'tcp', hostIp: '::1', interpolated: false }],
    [
      '9090-9091:8080-8081',
      { target: 8080, targetEnd: 8081, published: 9090, publishedEnd: 9091, protocol: 'tcp', interpolated: false },
    ],
    ['${WEB_PORT:-8080}:80', { target: 80, published: 8080, protocol: 'tcp', interpolated: true }],
    ['${WEB_PORT}:80', { target: 80, protocol: 'tcp', interpolated: true }],
  ])('reads %s', (text, expected) => {
    expect(parsePortSpec(text)).toEqual(expected);
  });

  it.each([
    ['80:http', '"http" is not a port or range'],
    ['70000:80', '"70000" is not a port or range'],
    ['80:80/icmp', 'the protocol "icmp" is not tcp, udp or sctp'],
    ['8080:${PORT}', 'the container port comes from a variable without a default'],
  ])('rejects %s', (text, problem) => {
    expect(parsePortSpec(text)).toBe(problem);
  });
});

describe('parseVolumeSpec', () => {
  it.each([
    ['pgdata:/var/lib/postgresql/data', { type: 'named', source: 'pgdata', target: '/var/lib/postgresql/data', readOnly: false }],
    ['./deploy/Caddyfile:/etc/caddy/Caddyfile:ro', { type: 'bind', source: './deploy/Caddyfile', target: '/etc/caddy/Caddyfile', readOnly: true }],
    ['/srv/data:/data:rw,z', { type: 'bind', source: '/srv/data', target: '/data', readOnly: false }],
    ['~/x:/x:ro,Z', { type: 'bind', source: '~/x', target: '/x', readOnly: true }],
    ['${DATA_DIR:-./data}:/data', { type: 'bind', source: '${DATA_DIR:-./data}', target: '/data', readOnly: false }],
    ['/cache', { type: 'anonymous', target: '/cache', readOnly: false }],
  ])('reads %s', (text, expected) => {
    expect(parseVolumeSpec(text)).toEqual(expected);
  });

  it.each([
    ['a:b:c:d', 'it has too many ":"-separated parts'],
    ['data:relative', 'the container path "relative" is not absolute'],
    [':/data', 'one of its parts is empty'],
  ])('rejects %s', (text, problem) => {
    expect(parseVolumeSpec(text)).toBe(problem);
  });
});

describe('findInterpolations', () => {
  it('finds braced, bare, defaulted and required references with their offsets', () => {
    const refs = findInterpolations('${IMAGE}:${TAG:-latest} $HOME ${A:?need A} ${B-x} ${C:+y}');
    expect(refs.map((r) => [r.name, r.operator, r.index])).toEqual([
      ['IMAGE', '', 0],
      ['TAG', ':-', 9],
      ['HOME', '', 24],
      ['A', ':?', 30],
      ['B', '-', 43],
      ['C', ':+', 50],
    ]);
  });

  it('finds references nested in defaults, and skips $$ escapes', () => {
    const refs = findInterpolations('$$NOT ${URL:-http://${HOST:-localhost}:${PORT}} $${ALSO_NOT}');
    expect(refs.map((r) => [r.name, r.operator])).toEqual([
      ['URL', ':-'],
      ['HOST', ':-'],
      ['PORT', ''],
    ]);
  });

  it('ignores what compose would not interpolate', () => {
    expect(findInterpolations('price: 5$ ${} ${1A} ${A B} ${UNCLOSED')).toEqual([]);
  });
});

describe('substituteDefaults', () => {
  it('uses defaults and says when a reference has none', () => {
    expect(substituteDefaults('${PORT:-8080}')).toEqual({ text: '8080', unresolved: false });
    expect(substituteDefaults('${A:-${B:-x}}y$$')).toEqual({ text: 'xy$', unresolved: false });
    expect(substituteDefaults('${A}:80')).toEqual({ text: ':80', unresolved: true });
  });
});

describe('environment classification', () => {
  it('flags literal secrets, not interpolated ones', () => {
    expect(describeEnvValue('POSTGRES_PASSWORD', 'hunter2')).toEqual({ hasValue: true, hasLiteralValue: true, looksLikeSecret: true });
    expect(describeEnvValue('POSTGRES_PASSWORD', '${POSTGRES_PASSWORD}')).toEqual({
      hasValue: true,
      hasLiteralValue: false,
      looksLikeSecret: false,
    });
    expect(describeEnvValue('POSTGRES_PASSWORD', undefined)).toEqual({ hasValue: false, hasLiteralValue: false, looksLikeSecret: false });
    expect(describeEnvValue('LOG_LEVEL', 'debug')).toEqual({ hasValue: true, hasLiteralValue: true, looksLikeSecret: false });
    // A name that points at a secret is not one.
    expect(describeEnvValue('POSTGRES_PASSWORD_FILE', '/run/secrets/pg').looksLikeSecret).toBe(false);
    // A token is recognised by its shape whatever the name.
    expect(describeEnvValue('UPSTREAM', 'ghp_0123456789abcdefghijABCDEFGHIJ012345').looksLikeSecret).toBe(true);
  });

  it('flags credentials written into a URL, unless the password is interpolated', () => {
    expect(describeEnvValue('DATABASE_URL', 'postgres://app:s3cret@db:5432/app').looksLikeSecret).toBe(true);
    expect(describeEnvValue('DATABASE_URL', 'postgres://app:${POSTGRES_PASSWORD}@db:5432/app').looksLikeSecret).toBe(false);
    expect(describeEnvValue('DATABASE_URL', 'postgres://db:5432/app').looksLikeSecret).toBe(false);
  });
});
