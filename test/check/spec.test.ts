import { describe, expect, it } from 'vitest';
import { loadConfigText } from '../../src/config/index.js';
import { buildCheckers } from '../../src/check/spec.js';

const conf = `
global_defs { script_user nobody }
SSL { certificate /etc/ssl/c.pem
  key /etc/ssl/k.pem }
track_file tf { file /run/tf.state
  weight 3 reverse }
virtual_server 192.0.2.10 80 {
  protocol TCP
  delay_loop 10
  connect_timeout 2
  virtualhost vs.example.test
  real_server 198.51.100.1 {
    weight 5
    retry 4
    TCP_CHECK { connect_port 8080
      bindto 198.51.100.100 }
    HTTP_GET { url { path /a
        status_code 200 300-399
        digest 0123456789ABCDEF0123456789abcdef
        regex "ok|fine"
        regex_options caseless
        regex_max_offset 100 }
      nb_get_retry 2
      delay_loop 3 }
    MISC_CHECK { misc_path "/usr/local/bin/check --mode 'a b'"
      misc_dynamic }
    DNS_CHECK { connect_port 53
      type aaaa
      name www.example.test }
    FILE_CHECK { track_file tf }
    UDP_CHECK { payload 01 02 ff
      require_reply ab x1
      alpha }
  }
}
virtual_server 2001:db8::10 443 {
  real_server 2001:db8::1 443 {
    SSL_GET { url { path / }
      enable_sni }
    SMTP_CHECK { connect_port 25
      host { connect_ip 2001:db8::2
        connect_port 2525 } }
  }
}
`;

describe('buildCheckers: keywords and keepalived default chains', () => {
  const { servers, problems } = buildCheckers(loadConfigText(conf, 'spec.conf').model);
  const [rs1, rs2] = servers;
  const by = (t: string) => rs1.checkers.find((c) => c.spec.type === t)!;

  it('keys the real servers as vsKey|addr:port (port from the virtual server when unset)', () => {
    expect(rs1.rsKey).toBe('[192.0.2.10]:tcp:80|198.51.100.1:80');
    expect(rs2.rsKey).toBe('[2001:db8::10]:udp:443|[2001:db8::1]:443');
    expect(rs1.weight).toBe(5);
    expect(rs2.weight).toBe(1);
  });

  it('TCP_CHECK: connect_port, bindto, timeouts and retries inherited from the servers', () => {
    const c = by('TCP_CHECK');
    expect(c.spec).toMatchObject({ target: { ip: '198.51.100.1', port: 8080, bindto: '198.51.100.100', timeoutMs: 2000 } });
    expect(c.timing).toMatchObject({ delayLoopMs: 10_000, warmupMs: 10_000, retry: 4, delayBeforeRetryMs: 1000, alpha: false });
  });

  it('HTTP_GET: url fields, own delay_loop, nb_get_retry, delay_before_retry default 3 s, vhost from the virtual server', () => {
    const c = by('HTTP_GET');
    expect(c.timing).toMatchObject({ delayLoopMs: 3000, retry: 2, delayBeforeRetryMs: 3000 });
    expect(c.spec).toMatchObject({
      virtualhost: 'vs.example.test',
      protocol: '1.0',
      urls: [{ path: '/a', digest: '0123456789abcdef0123456789abcdef', status: [{ min: 200, max: 200 }, { min: 300, max: 399 }], regex: { source: 'ok|fine', flags: 'i', maxOffset: 100, noMatch: false } }],
    });
  });

  it('MISC_CHECK: misc_path split without a shell, timeout = delay_loop, retry 0 by default, script_user', () => {
    const c = by('MISC_CHECK');
    expect(c.spec).toMatchObject({ argv: ['/usr/local/bin/check', '--mode', 'a b'], dynamic: true, timeoutMs: 10_000, user: 'nobody' });
    expect(c.timing.retry).toBe(4); // the real server's retry wins over MISC's default 0
  });

  it('DNS_CHECK type case-insensitive; FILE_CHECK takes the track_file weight; UDP hex with wildcards and alpha', () => {
    expect(by('DNS_CHECK').spec).toMatchObject({ qtype: 'AAAA', name: 'www.example.test', target: { port: 53 } });
    expect(by('FILE_CHECK').spec).toMatchObject({ path: '/run/tf.state', weight: 3, reverse: true, baseWeight: 5 });
    const u = by('UDP_CHECK');
    expect(u.timing.alpha).toBe(true);
    expect(u.spec).toMatchObject({ payload: Buffer.from([1, 2, 255]), requireReply: true, replyData: Buffer.from([0xab, 0x01]), replyMask: Buffer.from([0, 0xf0]) });
  });

  it('SSL_GET with SNI and the SSL block; SMTP_CHECK with its host block; DNS retry default 3', () => {
    const ssl = rs2.checkers.find((c) => c.spec.type === 'SSL_GET')!;
    expect(ssl.spec).toMatchObject({ sni: true, tls: { certificate: '/etc/ssl/c.pem', key: '/etc/ssl/k.pem' }, target: { ip: '2001:db8::1', port: 443, timeoutMs: 5000 } });
    expect(ssl.timing.delayLoopMs).toBe(60_000);
    const smtp = rs2.checkers.find((c) => c.spec.type === 'SMTP_CHECK')!;
    expect(smtp.spec).toMatchObject({ helo: 'smtpchecker.keepalived.org', targets: [{ ip: '2001:db8::1', port: 25 }, { ip: '2001:db8::2', port: 2525 }] });
    expect(by('DNS_CHECK').timing.retry).toBe(4);
    expect(problems).toEqual([]);
  });

  it('problems name the file and line instead of throwing', () => {
    const bad = buildCheckers(
      loadConfigText('virtual_server fwmark 1 {\n real_server 198.51.100.1 {\n  TCP_CHECK {\n  }\n  BFD_CHECK {\n   name b\n  }\n }\n}\n', 'bad.conf').model,
    );
    expect(bad.servers[0].checkers).toEqual([]);
    expect(bad.problems.map((p) => p.where)).toEqual(['bad.conf:3', 'bad.conf:5']);
    expect(bad.problems[0].message).toMatch(/no port/);
  });
});
