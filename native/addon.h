/* keepalived_net: the few socket calls Node cannot make (IPv6 raw socket with recvmsg/sendmsg
 * ancillary data, AF_PACKET frames, an rtnetlink notification socket that survives overflows,
 * syslog(3), a TCP connect with SO_MARK). Every call returns a result object; nothing
 * throws into JS for bad input. */
#ifndef KEEPALIVED_NET_ADDON_H
#define KEEPALIVED_NET_ADDON_H

#include <net/if.h>
#include <node_api.h>
#include <stddef.h>
#include <stdint.h>
#include <uv.h>

enum kn_kind { KN_IP6 = 1, KN_PACKET = 2, KN_RTNL = 3, KN_CONNECT = 4, KN_BFD = 5 };

/* One socket owned by a JS handle (an external). Freed by the handle's finalizer; the fd is
 * closed by close() or, at the latest, by that finalizer. */
typedef struct kn_sock {
  enum kn_kind kind;
  int fd;
  int ifindex;
  char ifname[IF_NAMESIZE];
  napi_env env;
  uv_poll_t *poll;          /* receive readiness (IPv6, rtnetlink), connect completion; NULL when idle */
  uv_timer_t *timer;        /* connect deadline (KN_CONNECT); NULL otherwise */
  int timeout_ms;
  napi_ref cb;              /* receive callback */
  napi_async_context actx;
  unsigned char *rxbuf;
} kn_sock;

/* Result objects: {ok:true} / {ok:false, error:"what: why"}. */
napi_value kn_ok(napi_env env);
napi_value kn_err(napi_env env, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
napi_value kn_err_errno(napi_env env, int err, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void kn_set_str(napi_env env, napi_value obj, const char *key, const char *val);
void kn_set_int(napi_env env, napi_value obj, const char *key, int64_t val);
void kn_set_val(napi_env env, napi_value obj, const char *key, napi_value val);

/* Argument helpers: return 0 on success, fill `what` on failure. */
int kn_get_string(napi_env env, napi_value v, char *buf, size_t size);
int kn_get_bytes(napi_env env, napi_value v, void **data, size_t *len);
int kn_get_int(napi_env env, napi_value v, int32_t *out);

/* Handles: an external tagged with our type tag, so a foreign value is refused cleanly. */
napi_value kn_wrap(napi_env env, kn_sock *s);
kn_sock *kn_unwrap(napi_env env, napi_value v, enum kn_kind kind);
void kn_close_sock(kn_sock *s);
int kn_check_ifname(napi_env env, napi_value arg, char *ifname, int *ifindex, napi_value *error);

napi_value kn_ip6_open(napi_env env, napi_callback_info info);
napi_value kn_ip6_send(napi_env env, napi_callback_info info);
napi_value kn_ip6_link_local(napi_env env, napi_callback_info info);
napi_value kn_packet_open(napi_env env, napi_callback_info info);
napi_value kn_packet_send(napi_env env, napi_callback_info info);
napi_value kn_close(napi_env env, napi_callback_info info);
napi_value kn_rtnl_open(napi_env env, napi_callback_info info);
napi_value kn_syslog(napi_env env, napi_callback_info info);
napi_value kn_mark_connect(napi_env env, napi_callback_info info);
void kn_close_timer(uv_timer_t *t);
/* tcpcheck.c: the TCP_CHECK batch prober's functions (tcpBatch*) onto exports. */
void kn_tcpcheck_init(napi_env env, napi_value exports);
void kn_bfd_init(napi_env env, napi_value exports);

#endif
