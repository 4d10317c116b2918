/* syslog(3) for the daemon's logging: Node has no Unix datagram sockets to reach /dev/log. */
#include "addon.h"

#include <stdlib.h>
#include <string.h>
#include <syslog.h>

/* openlog keeps the ident pointer, so it must outlive the call. */
static char ident_kept[64];
static int facility_kept = -1;

/* syslog(ident, facility, priority, message) -> {ok} | {ok:false, error}.
 * facility: the syslog.h code (LOG_DAEMON = 24, LOG_LOCAL0 = 128, ...); priority: 0 (emerg) - 7 (debug). */
napi_value kn_syslog(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char ident[sizeof ident_kept];
  int32_t facility, priority;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 4) return kn_err(env, "syslog: expects (ident, facility, priority, message)");
  if (kn_get_string(env, argv[0], ident, sizeof ident) != 0) return kn_err(env, "syslog: ident must be a string of at most %zu bytes", sizeof ident - 1);
  if (kn_get_int(env, argv[1], &facility) != 0 || facility < 0 || facility > (23 << 3) || (facility & 7))
    return kn_err(env, "syslog: facility must be a syslog.h facility code (0-184, a multiple of 8)");
  if (kn_get_int(env, argv[2], &priority) != 0 || priority < 0 || priority > 7) return kn_err(env, "syslog: priority must be 0-7");
  size_t len = 0;
  napi_valuetype t;
  if (napi_typeof(env, argv[3], &t) != napi_ok || t != napi_string || napi_get_value_string_utf8(env, argv[3], NULL, 0, &len) != napi_ok)
    return kn_err(env, "syslog: message must be a string");
  char *msg = malloc(len + 1);
  if (!msg) return kn_err(env, "syslog: out of memory");
  napi_get_value_string_utf8(env, argv[3], msg, len + 1, &len);
  if (facility != facility_kept || strcmp(ident, ident_kept) != 0) {
    closelog();
    memcpy(ident_kept, ident, sizeof ident_kept);
    facility_kept = facility;
    openlog(ident_kept, LOG_PID | LOG_NDELAY, facility);
  }
  syslog(priority, "%s", msg);
  free(msg);
  return kn_ok(env);
}
