import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { destAttrs, IpvsClient, NO_IPVS, opMessage, serviceAttrs, tableDest, tableService } from '../../src/ipvs/client.js';
import { decodeIpvs, encodeIpvs } from '../../src/ipvs/genl-codec.js';
import type { TableDest, TableService } from '../../src/ipvs/table.js';

const svc: TableService = {
  af: 2, protocol: 6, addr: '192.0.2.10', port: 80, fwmark: 0, sched: 'wrr', flags: 1, timeout: 300, netmask: 0xffffffff, peName: '', dests: [],
};
const dst: TableDest = { af: 2, addr: '198.51.100.1', port: 8080, fwd: 2, weight: 3, uThresh: 0, lThresh: 0, tunType: 1, tunPort: 6080, tunFlags: 1 };

describe('IPVS client', () => {
  it('says once, clearly, that the kernel has no IPVS (this host kernel has none)', async () => {
    const r = await IpvsClient.open();
    if (existsSync('/proc/net/ip_vs')) {
      expect(r.ok).toBe(true);
      if (r.ok) r.value.close();
    } else {
      expect(r).toEqual({ ok: false, error: NO_IPVS });
    }
  });

  it('sends the full service only where the kernel needs it', () => {
    expect(serviceAttrs(svc, false)).toEqual({ af: 2, protocol: 6, addr: '192.0.2.10', port: 80 });
    expect(serviceAttrs({ ...svc, fwmark: 7 }, false)).toEqual({ af: 2, fwmark: 7 });
    expect(serviceAttrs(svc, true)).toMatchObject({ schedName: 'wrr', flags: { flags: 1, mask: 0xffffffff }, timeout: 300, netmask: 0xffffffff });
    expect(destAttrs(dst, false)).toEqual({ addrFamily: 2, addr: '198.51.100.1', port: 8080 });
    expect(destAttrs(dst, true)).toMatchObject({ fwdMethod: 2, weight: 3, tunType: 1, tunPort: 6080, tunFlags: 1 });
    expect(destAttrs({ ...dst, fwd: 0 }, true).tunType).toBeUndefined();
  });

  it('maps each operation to its command, and a dumped entry back to the table form', () => {
    const cmds = (['add-service', 'edit-service', 'delete-service'] as const).map((op) => opMessage({ op, service: svc, from: svc } as never).cmd);
    expect(cmds).toEqual(['NEW_SERVICE', 'SET_SERVICE', 'DEL_SERVICE']);
    const dcmds = (['add-dest', 'edit-dest', 'delete-dest'] as const).map((op) => opMessage({ op, service: svc, dest: dst, from: dst } as never).cmd);
    expect(dcmds).toEqual(['NEW_DEST', 'SET_DEST', 'DEL_DEST']);
    expect(opMessage({ op: 'flush' })).toEqual({ cmd: 'FLUSH' });
    // Through the codec and back, as a dump reply would come (the kernel adds HASHED: ignored).
    const m = opMessage({ op: 'add-service', service: svc });
    const wire = encodeIpvs({ ...m, service: { ...m.service, flags: { flags: 3, mask: 0xffffffff } } });
    const back = wire.ok ? decodeIpvs(wire.value) : wire;
    expect(back.ok && tableService(back.value.service!)).toEqual(svc);
    const dm = opMessage({ op: 'add-dest', service: svc, dest: dst });
    const dw = encodeIpvs(dm);
    const db = dw.ok ? decodeIpvs(dw.value) : dw;
    expect(db.ok && tableDest(db.value.dest!, 2)).toEqual(dst);
  });
});
