// The daemon side of the control socket: newline-delimited JSON-RPC 2.0 on a Unix stream socket.
// The daemon supplies the handlers; this module owns framing, validation, errors, the `version` and
// `events` built-ins, and the bounds that keep a slow or hostile client from hurting the daemon.
import { chmodSync, chownSync, lstatSync, mkdirSync, unlinkSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { dirname } from 'node:path';
import { LineSplitter } from './framing.js';
import { type DaemonEvent, MAX_REQUEST_BYTES, PROTOCOL_VERSION, RPC_ERRORS, type RpcError } from './protocol.js';

export interface ControlHandlers {
  [method: string]: (params: Record<string, unknown>, conn: { id: number }) => Promise<unknown> | unknown;
}

export interface ControlServer {
  broadcast(event: DaemonEvent): void;
  close(): Promise<void>;
  readonly path: string;
  connections(): number;
}

export interface ControlServerOptions {
  path: string;
  /** Socket file mode; default 0o600 (0o660 with `gid`, to let a group use keepalivedctl). */
  mode?: number;
  /** Group owning the socket file (numeric gid). */
  gid?: number;
  handlers: ControlHandlers;
  log?: (msg: string) => void;
  daemonVersion: string;
}

/** A typed failure a handler throws: it becomes that JSON-RPC error (noSuchInstance, invalidParams...). */
export class RpcFailure extends Error {
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
    this.name = 'RpcFailure';
  }
}

export const MAX_CONNECTIONS = 64;
/** A connection with more than this much unsent output is dropped: the daemon never waits for a reader. */
export const MAX_PENDING_WRITE_BYTES = 1024 * 1024;

type Id = number | string | null;

interface Conn {
  id: number;
  socket: Socket;
  subscribed: boolean;
  closed: boolean;
}

