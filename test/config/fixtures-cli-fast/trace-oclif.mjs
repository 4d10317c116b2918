// `node --import` this to learn whether a process loaded @oclif/core: a resolve hook (run on the
// loader thread) appends each resolved specifier naming oclif to $TRACE_OCLIF_FILE.
import { register } from 'node:module';

register(
  'data:text/javascript,' +
    encodeURIComponent(`
import { appendFileSync } from 'node:fs';
export async function resolve(spec, ctx, next) {
  if (spec.includes('@oclif/core') && process.env.TRACE_OCLIF_FILE) appendFileSync(process.env.TRACE_OCLIF_FILE, spec + '\\n');
  return next(spec, ctx);
}`),
);
