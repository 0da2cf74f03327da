import { classifyIp } from './ip-kind';

const kindOf = (ip: string) => classifyIp(ip).kind;

describe('classifyIp', () => {
  it.each([
    ['private', ['10.0.0.1', '10.255.255.255', '172.16.0.1', '172.31.255.254', '192.168.1.10', 'fc00::1', 'fd12:3456:789a::1', '64:ff9b:1::a']],
    ['loopback', ['127.0.0.1', '127.255.255.254', '::1']],
    ['link-local', ['169.254.0.1', '169.254.169.254', 'fe80::1', 'febf::1']],
    ['carrier-grade-nat', ['100.64.0.1', '100.127.255.254']],
    ['documentation', ['192.0.2.1', '198.51.100.23', '203.0.113.50', '2001:db8::1', '2001:0db8:85a3::8a2e:370:7334', '3fff::1']],
    ['multicast', ['224.0.0.1', '239.255.255.250', 'ff02::1', 'ff05::1:3']],
    ['reserved', ['0.0.0.0', '0.1.2.3', '192.0.0.8', '192.88.99.1', '198.18.0.1', '198.19.255.255', '240.0.0.1', '255.255.255.255', '::', '100::1', '2001::1', '2001:2::1', '2002:c000:0204::1', '5f00::1']],
  ] as const)('%s: %j', (kind, ips) => {
    for (const ip of ips) expect({ ip, kind: kindOf(ip) }).toEqual({ ip, kind });
  });

  it('leaves the neighbours of each special block public', () => {
    for (const ip of ['9.255.255.255', '11.0.0.0', '172.15.255.255', '172.32.0.0', '100.63.255.255', '100.128.0.0', '126.255.255.255', '128.0.0.0', '169.253.255.255', '192.0.1.255', '198.17.255.255', '198.20.0.0', '223.255.255.255']) {
      expect({ ip, kind: kindOf(ip) }).toEqual({ ip, kind: 'public' });
    }
    for (const ip of ['2000::', '3fff:1000::', '2001:200::1', '2001:db7:ffff::1', '2001:db9::1', '2003::1', '2a00:1450:4001::1']) {
      expect({ ip, kind: kindOf(ip) }).toEqual({ ip, kind: 'public' });
    }
  });

  it('looks up the globally reachable blocks inside the reserved ones', () => {
    expect(classifyIp('192.0.0.9')).toEqual({ kind: 'public', address: '192.0.0.9', family: 4 });
    expect(classifyIp('2001:4:112::1')).toEqual({ kind: 'public', address: '2001:4:112::1', family: 6 });
    expect(kindOf('2001:20::1')).toBe('public');
  });

  it('calls IPv6 outside the space IANA has assigned reserved, but keeps the NAT64 well-known prefix public', () => {
    expect(kindOf('1::1')).toBe('reserved');
    expect(kindOf('1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff')).toBe('reserved');
    expect(kindOf('4000::1')).toBe('reserved');
    expect(kindOf('fbff:ffff::1')).toBe('reserved');
    expect(kindOf('fec0::1')).toBe('reserved'); // deprecated site-local
    expect(kindOf('::1.2.3.4')).toBe('reserved'); // deprecated IPv4-compatible form
    expect(kindOf('64:ff9b::808:808')).toBe('public');
  });

  it('unwraps IPv4-mapped IPv6 in every spelling and judges the IPv4 address inside', () => {
    for (const ip of ['::ffff:8.8.8.8', '::FFFF:8.8.8.8', '::ffff:808:808', '0:0:0:0:0:ffff:808:808', '0000:0000:0000:0000:0000:ffff:0808:0808']) {
      expect({ ip, c: classifyIp(ip) }).toEqual({ ip, c: { kind: 'public', address: '8.8.8.8', family: 4 } });
    }
    expect(kindOf('::ffff:10.1.2.3')).toBe('private');
    expect(kindOf('::ffff:127.0.0.1')).toBe('loopback');
    expect(kindOf('::ffff:a9fe:a9fe')).toBe('link-local');
    expect(kindOf('0:0:0:0:0:ffff::')).toBe('reserved'); // ::ffff:0.0.0.0
  });

  it('ignores a zone id', () => {
    expect(kindOf('fe80::1%eth0')).toBe('link-local');
    expect(classifyIp('2a00:1450:4001::1%2')).toEqual({ kind: 'public', address: '2a00:1450:4001::1', family: 6 });
  });

  it('says invalid for anything that is not exactly an IP address', () => {
    for (const s of ['', 'localhost', 'not-an-ip', '1.2.3', '1.2.3.4.5', '256.1.1.1', '01.2.3.4', ' 8.8.8.8', '8.8.8.8 ', '8.8.8.8/32', '2001:db8::g', '1:2:3:4:5:6:7:8:9', ':::1', '[::1]', '8.8.8.8:443']) {
      expect({ s, kind: kindOf(s) }).toEqual({ s, kind: 'invalid' });
    }
  });
});
