/* Module set-up, result objects, argument checks and socket handles shared by ip6.c, packet.c, rtnl.c and mark.c. */
#include "addon.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Marks externals made by this addon, so a stray value passed as a handle is refused. */
static const napi_type_tag kn_tag = {0x6b6565706c697665ULL, 0x642d6e65742d3031ULL};

void kn_set_val(napi_env env, napi_value obj, const char *key, napi_value val) {
  napi_set_named_property(env, obj, key, val);
}

void kn_set_str(napi_env env, napi_value obj, const char *key, const char *val) {
  napi_value v;
  if (napi_create_string_utf8(env, val, NAPI_AUTO_LENGTH, &v) == napi_ok) kn_set_val(env, obj, key, v);
}

void kn_set_int(napi_env env, napi_value obj, const char *key, int64_t val) {
  napi_value v;
  if (napi_create_int64(env, val, &v) == napi_ok) kn_set_val(env, obj, key, v);
}

static napi_value result(napi_env env, int ok) {
  napi_value obj, b;
  napi_create_object(env, &obj);
  napi_get_boolean(env, ok, &b);
  kn_set_val(env, obj, "ok", b);
  return obj;
}

napi_value kn_ok(napi_env env) { return result(env, 1); }

static napi_value err_va(napi_env env, int err, const char *fmt, va_list ap) {
  char msg[512];
  int n = vsnprintf(msg, sizeof msg, fmt, ap);
  if (err && n >= 0 && (size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - (size_t)n, ": %s", strerror(err));
  napi_value obj = result(env, 0);
  kn_set_str(env, obj, "error", msg);
  return obj;
}

napi_value kn_err(napi_env env, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  napi_value r = err_va(env, 0, fmt, ap);
  va_end(ap);
  return r;
}

napi_value kn_err_errno(napi_env env, int err, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  napi_value r = err_va(env, err, fmt, ap);
  va_end(ap);
  return r;
}

int kn_get_string(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  size_t len = 0;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_string) return -1;
  if (napi_get_value_string_utf8(env, v, NULL, 0, &len) != napi_ok) return -1;
  if (len + 1 > size) return -2;
  if (napi_get_value_string_utf8(env, v, buf, size, &len) != napi_ok) return -1;
  /* An embedded NUL would silently cut the text: refuse it. */
  if (strlen(buf) != len) return -1;
  return 0;
}

int kn_get_bytes(napi_env env, napi_value v, void **data, size_t *len) {
  bool is = false;
  if (napi_is_typedarray(env, v, &is) == napi_ok && is) {
    napi_typedarray_type t;
    size_t count = 0, off = 0;
    napi_value ab;
    if (napi_get_typedarray_info(env, v, &t, &count, data, &ab, &off) != napi_ok) return -1;
    if (t != napi_uint8_array) return -1;
    *len = count;
    return 0;
  }
  return -1;
}

int kn_get_int(napi_env env, napi_value v, int32_t *out) {
  napi_valuetype t;
  double d;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_number) return -1;
  if (napi_get_value_double(env, v, &d) != napi_ok) return -1;
  if (d != (double)(int32_t)d) return -1;
  *out = (int32_t)d;
  return 0;
}

static void poll_closed(uv_handle_t *h) { free(h); }

/* Stops receiving and closes the fd; idempotent. Safe from a finalizer. */
void kn_close_sock(kn_sock *s) {
  if (s->poll) {
    uv_poll_stop(s->poll);
    uv_close((uv_handle_t *)s->poll, poll_closed);
    s->poll = NULL;
  }
  if (s->timer) {
    kn_close_timer(s->timer);
    s->timer = NULL;
  }
  if (s->fd >= 0) {
    close(s->fd);
    s->fd = -1;
  }
  if (s->cb) {
    napi_delete_reference(s->env, s->cb);
    s->cb = NULL;
  }
  if (s->actx) {
    napi_async_destroy(s->env, s->actx);
    s->actx = NULL;
  }
}

static void finalize(napi_env env, void *data, void *hint) {
  kn_sock *s = data;
  kn_close_sock(s);
  free(s->rxbuf);
  free(s);
}

napi_value kn_wrap(napi_env env, kn_sock *s) {
  napi_value ext;
  if (napi_create_external(env, s, finalize, NULL, &ext) != napi_ok) return NULL;
  napi_type_tag_object(env, ext, &kn_tag);
  return ext;
}

kn_sock *kn_unwrap(napi_env env, napi_value v, enum kn_kind kind) {
  napi_valuetype t;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, v, &t) != napi_ok || t != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, &kn_tag, &tagged) != napi_ok || !tagged) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok || !data) return NULL;
  kn_sock *s = data;
  if (kind && s->kind != kind) return NULL;
  return s;
}

/* Reads an interface name argument and resolves its index; on failure *error is the result to return. */
int kn_check_ifname(napi_env env, napi_value arg, char *ifname, int *ifindex, napi_value *error) {
  int r = kn_get_string(env, arg, ifname, IF_NAMESIZE);
  if (r == -2) {
    *error = kn_err(env, "interface name is longer than %d bytes", IF_NAMESIZE - 1);
    return -1;
  }
  if (r != 0 || ifname[0] == '\0') {
    *error = kn_err(env, "interface name must be a non-empty string");
    return -1;
  }
  unsigned idx = if_nametoindex(ifname);
  if (idx == 0) {
    *error = kn_err_errno(env, errno, "interface %s", ifname);
    return -1;
  }
  *ifindex = (int)idx;
  return 0;
}

/* close(handle): stops receiving and closes the socket now; closing twice is harmless. */
napi_value kn_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  kn_sock *s = argc >= 1 ? kn_unwrap(env, argv[0], 0) : NULL;
  if (!s) return kn_err(env, "close: not a socket handle");
  kn_close_sock(s);
  return kn_ok(env);
}

/* ifIndex(ifname) -> {ok:true, ifindex} | {ok:false, error}: if_nametoindex in this process's namespace. */
static napi_value kn_if_index(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], err;
  char ifname[IF_NAMESIZE];
  int ifindex;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return kn_err(env, "ifIndex: expects (ifname)");
  if (kn_check_ifname(env, argv[0], ifname, &ifindex, &err) != 0) return err;
  napi_value res = kn_ok(env);
  kn_set_int(env, res, "ifindex", ifindex);
  return res;
}

static napi_value init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"ip6Open", NULL, kn_ip6_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ip6Send", NULL, kn_ip6_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ip6LinkLocal", NULL, kn_ip6_link_local, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetOpen", NULL, kn_packet_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"packetSend", NULL, kn_packet_send, NULL, NULL, NULL, napi_enumerable, NULL},
      {"rtnlOpen", NULL, kn_rtnl_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"ifIndex", NULL, kn_if_index, NULL, NULL, NULL, napi_enumerable, NULL},
      {"close", NULL, kn_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"syslog", NULL, kn_syslog, NULL, NULL, NULL, napi_enumerable, NULL},
      {"markConnect", NULL, kn_mark_connect, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  kn_tcpcheck_init(env, exports);
  kn_bfd_init(env, exports);
  return exports;
}

NAPI_MODULE(NODE_GYP_MODULE_NAME, init)