export async function startControlServer(
  opts: ControlServerOptions,
): Promise<{ ok: true; server: ControlServer } | { ok: false; error: string }> {
  const log = opts.log ?? (() => {});
  const mode = opts.mode ?? 0o600;
  const path = opts.path;
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o755 });
  } catch (e) {
    return { ok: false, error: `cannot create directory ${dirname(path)} for the control socket: ${errText(e)}` };
  }
  const stale = await clearStaleSocket(path);
  if (stale) return { ok: false, error: stale };

  const server = createServer({ allowHalfOpen: false });
  const conns = new Set<Conn>();
  let nextId = 1;
  let closing = false;

  const listened = await new Promise<string | null>((resolve) => {
    server.once('error', (e) => resolve(errText(e)));
    // Bind with a tight umask so the socket is never reachable with looser permissions, even briefly;
    // the bind is synchronous inside listen(), so the umask is restored before anything else runs.
    const oldMask = trySetUmask(0o177);
    try {
      server.listen(path, () => resolve(null));
    } finally {
      if (oldMask !== null) trySetUmask(oldMask);
    }
  });
  if (listened !== null) {
    server.close();
    return { ok: false, error: `cannot listen on ${path}: ${listened}` };
  }
  let ino: number;
  try {
    if (opts.gid !== undefined) chownSync(path, -1, opts.gid);
    chmodSync(path, mode);
    ino = lstatSync(path).ino;
  } catch (e) {
    server.close();
    const what = opts.gid !== undefined ? `group ${opts.gid} and mode ${mode.toString(8)}` : `mode ${mode.toString(8)}`;
    return { ok: false, error: `cannot set ${what} on ${path}: ${errText(e)}` };
  }
  server.on('error', (e) => log(`control socket ${path}: ${errText(e)}`));

  const send = (c: Conn, msg: unknown): void => {
    if (c.closed) return;
    let line: string;
    try {
      line = JSON.stringify(msg) + '\n';
    } catch (e) {
      const id = (msg as { id?: Id }).id ?? null;
      line = JSON.stringify(errorReply(id, RPC_ERRORS.internalError, `result not serialisable: ${errText(e)}`)) + '\n';
    }
    writeBounded(c, line);
  };

  const writeBounded = (c: Conn, line: string): void => {
    if (c.closed) return;
    // Judge by what is already queued: one large answer (status of thousands of instances) is fine,
    // a client that lets output pile up is not.
    if (c.socket.writableLength > MAX_PENDING_WRITE_BYTES) {
      log(`control connection ${c.id}: client is not reading (over ${MAX_PENDING_WRITE_BYTES} bytes pending), dropped`);
      drop(c);
      return;
    }
    c.socket.write(line);
  };

  const drop = (c: Conn): void => {
    if (c.closed) return;
    c.closed = true;
    conns.delete(c);
    c.socket.destroy();
  };

  const handleLine = async (c: Conn, text: string): Promise<void> => {
    if (text.trim() === '') return;
    let req: unknown;
    try {
      req = JSON.parse(text);
    } catch (e) {
      send(c, errorReply(null, RPC_ERRORS.parseError, `parse error: ${errText(e)}`));
      return;
    }
    if (typeof req !== 'object' || req === null || Array.isArray(req)) {
      send(c, errorReply(null, RPC_ERRORS.invalidRequest, 'invalid request: expected a JSON object (batches are not supported)'));
      return;
    }
    const r = req as Record<string, unknown>;
    const hasId = 'id' in r;
    const idOk = typeof r.id === 'number' || typeof r.id === 'string';
    const id: Id = idOk ? (r.id as number | string) : null;
    if (hasId && !idOk) {
      send(c, errorReply(null, RPC_ERRORS.invalidRequest, 'invalid request: id must be a number or a string'));
      return;
    }
    if (r.jsonrpc !== '2.0') {
      send(c, errorReply(id, RPC_ERRORS.invalidRequest, 'invalid request: jsonrpc must be "2.0"'));
      return;
    }
    if (typeof r.method !== 'string' || r.method === '') {
      send(c, errorReply(id, RPC_ERRORS.invalidRequest, 'invalid request: method must be a non-empty string'));
      return;
    }
    const method = r.method;
    if (r.params !== undefined && (typeof r.params !== 'object' || r.params === null || Array.isArray(r.params))) {
      if (hasId) send(c, errorReply(id, RPC_ERRORS.invalidParams, `invalid params for ${method}: expected an object`));
      return;
    }
    const { protocolVersion, ...params } = (r.params ?? {}) as Record<string, unknown>;
    if (protocolVersion !== undefined && protocolVersion !== PROTOCOL_VERSION) {
      if (hasId)
        send(
          c,
          errorReply(id, RPC_ERRORS.versionMismatch, `protocol version ${JSON.stringify(protocolVersion)} is not supported (daemon speaks ${PROTOCOL_VERSION})`, {
            daemon: PROTOCOL_VERSION,
            client: protocolVersion,
          }),
        );
      return;
    }
    let result: unknown;
    try {
      if (method === 'version') result = { protocolVersion: PROTOCOL_VERSION, daemonVersion: opts.daemonVersion };
      else if (method === 'events') {
        result = { subscribed: true };
      } else {
        const handler = Object.hasOwn(opts.handlers, method) ? opts.handlers[method] : undefined;
        if (!handler) {
          if (hasId) send(c, errorReply(id, RPC_ERRORS.methodNotFound, `unknown method '${method}'`));
          return;
        }
        result = await handler(params, { id: c.id });
      }
    } catch (e) {
      if (!hasId) return;
      if (e instanceof RpcFailure) send(c, errorReply(id, e.code, e.message, e.data));
      else {
        log(`control method ${method} failed: ${errText(e)}`);
        send(c, errorReply(id, RPC_ERRORS.internalError, `${method} failed: ${errText(e)}`));
      }
      return;
    }
    if (hasId) send(c, { jsonrpc: '2.0', id, result: result ?? null });
    // Subscribe after the answer, so the {subscribed:true} line comes before the first event.
    if (method === 'events') c.subscribed = true;
  };

  server.on('connection', (socket) => {
    if (closing) {
      socket.destroy();
      return;
    }
    const c: Conn = { id: nextId++, socket, subscribed: false, closed: false };
    socket.on('error', () => {});
    if (conns.size >= MAX_CONNECTIONS) {
      socket.end(JSON.stringify(errorReply(null, RPC_ERRORS.busy, `too many control connections (at most ${MAX_CONNECTIONS})`)) + '\n');
      socket.setTimeout(1000, () => socket.destroy());
      return;
    }
    conns.add(c);
    const splitter = new LineSplitter(MAX_REQUEST_BYTES);
    socket.on('data', (chunk: Buffer) => {
      if (c.closed) return;
      const fed = splitter.feed(chunk);
      if (!fed.ok) {
        // Say why, then close: there is no telling where the next request would start.
        c.closed = true;
        conns.delete(c);
        socket.end(JSON.stringify(errorReply(null, RPC_ERRORS.invalidRequest, `invalid request: ${fed.error}`)) + '\n');
        socket.setTimeout(1000, () => socket.destroy());
        return;
      }
      for (const line of fed.lines) {
        handleLine(c, line).catch((e) => log(`control connection ${c.id}: ${errText(e)}`));
      }
    });
    socket.on('close', () => {
      c.closed = true;
      conns.delete(c);
    });
  });

  const api: ControlServer = {
    path,
    connections: () => conns.size,
    broadcast(event: DaemonEvent): void {
      let line: string;
      try {
        line = JSON.stringify({ jsonrpc: '2.0', method: 'event', params: event }) + '\n';
      } catch (e) {
        log(`control event not serialisable: ${errText(e)}`);
        return;
      }
      for (const c of [...conns]) if (c.subscribed) writeBounded(c, line);
    },
    async close(): Promise<void> {
      if (closing) return;
      closing = true;
      for (const c of [...conns]) drop(c);
      await new Promise<void>((resolve) => server.close(() => resolve()));
      try {
        // Only our own socket: a newer daemon may have replaced the file meanwhile.
        if (lstatSync(path).ino === ino) unlinkSync(path);
      } catch {
        /* already gone */
      }
    },
  };
  return { ok: true, server: api };
}

