/* BFD receive socket: UDP on [::]:PORT (IPv4 too, as v4-mapped) reporting each datagram's TTL /
 * hop limit and destination address, which Node's dgram cannot read. RFC 5881 single hop wants
 * packets whose TTL is not 255 dropped (GTSM); keepalived checks it per session (max_hops), so the
 * value is handed up rather than filtered here. Sending stays with dgram (bound, IP_TTL set). */
#include "addon.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BFD_RXBUF 2048
#define RX_BATCH 64

static int setint(int fd, int level, int opt, int val) { return setsockopt(fd, level, opt, &val, sizeof val); }

static void deliver(kn_sock *s, napi_value err, napi_value pkt) {
  napi_env env = s->env;
  napi_value cb, recv, argv[2] = {err, pkt}, ret;
  if (!s->cb || napi_get_reference_value(env, s->cb, &cb) != napi_ok || !cb) return;
  napi_get_global(env, &recv);
  if (napi_make_callback(env, s->actx, recv, cb, 2, argv, &ret) == napi_pending_exception) {
    napi_value ex;
    if (napi_get_and_clear_last_exception(env, &ex) == napi_ok) napi_fatal_exception(env, ex);
  }
}

/* Text of an address, v4-mapped IPv6 shown as IPv4. */
static void addr_text(int family, const void *a, char *out, size_t size) {
  if (family == AF_INET6 && IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)a)) {
    inet_ntop(AF_INET, (const unsigned char *)a + 12, out, (socklen_t)size);
    return;
  }
  inet_ntop(family, a, out, (socklen_t)size);
}

static napi_value packet_object(kn_sock *s, ssize_t n, const struct sockaddr_storage *from, struct msghdr *msg) {
  napi_env env = s->env;
  napi_value obj, buf;
  void *data;
  char text[INET6_ADDRSTRLEN];
  int ttl = -1;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) || (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
      if (c->cmsg_len >= CMSG_LEN(sizeof(int))) memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
    }
  }
  napi_create_object(env, &obj);
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      addr_text(AF_INET6, &pi.ipi6_addr, text, sizeof text);
      kn_set_str(env, obj, "dst", text);
    } else if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in_pktinfo))) {
      struct in_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      addr_text(AF_INET, &pi.ipi_addr, text, sizeof text);
      kn_set_str(env, obj, "dst", text);
    }
  }
  if (napi_create_buffer_copy(env, (size_t)n, s->rxbuf, &data, &buf) == napi_ok) kn_set_val(env, obj, "payload", buf);
  int port = 0;
  if (from->ss_family == AF_INET6) {
    const struct sockaddr_in6 *a = (const struct sockaddr_in6 *)from;
    addr_text(AF_INET6, &a->sin6_addr, text, sizeof text);
    port = ntohs(a->sin6_port);
  } else {
    const struct sockaddr_in *a = (const struct sockaddr_in *)from;
    addr_text(AF_INET, &a->sin_addr, text, sizeof text);
    port = ntohs(a->sin_port);
  }
  kn_set_str(env, obj, "src", text);
  kn_set_int(env, obj, "srcPort", port);
  kn_set_int(env, obj, "ttl", ttl);
  kn_set_int(env, obj, "truncated", (msg->msg_flags & MSG_TRUNC) ? 1 : 0);
  return obj;
}

static void on_readable(uv_poll_t *h, int status, int events) {
  kn_sock *s = h->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(s->env, &scope) != napi_ok) return;
  if (status < 0) {
    napi_value e, null;
    napi_create_string_utf8(s->env, uv_strerror(status), NAPI_AUTO_LENGTH, &e);
    napi_get_null(s->env, &null);
    deliver(s, e, null);
    napi_close_handle_scope(s->env, scope);
    return;
  }
  for (int i = 0; i < RX_BATCH && s->fd >= 0; i++) {
    struct sockaddr_storage from;
    union {
      char buf[CMSG_SPACE(sizeof(int)) * 2 + CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(struct in_pktinfo)) + 64];
      struct cmsghdr align;
    } ctl;
    struct iovec iov = {.iov_base = s->rxbuf, .iov_len = BFD_RXBUF};
    struct msghdr msg = {.msg_name = &from, .msg_namelen = sizeof from, .msg_iov = &iov, .msg_iovlen = 1,
                         .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
    memset(&from, 0, sizeof from);
    ssize_t n = recvmsg(s->fd, &msg, MSG_DONTWAIT);
    if (n < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      napi_value e, null;
      char text[160];
      snprintf(text, sizeof text, "recvmsg on the BFD socket: %s", strerror(errno));
      napi_create_string_utf8(s->env, text, NAPI_AUTO_LENGTH, &e);
      napi_get_null(s->env, &null);
      deliver(s, e, null);
      break;
    }
    napi_handle_scope inner;
    if (napi_open_handle_scope(s->env, &inner) != napi_ok) break;
    napi_value null;
    napi_get_null(s->env, &null);
    deliver(s, null, packet_object(s, n, &from, &msg));
    napi_close_handle_scope(s->env, inner);
  }
  napi_close_handle_scope(s->env, scope);
}

