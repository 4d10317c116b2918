/* rtnetlink notification socket: NETLINK_ROUTE subscribed to the groups JS asks for, read on the
 * event loop with uv_poll. Datagrams go to JS unparsed (the TypeScript codec reads them). A kernel
 * overflow (recv fails with ENOBUFS: notifications were dropped) is not an error here: it is
 * reported to JS as `overflow`, after the datagrams read before it, and reading goes on, so JS can
 * resynchronise from a dump. NETLINK_NO_ENOBUFS is deliberately not set: it would hide the loss. */
#include "rxsock.h"

#include <errno.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A notification is at most a few pages (RTM_NEWLINK with VF info is the largest); 64 KiB holds any. */
#define NL_RXBUF_SIZE 65536
/* Datagrams handed to JS per readiness event: bounds one callback's work and its memory. */
#define NL_RX_BATCH 256
#define NL_MAX_GROUPS 32

/* callback(error: string | null, datagrams: Buffer[], overflow: boolean) */
static void deliver(kn_sock *s, napi_value err, napi_value list, int overflow) {
  napi_value argv[3] = {err, list, NULL};
  napi_get_boolean(s->env, overflow, &argv[2]);
  kn_rx_deliver(s, 3, argv);
}

static void on_readable(uv_poll_t *h, int status, int events) {
  kn_sock *s = h->data;
  napi_env env = s->env;
  napi_handle_scope scope;
  napi_value list, null;
  uint32_t count = 0;
  int overflow = 0;
  char failure[160] = "";
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_get_null(env, &null);
  napi_create_array(env, &list);
  if (status < 0) snprintf(failure, sizeof failure, "rtnetlink watch: poll: %s", uv_strerror(status));
  while (!failure[0] && count < NL_RX_BATCH && s->fd >= 0) {
    struct sockaddr_nl from;
    struct iovec iov = {.iov_base = s->rxbuf, .iov_len = NL_RXBUF_SIZE};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1};
    memset(&from, 0, sizeof from);
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (errno == ENOBUFS) {
        /* The kernel dropped notifications; what is still queued is valid and comes next. */
        overflow = 1;
        break;
      }
      snprintf(failure, sizeof failure, "rtnetlink watch: recvmsg: %s", strerror(errno));
      break;
    }
    /* Only the kernel (port 0) sends rtnetlink notifications; anything else is not one. */
    if (msg.msg_namelen < sizeof from || from.nl_family != AF_NETLINK || from.nl_pid != 0) continue;
    if (msg.msg_flags & MSG_TRUNC) {
      /* A part of a notification is as good as a lost one: resynchronise. */
      overflow = 1;
      break;
    }
    napi_value buf;
    void *data;
    if (napi_create_buffer_copy(env, (size_t)n, s->rxbuf, &data, &buf) != napi_ok) {
      snprintf(failure, sizeof failure, "rtnetlink watch: out of memory for a %zd-byte datagram", n);
      break;
    }
    napi_set_element(env, list, count++, buf);
  }
  napi_value err = null;
  if (failure[0]) napi_create_string_utf8(env, failure, NAPI_AUTO_LENGTH, &err);
  if (count || overflow || failure[0]) deliver(s, err, list, overflow);
  napi_close_handle_scope(env, scope);
}

/* SO_RCVBUFFORCE passes net.core.rmem_max (needs CAP_NET_ADMIN); SO_RCVBUF is capped by it. */
static void set_rcvbuf(int fd, int size) {
  if (size <= 0) return;
  if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) == 0) return;
  setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
}

/* rtnlOpen(groups: number[], recvBuffer, callback) -> {ok, handle, recvBuffer} | {ok:false, error}
 * groups are RTNLGRP_* numbers (1-63); recvBuffer is SO_RCVBUF in bytes (0: the kernel default). */
napi_value kn_rtnl_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_valuetype t;
  bool is_array = false;
  uint32_t ngroups = 0;
  int32_t groups[NL_MAX_GROUPS], rcvbuf;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return kn_err(env, "rtnlOpen: expects (groups, recvBuffer, callback)");
  if (napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array || napi_get_array_length(env, argv[0], &ngroups) != napi_ok)
    return kn_err(env, "rtnlOpen: groups must be an array of RTNLGRP_* numbers");
  if (ngroups == 0 || ngroups > NL_MAX_GROUPS) return kn_err(env, "rtnlOpen: 1-%d groups, not %u", NL_MAX_GROUPS, ngroups);
  for (uint32_t i = 0; i < ngroups; i++) {
    napi_value g;
    if (napi_get_element(env, argv[0], i, &g) != napi_ok || kn_get_int(env, g, &groups[i]) != 0 || groups[i] < 1 || groups[i] > 63)
      return kn_err(env, "rtnlOpen: group %u is not an RTNLGRP_* number (1-63)", i);
  }
  if (kn_get_int(env, argv[1], &rcvbuf) != 0 || rcvbuf < 0) return kn_err(env, "rtnlOpen: recvBuffer must be a byte count >= 0");
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function) return kn_err(env, "rtnlOpen: callback must be a function");

  int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) return kn_err_errno(env, errno, "rtnetlink watch: socket");
  set_rcvbuf(fd, rcvbuf);
  struct sockaddr_nl sa = {.nl_family = AF_NETLINK};
  if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    int e = errno;
    close(fd);
    return kn_err_errno(env, e, "rtnetlink watch: bind");
  }
  for (uint32_t i = 0; i < ngroups; i++) {
    if (setsockopt(fd, SOL_NETLINK, NETLINK_ADD_MEMBERSHIP, &groups[i], sizeof groups[i]) < 0) {
      int e = errno;
      close(fd);
      return kn_err_errno(env, e, "rtnetlink watch: join group %d", groups[i]);
    }
  }
  int actual = 0;
  socklen_t alen = sizeof actual;
  getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &actual, &alen);

  napi_value handle, err;
  if (!kn_rx_open(env, fd, KN_RTNL, "rtnetlink", NL_RXBUF_SIZE, argv[2], "keepalived:rtnl", on_readable, "rtnetlink watch", &handle, &err))
    return err;
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  kn_set_int(env, res, "recvBuffer", actual);
  return res;
}
