/* The receive-socket machinery shared by ip6.c, bfd.c and rtnl.c (see rxsock.h). */
#include "rxsock.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

void kn_rx_deliver(kn_sock *s, size_t argc, napi_value *argv) {
  napi_env env = s->env;
  napi_value cb, recv, ret;
  if (!s->cb || napi_get_reference_value(env, s->cb, &cb) != napi_ok || !cb) return;
  /* MakeCallback needs an object receiver. */
  napi_get_global(env, &recv);
  if (napi_make_callback(env, s->actx, recv, cb, argc, argv, &ret) == napi_pending_exception) {
    napi_value ex;
    /* As for any Node event emitter. */
    if (napi_get_and_clear_last_exception(env, &ex) == napi_ok) napi_fatal_exception(env, ex);
  }
}

static void deliver_error(kn_sock *s, const char *text) {
  napi_value argv[2];
  napi_create_string_utf8(s->env, text, NAPI_AUTO_LENGTH, &argv[0]);
  napi_get_null(s->env, &argv[1]);
  kn_rx_deliver(s, 2, argv);
}

void kn_rx_batch(uv_poll_t *h, int status, const kn_rx_kind *k) {
  kn_sock *s = h->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  if (status < 0) {
    deliver_error(s, uv_strerror(status));
    napi_close_handle_scope(s->env, scope);
    return;
  }
  for (int i = 0; i < KN_RX_BATCH && s->fd >= 0; i++) {
    struct sockaddr_storage from;
    /* Room for a TTL and a hop limit, and both kinds of packet info. */
    union {
      char buf[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
      struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = s->rxbuf, .iov_len = k->bufsize};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    memset(&from, 0, sizeof from);
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      char text[160];
      snprintf(text, sizeof text, "recvmsg on %s: %s", k->where ? k->where : s->ifname, strerror(errno));
      deliver_error(s, text);
      break;
    }
    napi_handle_scope inner;
    if (napi_open_handle_scope(s->env, &inner) != napi_ok) break;
    napi_value argv[2];
    napi_get_null(s->env, &argv[0]);
    argv[1] = k->describe(s, n, &from, &msg);
    kn_rx_deliver(s, 2, argv);
    napi_close_handle_scope(s->env, inner);
  }
  napi_close_handle_scope(s->env, scope);
}

kn_sock *kn_rx_open(napi_env env, int fd, enum kn_kind kind, const char *ifname, size_t bufsize, napi_value callback,
                    const char *resource, uv_poll_cb on_readable, const char *label, napi_value *handle, napi_value *error) {
  kn_sock *s = calloc(1, sizeof *s);
  unsigned char *rx = malloc(bufsize);
  uv_poll_t *poll = malloc(sizeof *poll);
  uv_loop_t *loop = NULL;
  if (!s || !rx || !poll || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(s), free(rx), free(poll), close(fd);
    *error = kn_err(env, "%s: out of memory", label);
    return NULL;
  }
  s->kind = kind;
  s->fd = fd;
  snprintf(s->ifname, sizeof s->ifname, "%s", ifname);
  s->env = env;
  s->rxbuf = rx;
  napi_value name;
  napi_create_string_utf8(env, resource, NAPI_AUTO_LENGTH, &name);
  *handle = kn_wrap(env, s);
  if (!*handle || napi_async_init(env, NULL, name, &s->actx) != napi_ok || napi_create_reference(env, callback, 1, &s->cb) != napi_ok) {
    free(poll);
    /* Without a handle nothing finalizes s; with one, its finalizer frees s and the buffer. */
    if (!*handle) {
      kn_close_sock(s), free(rx), free(s);
    } else {
      kn_close_sock(s);
    }
    *error = kn_err(env, "%s: could not set up the handle", label);
    return NULL;
  }
  int r = uv_poll_init_socket(loop, poll, fd);
  if (r == 0) {
    poll->data = s;
    s->poll = poll;
    r = uv_poll_start(poll, UV_READABLE, on_readable);
  } else {
    free(poll);
  }
  if (r != 0) {
    kn_close_sock(s);
    *error = kn_err(env, "%s: uv_poll: %s", label, uv_strerror(r));
    return NULL;
  }
  return s;
}
