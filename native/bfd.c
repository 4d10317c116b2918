/* BFD receive socket: UDP on [::]:PORT (IPv4 too, as v4-mapped) reporting each datagram's TTL /
 * hop limit and destination address, which Node's dgram cannot read. RFC 5881 single hop wants
 * packets whose TTL is not 255 dropped (GTSM); keepalived checks it per session (max_hops), so the
 * value is handed up rather than filtered here. Sending stays with dgram (bound, IP_TTL set). */
#include "rxsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define BFD_RXBUF 2048

static int setint(int fd, int level, int opt, int val) { return setsockopt(fd, level, opt, &val, sizeof val); }

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

static const kn_rx_kind bfd_rx = {.bufsize = BFD_RXBUF, .where = "the BFD socket", .describe = packet_object};

static void on_readable(uv_poll_t *h, int status, int events) { kn_rx_batch(h, status, &bfd_rx); }

struct sockopt {
  int level, name, value;
  const char *what;
};

static const struct sockopt v6_opts[] = {
    {IPPROTO_IPV6, IPV6_V6ONLY, 0, "IPV6_V6ONLY"},
    {IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"},
    {IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1, "IPV6_RECVHOPLIMIT"},
    {IPPROTO_IPV6, IPV6_RECVPKTINFO, 1, "IPV6_RECVPKTINFO"},
};
static const struct sockopt v4_opts[] = {
    {IPPROTO_IP, IP_RECVTTL, 1, "IP_RECVTTL"},
    {IPPROTO_IP, IP_PKTINFO, 1, "IP_PKTINFO"},
};

/* Sets the options and binds; on failure closes fd (errno kept), names the step and returns -1. */
static int setup(int fd, const struct sockopt *opts, size_t nopts, const void *sa, socklen_t salen, const char **failed) {
  for (size_t i = 0; i < nopts; i++) {
    if (setint(fd, opts[i].level, opts[i].name, opts[i].value) < 0) {
      *failed = opts[i].what;
      goto fail;
    }
  }
  if (bind(fd, (const struct sockaddr *)sa, salen) == 0) return fd;
  *failed = "bind";
fail:;
  int e = errno;
  close(fd);
  errno = e;
  return -1;
}

/* A dual-stack socket on [::]:port; an IPv4 one when the host has no IPv6 (as keepalived). */
static int open_fd(int port, const char **failed) {
  int fd = socket(AF_INET6, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
  if (fd >= 0) {
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_port = htons((uint16_t)port), .sin6_addr = IN6ADDR_ANY_INIT};
    return setup(fd, v6_opts, sizeof v6_opts / sizeof v6_opts[0], &sa, sizeof sa, failed);
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
  return setup(fd, v4_opts, sizeof v4_opts / sizeof v4_opts[0], &sa, sizeof sa, failed);
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

  char label[48], ifname[IF_NAMESIZE];
  snprintf(label, sizeof label, "BFD socket on port %d", (int)port);
  snprintf(ifname, sizeof ifname, "bfd:%d", (int)port);
  napi_value handle, err;
  if (!kn_rx_open(env, fd, KN_BFD, ifname, BFD_RXBUF, argv[1], "keepalived:bfd", on_readable, label, &handle, &err)) return err;
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