/* A dual-stack socket on [::]:port; an IPv4 one when the host has no IPv6 (as keepalived). */
static int open_fd(int port, const char **failed) {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd >= 0) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
    if (setint(fd, IPPROTO_IPV6, IPV6_V6ONLY, 0) < 0) *failed = "IPV6_V6ONLY";
    else if (setint(fd, IPPROTO_IP, IP_RECVTTL, 1) < 0) *failed = "IP_RECVTTL";
    else if (setint(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) *failed = "IPV6_RECVHOPLIMIT";
    else if (setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) *failed = "IPV6_RECVPKTINFO";
    else if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) *failed = "bind";
    else return fd;
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  if (errno != EAFNOSUPPORT) {
    *failed = "socket";
    return -1;
  }
  fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd < 0) {
    *failed = "socket(AF_INET)";
    return -1;
  }
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port), .sin_addr = {.s_addr = htonl(INADDR_ANY)}};
  if (setint(fd, IPPROTO_IP, IP_RECVTTL, 1) < 0) *failed = "IP_RECVTTL";
  else if (setint(fd, IPPROTO_IP, IP_PKTINFO, 1) < 0) *failed = "IP_PKTINFO";
  else if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) *failed = "bind";
  else return fd;
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}

/* bfdOpen(port, callback(err, packet)) -> {ok:true, handle} | {ok:false, error} */
static napi_value kn_bfd_open(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  int32_t port = 0;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2) return kn_err(env, "bfdOpen: expects (port, callback)");
  if (kn_get_int(env, argv[0], &port) != 0 || port < 1 || port > 65535) return kn_err(env, "bfdOpen: port must be an integer 1-65535");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return kn_err(env, "bfdOpen: callback must be a function");
  const char *failed = "socket";
  int fd = open_fd(port, &failed);
  if (fd < 0) return kn_err_errno(env, errno, "BFD socket on port %d: %s", port, failed);

  kn_sock *s = calloc(1, sizeof *s);
  unsigned char *rx = malloc(BFD_RXBUF);
  uv_poll_t *poll = malloc(sizeof *poll);
  uv_loop_t *loop = NULL;
  if (!s || !rx || !poll || napi_get_uv_event_loop(env, &loop) != napi_ok) {
    free(s), free(rx), free(poll), close(fd);
    return kn_err(env, "BFD socket on port %d: out of memory", port);
  }
  s->kind = KN_BFD;
  s->fd = fd;
  snprintf(s->ifname, sizeof s->ifname, "bfd:%d", port);
  s->env = env;
  s->rxbuf = rx;
  napi_value name;
  napi_create_string_utf8(env, "keepalived:bfd", NAPI_AUTO_LENGTH, &name);
  napi_value handle = kn_wrap(env, s);
  if (!handle || napi_async_init(env, NULL, name, &s->actx) != napi_ok || napi_create_reference(env, argv[1], 1, &s->cb) != napi_ok) {
    free(poll);
    if (!handle) {
      kn_close_sock(s), free(rx), free(s);
    } else {
      kn_close_sock(s);
    }
    return kn_err(env, "BFD socket on port %d: could not set up the handle", port);
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
    return kn_err(env, "BFD socket on port %d: uv_poll: %s", port, uv_strerror(r));
  }
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  return res;
}

void kn_bfd_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"bfdOpen", NULL, kn_bfd_open, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
