/* A TCP connection carrying a firewall mark (SO_MARK), for the checkers' and genhash's `fwmark`:
 * Node has no way to set a socket option before connect(). The socket is made, marked, optionally
 * bound (SO_BINDTODEVICE, address/port), connected without blocking, and watched for writability
 * with uv_poll, bounded by a uv timer. The connected fd is then handed to JS (net.Socket({fd}));
 * on every other path the fd is closed here. */
#include "addon.h"
#include "sockaddr.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* Longest address text accepted: an IPv6 literal with a %scope. */
#define ADDR_TEXT 64

/* Failure object: {ok:false, stage, errno, error}; stage names the step (socket, mark, bindtodevice,
 * bind, connect, timeout, poll) so JS can map it to keepalived's outcomes. */
static napi_value fail(napi_env env, const char *stage, int err, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static napi_value fail(napi_env env, const char *stage, int err, const char *fmt, ...) {
  char msg[400];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  napi_value r = err ? kn_err_errno(env, err, "%s", msg) : kn_err(env, "%s", msg);
  kn_set_str(env, r, "stage", stage);
  kn_set_int(env, r, "errno", err);
  return r;
}

static void timer_closed(uv_handle_t *h) { free(h); }

/* Ends the pending connect: stops the watch and the timer and hands the result to JS once. The
 * callback reference and async context are taken out of the handle first, so a close() from inside
 * the callback cannot free them under us. */
static void settle(kn_sock *s, napi_value result) {
  napi_env env = s->env;
  napi_ref cbref = s->cb;
  napi_async_context actx = s->actx;
  s->cb = NULL;
  s->actx = NULL;
  kn_close_sock(s); /* poll, timer and (unless already handed over) the fd */
  if (!cbref) return;
  napi_value cb, recv, ret;
  if (napi_get_reference_value(env, cbref, &cb) == napi_ok && cb) {
    napi_get_global(env, &recv);
    if (napi_make_callback(env, actx, recv, cb, 1, &result, &ret) == napi_pending_exception) {
      napi_value ex;
      if (napi_get_and_clear_last_exception(env, &ex) == napi_ok) napi_fatal_exception(env, ex);
    }
  }
  napi_delete_reference(env, cbref);
  if (actx) napi_async_destroy(env, actx);
}

static void on_writable(uv_poll_t *h, int status, int events) {
  kn_sock *s = h->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  napi_value result;
  int soerr = 0;
  socklen_t len = sizeof soerr;
  /* A failed connect wakes the poll with POLLERR, which libuv reports as a bad status: the reason
   * is still in SO_ERROR. */
  if (getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &soerr, &len) < 0) {
    result = fail(s->env, "connect", errno, "connect: SO_ERROR");
  } else if (soerr == 0 && status < 0) {
    result = fail(s->env, "poll", 0, "connect: poll: %s", uv_strerror(status));
  } else if (soerr == EINPROGRESS) {
    napi_close_handle_scope(s->env, scope);
    return; /* spurious wake-up: keep waiting */
  } else if (soerr != 0) {
    result = fail(s->env, "connect", soerr, "connect");
  } else {
    result = kn_ok(s->env);
    kn_set_int(s->env, result, "fd", s->fd);
    s->fd = -1; /* JS owns it now */
  }
  settle(s, result);
  napi_close_handle_scope(s->env, scope);
}

static void on_timeout(uv_timer_t *t) {
  kn_sock *s = t->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  settle(s, fail(s->env, "timeout", ETIMEDOUT, "connect: no answer within %d ms", s->timeout_ms));
  napi_close_handle_scope(s->env, scope);
}

/* Socket options and bind, in keepalived's order (layer4.c): mark, device, address. NULL on success,
 * else the failure result (errno captured). */
static napi_value prepare(napi_env env, int fd, uint32_t mark, const char *bind_if, const char *bind_addr, int bind_port, int family) {
  if (mark != 0 && setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof mark) < 0) {
    int e = errno;
    return fail(env, "mark", e, "setting fwmark %u on the socket%s", mark,
                e == EPERM ? " (needs CAP_NET_ADMIN or CAP_NET_RAW)" : "");
  }
  if (bind_if[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, bind_if, (socklen_t)strlen(bind_if) + 1) < 0)
    return fail(env, "bindtodevice", errno, "binding to device %s", bind_if);
  if (bind_addr[0] || bind_port) {
    struct sockaddr_storage sa;
    socklen_t len;
    const char *any = family == AF_INET6 ? "::" : "0.0.0.0";
    if (kn_numeric_addr(bind_addr[0] ? bind_addr : any, bind_port, &sa, &len) != 0 || sa.ss_family != family)
      return fail(env, "bind", 0, "bind address '%s' is not an IP address of the server's family", bind_addr);
    if (bind(fd, (struct sockaddr *)&sa, len) < 0) return fail(env, "bind", errno, "bind to %s port %d", bind_addr[0] ? bind_addr : any, bind_port);
  }
  return NULL;
}

