// IpvsClient sends one request at a time on its socket: the kernel refuses a second dump while one
// runs (EBUSY) and the netlink library groups multipart replies per socket, so overlapping requests
// cut each other short (seen in the VM when a status poll's counter dump met a pass's table dump).
import { describe, expect, it } from 'vitest';
import { IpvsClient } from '../../src/ipvs/client.js';

/** A socket whose requests take a few ms and fail (EBUSY) if another one is still in flight. */
function fakeSocket() {
  let inFlight = 0;
  let most = 0;
  const socket = {
    async request(): Promise<[unknown[], unknown]> {
      inFlight++;
      most = Math.max(most, inFlight);
      try {
        await new Promise((r) => setTimeout(r, 3));
        if (inFlight > 1) throw new Error('Request rejected: EBUSY');
        return [[], {}];
      } finally {
        inFlight--;
      }
    },
    close() {},
  };
  return { sock: { socket }, most: () => most };
}

describe('IpvsClient requests', () => {
  it('never overlap, and each still gets its own answer', async () => {
    const f = fakeSocket();
    const Ctor = IpvsClient as unknown as new (sock: unknown, family: number) => IpvsClient;
    const c = new Ctor(f.sock, 42);
    const rs = await Promise.all([c.listServices(), c.getDaemons(), c.listServices(), c.request({ cmd: 'GET_INFO' })]);
    expect(rs.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(f.most()).toBe(1);
    expect(c.messages).toBe(4);
  });

  it('a failed request does not block the ones after it', async () => {
    const f = fakeSocket();
    const Ctor = IpvsClient as unknown as new (sock: unknown, family: number) => IpvsClient;
    const c = new Ctor(f.sock, 42);
    const bad = c.request({ cmd: 'NEW_SERVICE', service: { af: 99 } as never });
    const good = c.listServices();
    await bad;
    expect((await good).ok).toBe(true);
  });
});
