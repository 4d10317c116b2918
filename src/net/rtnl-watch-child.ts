// The process that holds a watch's rtnetlink subscription (forked by rtnl-watch.ts). It exists because
// the `netlink` package aborts the whole process when its socket reports an error (a notification
// overflow, ENOBUFS, ends in std::terminate inside the binding): here that costs only this process,
// and the parent, seeing it die, starts another one and resynchronises from a fresh dump.
// It forwards every notification unparsed, in kernel order, over the IPC channel.
import { createRtNetlink } from 'netlink';

type Msg = { type: number; data: Buffer };

const send = (m: unknown): void => {
  if (process.connected) process.send?.(m);
};

function main(): void {
  // The parent's IPC channel going away means nobody is listening: leave at once.
  process.on('disconnect', () => process.exit(0));
  const recvBuffer = Number(process.env.KEEPALIVED_RTNL_RCVBUF ?? '0');
  let sock;
  try {
    sock = createRtNetlink({ ref: true, recvBufferSize: 0, sendBufferSize: 0 });
    if (recvBuffer > 0) sock.socket.setRecvBufferSize(recvBuffer);
    sock.addMembership('LINK');
    sock.addMembership('IPV4_IFADDR');
    sock.addMembership('IPV6_IFADDR');
  } catch (e) {
    send({ t: 'fail', error: e instanceof Error ? e.message : String(e) });
    process.exit(1);
  }
  sock.socket.on('message', (msgs: Msg[]) => {
    send({ t: 'm', msgs: msgs.map((m) => [m.type, m.data]) });
  });
  sock.socket.on('error', (e: Error) => {
    send({ t: 'fail', error: e.message });
    process.exit(1);
  });
  sock.socket.on('invalid', () => undefined);
  send({ t: 'ready' });
}

main();
