/* keepalived_sys: the process-level calls Node cannot make. sdNotify sends one sd_notify(3) message
 * (an AF_UNIX datagram to $NOTIFY_SOCKET; a leading '@' names an abstract socket), since Node has
 * no Unix datagram sockets. The module's init is here; rtsignal.c adds real-time signal watches. */
#include <errno.h>
#include <node_api.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "sys.h"

napi_value ks_result(napi_env env, int ok, const char *error) {
  napi_value obj, b;
  napi_create_object(env, &obj);
  napi_get_boolean(env, ok, &b);
  napi_set_named_property(env, obj, "ok", b);
  if (!ok && error) {
    napi_value e;
    napi_create_string_utf8(env, error, NAPI_AUTO_LENGTH, &e);
    napi_set_named_property(env, obj, "error", e);
  }
  return obj;
}

/* Copies a JS string into a malloc'd buffer; NULL when it is not a string. */
static char *get_string(napi_env env, napi_value v, size_t *len_out) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return NULL;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return NULL;
  char *buf = malloc(len + 1);
  if (!buf) return NULL;
  napi_get_value_string_utf8(env, v, buf, len + 1, &len);
  if (len_out) *len_out = len;
  return buf;
}

/* sdNotify(socketPath, message) -> {ok} | {ok:false, error}. */
static napi_value ks_sd_notify(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char msg_err[300];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return ks_result(env, 0, "sdNotify: expects (socketPath, message)");
  size_t plen = 0, mlen = 0;
  char *path = get_string(env, argv[0], &plen);
  char *msg = get_string(env, argv[1], &mlen);
  napi_value r;
  struct sockaddr_un sa;
  memset(&sa, 0, sizeof sa);
  sa.sun_family = AF_UNIX;
  if (!path || !msg) {
    r = ks_result(env, 0, "sdNotify: socketPath and message must be strings");
  } else if (plen == 0 || (path[0] != '/' && path[0] != '@') || plen >= sizeof sa.sun_path || strlen(path) != plen) {
    r = ks_result(env, 0, "sdNotify: NOTIFY_SOCKET must be an absolute path or an abstract name starting with '@', shorter than 108 bytes");
  } else {
    memcpy(sa.sun_path, path, plen);
    if (path[0] == '@') sa.sun_path[0] = '\0'; /* abstract namespace */
    socklen_t salen = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + plen);
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
    if (fd < 0) {
      snprintf(msg_err, sizeof msg_err, "sdNotify: socket: %s", strerror(errno));
      r = ks_result(env, 0, msg_err);
    } else {
      ssize_t n = sendto(fd, msg, mlen, MSG_NOSIGNAL, (struct sockaddr *)&sa, salen);
      if (n < 0) {
        snprintf(msg_err, sizeof msg_err, "sdNotify: sendto %.200s: %s", path, strerror(errno));
        r = ks_result(env, 0, msg_err);
      } else if ((size_t)n != mlen) {
        r = ks_result(env, 0, "sdNotify: short send");
      } else {
        r = ks_result(env, 1, NULL);
      }
      close(fd);
    }
  }
  free(path);
  free(msg);
  return r;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"sdNotify", NULL, ks_sd_notify, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signalWatch", NULL, ks_signal_watch, NULL, NULL, NULL, napi_enumerable, NULL},
      {"signalUnwatch", NULL, ks_signal_unwatch, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  ks_sched_register(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
