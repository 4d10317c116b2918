// HTTP_GET / SSL_GET (check_http.c): each url is fetched with the genhash engine; a url passes when
// its status is in status_code (default 200-299), its body MD5 equals digest and its regex matches
// (or not, with regex_no_match) at an offset within regex_min_offset..regex_max_offset.
// The Host header is the url's virtualhost, else the checker's, real server's, virtual server's.
import { readFileSync } from 'node:fs';
import { httpGet, type HttpGetOptions } from './http/engine.js';
import { markedConnector } from '../net/marked-socket.js';
import { failure, hostPort, success, type CheckDeps, type CheckResult, type HttpSpec, type HttpUrlSpec, type StatusRange } from './types.js';

/** How much body a regex may look at when regex_max_offset does not bound it. */
export const REGEX_BODY_CAP = 1 << 20;

export function statusAccepted(code: number, ranges: StatusRange[]): boolean {
  return ranges.some((r) => code >= r.min && code <= r.max);
}

/** Reads status_code's words: codes and ranges `200-299`, each within 100-599. */
export function parseStatusCodes(words: string[]): { ok: true; ranges: StatusRange[] } | { ok: false; error: string } {
  const ranges: StatusRange[] = [];
  for (const w of words) {
    const m = /^(\d{3})(?:-(\d{3}))?$/.exec(w);
    const min = m ? Number(m[1]) : NaN;
    const max = m ? Number(m[2] ?? m[1]) : NaN;
    if (!m || min < 100 || max > 599 || min > max) return { ok: false, error: `status_code '${w}' is not a code or range within 100-599` };
    ranges.push({ min, max });
  }
  return ranges.length ? { ok: true, ranges } : { ok: false, error: 'status_code needs at least one code' };
}

/** Does the body pass the url's regex? Bytes are read as latin1 so offsets are byte offsets. */
export function regexVerdict(body: Buffer, rx: NonNullable<HttpUrlSpec['regex']>): { ok: boolean; why: string } {
  let re: RegExp;
  try {
    re = new RegExp(rx.source, rx.flags.replace(/g/g, '') + 'g');
  } catch (e) {
    return { ok: false, why: `regex /${rx.source}/ does not compile: ${(e as Error).message}` };
  }
  const text = body.toString('latin1');
  re.lastIndex = rx.minOffset;
  let matched = false;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (rx.maxOffset !== undefined && m.index > rx.maxOffset) break;
    matched = true;
    break;
  }
  if (rx.noMatch) return matched ? { ok: false, why: `regex /${rx.source}/ matched (regex_no_match)` } : { ok: true, why: '' };
  return matched ? { ok: true, why: '' } : { ok: false, why: `regex /${rx.source}/ did not match` };
}

function pemOf(path: string | undefined): Buffer | undefined {
  return path ? readFileSync(path) : undefined;
}

async function checkUrl(spec: HttpSpec, url: HttpUrlSpec, deps: CheckDeps, tlsFiles: Pick<HttpGetOptions, 'tlsCert' | 'tlsKey' | 'tlsPassphrase'>): Promise<string | undefined> {
  const vhost = url.virtualhost ?? spec.virtualhost;
  const wantBody = url.regex !== undefined;
  const cap = url.regex?.maxOffset !== undefined ? url.regex.maxOffset + 64 * 1024 : REGEX_BODY_CAP;
  const parts: Buffer[] = [];
  let kept = 0;
  const keep = (b: Uint8Array): void => {
    if (!wantBody || kept >= cap || b.length === 0) return;
    const take = Buffer.from(b.subarray(0, cap - kept));
    parts.push(take);
    kept += take.length;
  };
  const options: HttpGetOptions = {
    address: spec.target.ip,
    port: spec.target.port,
    path: url.path,
    protocol: spec.protocol,
    virtualhost: vhost,
    tls: spec.type === 'SSL_GET',
    sni: spec.sni,
    timeoutMs: spec.target.timeoutMs,
    signal: deps.signal,
    now: deps.now,
    localAddress: spec.target.bindto,
    localPort: spec.target.bindPort,
    // fwmark: the connection is made by the addon with SO_MARK (and bind_if as SO_BINDTODEVICE).
    ...(spec.target.fwmark ? { connect: markedConnector(spec.target.fwmark, spec.target.bindIf) } : {}),
    ...tlsFiles,
  };
  const r = await httpGet(options, { header: (_h, d) => keep(d), body: keep });
  if (!r.ok) return r.message;
  const code = r.head.statusCode;
  if (!statusAccepted(code, url.status)) return `${url.path}: HTTP status ${code} not accepted`;
  if (url.digest) {
    const got = r.digest.toString('hex');
    if (got !== url.digest) return `${url.path}: MD5 digest mismatch (expected ${url.digest}, got ${got})`;
  }
  if (url.regex) {
    const v = regexVerdict(Buffer.concat(parts), url.regex);
    if (!v.ok) return `${url.path}: ${v.why}`;
  }
  return undefined;
}

/** Checks every url in order (all must pass); the first failure is the detail. */
export async function runHttpCheck(spec: HttpSpec, deps: CheckDeps): Promise<CheckResult> {
  const started = deps.now();
  const where = `${spec.type === 'SSL_GET' ? 'https' : 'http'}://${hostPort(spec.target.ip, spec.target.port)}`;
  if (spec.urls.length === 0) return failure(`${spec.type} to ${where} has no url to check`, started, deps.now);
  let tlsFiles: Pick<HttpGetOptions, 'tlsCert' | 'tlsKey' | 'tlsPassphrase'> = {};
  if (spec.type === 'SSL_GET' && spec.tls) {
    try {
      tlsFiles = { tlsCert: pemOf(spec.tls.certificate), tlsKey: pemOf(spec.tls.key), tlsPassphrase: spec.tls.password };
    } catch (e) {
      return failure(`${spec.type} to ${where}: cannot read the SSL block's files: ${(e as Error).message}`, started, deps.now);
    }
  }
  for (const url of spec.urls) {
    const problem = await checkUrl(spec, url, deps, tlsFiles);
    if (problem) return failure(`${spec.type} ${where}${problem.startsWith('/') ? '' : ': '}${problem}`, started, deps.now);
  }
  const paths = spec.urls.map((u) => u.path).join(', ');
  return success(`${spec.type} ${where} ${paths} passed`, started, deps.now);
}