function errorReply(id: Id, code: number, message: string, data?: unknown): { jsonrpc: '2.0'; id: Id; error: RpcError } {
  return { jsonrpc: '2.0', id, error: data === undefined ? { code, message } : { code, message, data } };
}

/** null when the path is free (or was a dead socket, now removed); else why we must not start. */
async function clearStaleSocket(path: string): Promise<string | null> {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return null;
  }
  if (!st.isSocket()) return `${path} exists and is not a socket; refusing to replace it`;
  const probe = await new Promise<'live' | 'dead' | string>((resolve) => {
    const s = createConnection(path);
    const timer = setTimeout(() => {
      s.destroy();
      resolve('live');
    }, 1000);
    s.once('connect', () => {
      clearTimeout(timer);
      s.destroy();
      resolve('live');
    });
    s.once('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ECONNREFUSED' || e.code === 'ENOENT') resolve('dead');
      else if (e.code === 'EAGAIN') resolve('live');
      else resolve(`cannot probe existing socket ${path}: ${errText(e)}`);
    });
  });
  if (probe === 'live') return `another daemon is listening on ${path}`;
  if (probe !== 'dead') return probe;
  try {
    unlinkSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') return `cannot remove stale socket ${path}: ${errText(e)}`;
  }
  return null;
}

function trySetUmask(mask: number): number | null {
  try {
    return process.umask(mask);
  } catch {
    return null; // worker threads cannot change the umask; chmod below still applies the mode
  }
}

function errText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