/* markConnect(address, port, mark, bindAddress?, bindPort, bindIf?, timeoutMs, cb(result))
 *   -> {ok:true, handle} (cb later gets {ok:true, fd} or {ok:false, stage, errno, error})
 *   |  {ok:false, stage, errno, error} at once (bad arguments, socket/mark/bind/immediate connect failure). */
napi_value kn_mark_connect(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  char addr[ADDR_TEXT], bind_addr[ADDR_TEXT], bind_if[IF_NAMESIZE];
  int32_t port, bind_port, timeout_ms;
  double mark_d;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8) return fail(env, "args", 0, "markConnect: expects (address, port, mark, bindAddress, bindPort, bindIf, timeoutMs, callback)");
  if (kn_get_string(env, argv[0], addr, sizeof addr) != 0) return fail(env, "args", 0, "markConnect: address must be an IP address string");
  if (kn_get_int(env, argv[1], &port) != 0 || port < 1 || port > 65535) return fail(env, "args", 0, "markConnect: port must be 1-65535");
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_number || napi_get_value_double(env, argv[2], &mark_d) != napi_ok ||
      mark_d < 0 || mark_d > 4294967295.0 || mark_d != (double)(uint32_t)mark_d)
    return fail(env, "args", 0, "markConnect: mark must be an integer 0-4294967295");
  if (kn_opt_string(env, argv[3], bind_addr, sizeof bind_addr) != 0) return fail(env, "args", 0, "markConnect: bindAddress must be an IP address string");
  if (kn_get_int(env, argv[4], &bind_port) != 0 || bind_port < 0 || bind_port > 65535) return fail(env, "args", 0, "markConnect: bindPort must be 0-65535");
  if (kn_opt_string(env, argv[5], bind_if, sizeof bind_if) != 0) return fail(env, "args", 0, "markConnect: bindIf must be an interface name of at most %d bytes", IF_NAMESIZE - 1);
  if (kn_get_int(env, argv[6], &timeout_ms) != 0 || timeout_ms < 1) return fail(env, "args", 0, "markConnect: timeoutMs must be a positive integer");
  if (napi_typeof(env, argv[7], &t) != napi_ok || t != napi_function) return fail(env, "args", 0, "markConnect: callback must be a function");

  struct sockaddr_storage dst;
  socklen_t dst_len;
  if (kn_numeric_addr(addr, port, &dst, &dst_len) != 0) return fail(env, "args", 0, "markConnect: '%s' is not an IP address", addr);
  uint32_t mark = (uint32_t)mark_d;

  int fd = socket(dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return fail(env, "socket", errno, "TCP socket");
  napi_value bad = prepare(env, fd, mark, bind_if, bind_addr, bind_port, dst.ss_family);
  if (bad) {
    close(fd);
    return bad;
  }
  if (connect(fd, (struct sockaddr *)&dst, dst_len) < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return fail(env, "connect", e, "connect");
  }

  /* Pending (or already connected: writability reports it at once, one path for both). */
  kn_sock *s = calloc(1, sizeof *s);
  uv_poll_t *poll = malloc(sizeof *poll);
  uv_timer_t *timer = malloc(sizeof *timer);
  uv_loop_t *loop = NULL;
  if (!s || !poll || !timer || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(s), free(poll), free(timer), close(fd);
    return fail(env, "socket", ENOMEM, "connect");
  }
  s->kind = KN_CONNECT;
  s->fd = fd;
  s->timeout_ms = timeout_ms;
  s->env = env;
  napi_value name, handle = kn_wrap(env, s);
  napi_create_string_utf8(env, "keepalived:markConnect", NAPI_AUTO_LENGTH, &name);
  if (!handle) {
    free(poll), free(timer), close(fd), free(s);
    return fail(env, "socket", 0, "connect: could not make the handle");
  }
  if (napi_async_init(env, NULL, name, &s->actx) != napi_ok || napi_create_reference(env, argv[7], 1, &s->cb) != napi_ok) {
    free(poll), free(timer);
    kn_close_sock(s); /* the handle's finalizer frees s */
    return fail(env, "socket", 0, "connect: could not set up the callback");
  }
  int r = uv_poll_init_socket(loop, poll, fd);
  if (r != 0) {
    free(poll), free(timer);
    kn_close_sock(s);
    return fail(env, "poll", 0, "connect: uv_poll: %s", uv_strerror(r));
  }
  poll->data = s;
  s->poll = poll;
  uv_timer_init(loop, timer);
  timer->data = s;
  s->timer = timer;
  r = uv_poll_start(poll, UV_WRITABLE, on_writable);
  if (r == 0) r = uv_timer_start(timer, on_timeout, (uint64_t)timeout_ms, 0);
  if (r != 0) {
    kn_close_sock(s);
    return fail(env, "poll", 0, "connect: uv_poll: %s", uv_strerror(r));
  }
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  return res;
}

/* Used by kn_close_sock: the timer is closed like the poll handle. */
void kn_close_timer(uv_timer_t *t) {
  uv_timer_stop(t);
  uv_close((uv_handle_t *)t, timer_closed);
}
