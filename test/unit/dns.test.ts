import { describe, expect, it } from 'vitest';
import { dnsVerdict, parseAddresses, serverAddressesCommand } from '../../src/probes/dns.js';

describe('DNS before TLS', () => {
  it('a domain passes when one of its addresses is the server', () => {
    expect(dnsVerdict(['203.0.113.10', '2001:db8::1'], ['10.0.0.5', '203.0.113.10'])).toEqual({ ok: true, matched: ['203.0.113.10'] });
    expect(dnsVerdict(['198.51.100.7'], ['203.0.113.10'])).toEqual({ ok: false, matched: [] });
    expect(dnsVerdict([], ['203.0.113.10']).ok).toBe(false);
  });
  it('reads hostname -I output', () => {
    expect(parseAddresses('10.0.0.5 172.17.0.1 fe80::1 garbage \n')).toEqual(['10.0.0.5', '172.17.0.1', 'fe80::1']);
    expect(serverAddressesCommand()[0]).toBe('sh');
  });
});
