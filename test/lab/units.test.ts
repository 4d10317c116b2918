// The lab's pure parts: its plan (names, addresses, the templates stretched to 3 nodes and rendered
// into configs our validator passes as one cluster), when a cluster counts as settled, the status
// text, and the state file (exclusive creation, bad files named).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { InstanceStatus, StatusResult, VrrpStateName } from '../../src/control/protocol.js';
import { validateFiles } from '../../src/config/validate.js';
import { addrValue, clusterView, expectedMaster, instancesFrom, moves, type NodeObs, placeText } from '../../src/lab/cluster.js';
import { daemonArgv, dirFlag, LAB_TEMPLATES, labPrefix, planLab, renderLabConfigs, stretchTemplate, labAnswers, DEFAULT_LAB_DIR } from '../../src/lab/plan.js';
import { nextCommands, renderLabStatus, statusRows } from '../../src/lab/render.js';
import { createState, type LabState, readState, saveState } from '../../src/lab/state.js';
import { loadTemplate, type LoadedTemplate } from '../../src/wizard/template.js';

const tmp = mkdtempSync(join(tmpdir(), 'kalab-unit-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function tpl(name: string): LoadedTemplate {
  const r = loadTemplate(name);
  if (!r.ok) throw new Error(r.error);
  return r.template;
}

function lab(count = 2, dir = join(tmp, 'lab')): LabState {
  return planLab({ dir, prefix: labPrefix('a1b2c3'), template: 'active-backup', count, upPid: 4242, now: new Date('2026-01-01T00:00:00Z'), keepalived: '/pkg/bin/keepalived', node: '/usr/bin/node' });
}

function inst(name: string, state: VrrpStateName, prio: number, o: Partial<InstanceStatus> = {}): InstanceStatus {
  return {
    name, state, vrid: 51, version: 2, family: 4, interface: 'eth0',
    priority: { configured: prio, effective: prio, override: null },
    masterAddr: null, vips: ['192.0.2.100'], tracks: [],
    counters: { advertsSent: 0, advertsReceived: 0, becameMaster: 0, releasedMaster: 0, priorityZeroSent: 0, priorityZeroReceived: 0, drops: {} },
    ...o,
  };
}

function status(...instances: InstanceStatus[]): StatusResult {
  return { protocolVersion: 1, daemon: { pid: 1, version: 't', configFile: 'f', configId: 'i', startedAt: '2026-01-01T00:00:00Z' }, instances, syncGroups: [] };
}

function node(name: string, st: StatusResult | null, addrs: string[] = [], o: Partial<NodeObs> = {}): NodeObs {
  return { name, running: st !== null, linkUp: true, status: st, addrs, ...o };
}

const VI_1 = [{ name: 'VI_1', vips: ['192.0.2.100'] }];

describe('lab plan', () => {
  it('derives namespace, leg and file names from one prefix, and TEST-NET addresses per node', () => {
    const s = lab(3);
    expect(labPrefix('A1B2C3ff')).toBe('lab-a1b2c3');
    expect(labPrefix('zz')).toBe('lab-000000');
    expect(s.bridgeNs).toBe('lab-a1b2c3-br');
    expect(s.nodes.map((n) => [n.name, n.ns, n.leg, n.addr4, n.addr6])).toEqual([
      ['n1', 'lab-a1b2c3-n1', 'leg-n1', '192.0.2.1/24', '2001:db8::1/64'],
      ['n2', 'lab-a1b2c3-n2', 'leg-n2', '192.0.2.2/24', '2001:db8::2/64'],
      ['n3', 'lab-a1b2c3-n3', 'leg-n3', '192.0.2.3/24', '2001:db8::3/64'],
    ]);
    expect(s.nodes[0].sock).toBe(join(tmp, 'lab', 'n1.sock'));
    expect(s.phase).toBe('starting');
    expect(daemonArgv(s, s.nodes[1])).toEqual([
      'netns', 'exec', 'lab-a1b2c3-n2', '/usr/bin/node', '/pkg/bin/keepalived', '-n', '-l', '-D',
      '-f', s.nodes[1].conf, '--socket', s.nodes[1].sock, '--state-dir', s.nodes[1].stateDir,
      '-p', s.nodes[1].pidFile, '-r', s.nodes[1].vrrpPidFile, '-c', s.nodes[1].checkersPidFile,
    ]);
    expect(dirFlag(DEFAULT_LAB_DIR)).toBe('');
    expect(dirFlag('/tmp/x')).toBe(' --dir /tmp/x');
  });

  it('stretches a two-node template to three: the extra node is a BACKUP 10 below the backup priority', () => {
    const t = stretchTemplate(tpl('active-backup'), 3, labAnswers('active-backup'));
    expect(t.nodes.map((n) => [n.name, n.file, n.vars?.state, n.vars?.prio])).toEqual([
      ['n1', 'n1.conf', 'MASTER', '{{priority}}'],
      ['n2', 'n2.conf', 'BACKUP', '{{backup_priority}}'],
      ['n3', 'n3.conf', 'BACKUP', '90'],
    ]);
    const aa = stretchTemplate(tpl('active-active'), 3, labAnswers('active-active'));
    expect(aa.nodes[2].vars).toEqual({ state1: 'BACKUP', prio1: '90', state2: 'MASTER', prio2: '{{priority}}' });
  });

  for (const name of LAB_TEMPLATES) {
    for (const count of [2, 3]) {
      it(`renders ${name} for ${count} nodes into configs that validate as one cluster`, () => {
        const r = renderLabConfigs(tpl(name), name, count);
        if (!r.ok) throw new Error(r.error);
        expect(r.configs.map((c) => c.node)).toEqual(['n1', 'n2', 'n3'].slice(0, count));
        const files = r.configs.map((c) => {
          const f = join(tmp, `${name}-${count}-${c.node}.conf`);
          writeFileSync(f, c.text);
          return f;
        });
        const v = validateFiles(files, { configId: 'lab' });
        expect(v.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
        expect(v.valid).toBe(true);
        for (const c of r.configs) expect(c.text).toContain('interface eth0');
        expect(r.configs[0].text).toMatch(/state MASTER/);
        // Priorities strictly decrease down the nodes for the first instance.
        const prios = r.configs.map((c) => Number(/priority (\d+)/.exec(c.text)?.[1]));
        expect([...prios].sort((a, b) => b - a)).toEqual(prios);
        expect(new Set(prios).size).toBe(count);
      });
    }
  }
});

describe('cluster view', () => {
  const s = lab(3);
  it('is settled with one MASTER holding the VIP, and names where it is', () => {
    const obs = [node('n1', status(inst('VI_1', 'MASTER', 150)), ['192.0.2.1', '192.0.2.100']), node('n2', status(inst('VI_1', 'BACKUP', 100)), ['192.0.2.2'])];
    const v = clusterView(VI_1, s.nodes, obs);
    expect(v.settled).toBe(true);
    expect(v.masters).toEqual({ VI_1: ['n1'] });
    expect(v.places).toEqual([{ vip: '192.0.2.100', instance: 'VI_1', holders: ['n1'], stale: [], expected: 'n1' }]);
    expect(placeText(v.places[0])).toBe('192.0.2.100 (VI_1) on n1');
  });

  it('is not settled with the VIP on two nodes, on the wrong node, on nobody, or with two masters', () => {
    const two = [node('n1', status(inst('VI_1', 'MASTER', 150)), ['192.0.2.100']), node('n2', status(inst('VI_1', 'BACKUP', 100)), ['192.0.2.100'])];
    expect(clusterView(VI_1, s.nodes, two).settled).toBe(false);
    expect(placeText(clusterView(VI_1, s.nodes, two).places[0])).toBe('192.0.2.100 (VI_1) on n1 and n2 (should be on n1 only)');
    const wrong = [node('n1', status(inst('VI_1', 'BACKUP', 150)), []), node('n2', status(inst('VI_1', 'MASTER', 100)), ['192.0.2.100'])];
    expect(clusterView(VI_1, s.nodes, wrong).settled).toBe(false);
    const nobody = [node('n1', status(inst('VI_1', 'MASTER', 150)), []), node('n2', status(inst('VI_1', 'BACKUP', 100)), [])];
    expect(clusterView(VI_1, s.nodes, nobody).settled).toBe(false);
    const masters = [node('n1', status(inst('VI_1', 'MASTER', 150)), ['192.0.2.100']), node('n2', status(inst('VI_1', 'MASTER', 100)), [])];
    expect(clusterView(VI_1, s.nodes, masters).settled).toBe(false);
  });

  it('waits for daemons that do not answer yet or are still in INIT, and for unreadable addresses', () => {
    const ok = node('n1', status(inst('VI_1', 'MASTER', 150)), ['192.0.2.100']);
    expect(clusterView(VI_1, s.nodes, [ok, node('n2', null, [], { running: true })]).settled).toBe(false);
    expect(clusterView(VI_1, s.nodes, [ok, node('n2', status(inst('VI_1', 'INIT', 100)), [])]).settled).toBe(false);
    expect(clusterView(VI_1, s.nodes, [ok, node('n2', status(inst('VI_1', 'BACKUP', 100)), null)]).settled).toBe(false);
    expect(clusterView([], s.nodes, [ok]).settled).toBe(false);
  });

  it('leaves failed nodes out of the election; a link-failed node must have released, a killed one cannot', () => {
    const n2m = node('n2', status(inst('VI_1', 'MASTER', 100)), ['192.0.2.100']);
    const n3b = node('n3', status(inst('VI_1', 'BACKUP', 90)), []);
    const linkDown = node('n1', status(inst('VI_1', 'FAULT', 150)), [], { failed: 'link', linkUp: false });
    expect(clusterView(VI_1, s.nodes, [linkDown, n2m, n3b]).settled).toBe(true);
    const stillMaster = node('n1', status(inst('VI_1', 'MASTER', 150)), ['192.0.2.100'], { failed: 'link', linkUp: false });
    expect(clusterView(VI_1, s.nodes, [stillMaster, n2m, n3b]).settled).toBe(false);
    const killed = node('n1', null, ['192.0.2.100'], { failed: 'kill', running: false });
    const v = clusterView(VI_1, s.nodes, [killed, n2m, n3b]);
    expect(v.settled).toBe(true);
    expect(v.places[0]).toMatchObject({ holders: ['n1', 'n2'], stale: ['n1'], expected: 'n2' });
    expect(placeText(v.places[0])).toMatch(/^192\.0\.2\.100 \(VI_1\) on n2; still on n1 whose daemon was killed/);
    const stoppedHolding = node('n1', null, ['192.0.2.100'], { failed: 'stop', running: false });
    expect(clusterView(VI_1, s.nodes, [stoppedHolding, n2m, n3b]).settled).toBe(false);
    // Nobody left: settled when nobody holds it.
    const allDown = [node('n1', null, [], { failed: 'stop', running: false }), node('n2', null, [], { failed: 'kill', running: false })];
    expect(clusterView(VI_1, s.nodes, allDown)).toMatchObject({ settled: true, places: [{ holders: [], expected: null }] });
  });

  it('elects by effective priority (operator overrides count), FAULT nodes out, ties to the higher address', () => {
    const promoted = [
      node('n1', status(inst('VI_1', 'BACKUP', 150))),
      node('n2', status(inst('VI_1', 'BACKUP', 100, { priority: { configured: 100, effective: 254, override: 254 } }))),
    ];
    expect(expectedMaster('VI_1', s.nodes, promoted)).toBe('n2');
    const fault = [node('n1', status(inst('VI_1', 'FAULT', 150))), node('n2', status(inst('VI_1', 'BACKUP', 100)))];
    expect(expectedMaster('VI_1', s.nodes, fault)).toBe('n2');
    const tie = [node('n1', status(inst('VI_1', 'BACKUP', 100))), node('n3', status(inst('VI_1', 'BACKUP', 100))), node('n2', status(inst('VI_1', 'BACKUP', 100)))];
    expect(expectedMaster('VI_1', s.nodes, tie)).toBe('n3');
    const tie6 = tie.map((o) => ({ ...o, status: status(inst('VI_1', 'BACKUP', 100, { family: 6 })) }));
    expect(expectedMaster('VI_1', s.nodes, tie6)).toBe('n3');
    expect(expectedMaster('VI_9', s.nodes, tie)).toBeNull();
    expect(addrValue('192.0.2.3/24') > addrValue('192.0.2.2')).toBe(true);
    expect(addrValue('2001:db8::3/64') > addrValue('2001:db8::2')).toBe(true);
    expect(addrValue('2001:db8:0:0:0:0:0:1')).toBe(addrValue('2001:db8::1'));
    expect(addrValue('bogus')).toBe(0n);
  });

  it('learns instances and VIPs from the daemons and describes moves', () => {
    const obs = [
      node('n1', status(inst('VI_2', 'BACKUP', 100, { vips: ['192.0.2.101'] }), inst('VI_1', 'MASTER', 150))),
      node('n2', status(inst('VI_1', 'BACKUP', 100), inst('VI_2', 'MASTER', 150, { vips: ['192.0.2.101'] }))),
    ];
    expect(instancesFrom(obs)).toEqual([{ name: 'VI_1', vips: ['192.0.2.100'] }, { name: 'VI_2', vips: ['192.0.2.101'] }]);
    const p = (holders: string[], stale: string[] = []) => ({ vip: '192.0.2.100', instance: 'VI_1', holders, stale, expected: 'n2' });
    expect(moves([p(['n1'])], [p(['n2'])])).toEqual(['192.0.2.100 (VI_1): n1 -> n2']);
    expect(moves([p(['n2'])], [p(['n2'])])).toEqual(['192.0.2.100 (VI_1): stayed on n2']);
    expect(moves([p(['n1'])], [p(['n1', 'n2'], ['n1'])])).toEqual(['192.0.2.100 (VI_1): n1 -> n2 (still on killed n1)']);
    expect(moves([], [p([])])).toEqual(['192.0.2.100 (VI_1): stayed on nobody']);
  });
});

describe('lab status text', () => {
  it('prints one row per node and instance with state, priority and the VIPs each node holds', () => {
    const s = lab(2);
    s.instances = VI_1;
    s.nodes[0].pid = 100;
    s.nodes[1].pid = 200;
    s.nodes[1].failed = { how: 'link', at: '2026-01-01T00:00:00Z' };
    const obs = [
      node('n1', status(inst('VI_1', 'MASTER', 150, { priority: { configured: 150, effective: 254, override: 254 } })), ['192.0.2.1', '192.0.2.100']),
      node('n2', status(inst('VI_1', 'FAULT', 100)), ['192.0.2.2'], { failed: 'link', linkUp: false }),
    ];
    const view = clusterView(s.instances, s.nodes, obs);
    expect(statusRows(s, view, obs)).toEqual([
      ['n1', '192.0.2.1', 'pid 100', 'VI_1', 'MASTER', '254/150', '192.0.2.100'],
      ['n2', '192.0.2.2', 'pid 200, link down', 'VI_1', 'FAULT', '100', '-'],
    ]);
    const text = renderLabStatus(s, view, obs, { tty: false });
    expect(text.split('\n')).toEqual([
      `lab lab-a1b2c3: template active-backup, 2 nodes, state in ${s.dir}`,
      'NODE  ADDRESS    DAEMON              INSTANCE  STATE   PRIORITY  VIP OWNER',
      'n1    192.0.2.1  pid 100             VI_1      MASTER  254/150   192.0.2.100',
      'n2    192.0.2.2  pid 200, link down  VI_1      FAULT   100       -',
      'VIP 192.0.2.100 (VI_1) on n1',
      '',
    ]);
    expect(renderLabStatus(s, view, obs, { tty: true })).toContain('┌');
    const killed = [obs[0], node('n2', null, ['192.0.2.100'], { failed: 'kill', running: false })];
    s.nodes[1].failed = { how: 'kill', at: '2026-01-01T00:00:00Z' };
    expect(statusRows(s, clusterView(s.instances, s.nodes, killed), killed)[1]).toEqual(['n2', '192.0.2.2', 'killed', 'VI_1', '-', '-', '192.0.2.100 (left over)']);
  });

  it('suggests commands that name this lab (its directory, sockets, namespaces)', () => {
    const s = lab(2, '/tmp/mylab');
    s.instances = VI_1;
    const next = nextCommands(s);
    expect(next.some((c) => c.startsWith('keepalivedctl lab fail n1 --dir /tmp/mylab'))).toBe(true);
    expect(next.some((c) => c.includes('--socket /tmp/mylab/n1.sock'))).toBe(true);
    expect(next.some((c) => c.includes('ip netns exec lab-a1b2c3-n2'))).toBe(true);
    expect(next.at(-1)).toMatch(/^keepalivedctl lab down --dir \/tmp\/mylab /);
    expect(nextCommands(lab(2, DEFAULT_LAB_DIR)).some((c) => c.includes('--dir'))).toBe(false);
  });
});

describe('lab state file', () => {
  it('is created exclusively, saved atomically and read back; bad files are named', () => {
    const dir = join(tmp, 'state1');
    const s = lab(2, dir);
    expect(createState(s)).toEqual({ ok: true });
    const again = createState(s);
    expect(again).toMatchObject({ ok: false, exists: true });
    s.phase = 'up';
    s.nodes[0].pid = 77;
    saveState(s);
    const r = readState(dir);
    expect(r.ok && r.state.phase === 'up' && r.state.nodes[0].pid === 77).toBe(true);
    expect(JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8')).prefix).toBe('lab-a1b2c3');

    expect(readState(join(tmp, 'none'))).toMatchObject({ ok: false, missing: true, error: expect.stringMatching(/^no lab in .*none/) });
    writeFileSync(join(dir, 'lab.json'), '{"version":1');
    expect(readState(dir)).toMatchObject({ ok: false, missing: false, error: expect.stringMatching(/lab\.json is not valid JSON/) });
    // A node namespace outside the lab's prefix is not ours to delete: refused as a state file.
    writeFileSync(join(dir, 'lab.json'), JSON.stringify({ ...s, nodes: [{ ...s.nodes[0], ns: 'somebody-else' }] }));
    expect(readState(dir)).toMatchObject({ ok: false, error: expect.stringMatching(/is not a lab state file/) });
  });
});
