/* IPv6 VRRP socket: raw IPPROTO_VRRP bound to one interface. Receiving reports the hop limit
 * and destination (ancillary data Node cannot read); sending picks the source address with
 * IPV6_PKTINFO, because the VRRPv3 checksum covers it and the codec has already computed it. */
#include "rxsock.h"

#include <arpa/inet.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define VRRP_PROTO 112
#define RXBUF_SIZE 65536

static const char vrrp_group6[] = "ff02::12";

static int setint(int fd, int level, int opt, int val) { return setsockopt(fd, level, opt, &val, sizeof val); }

/* The first link-local address of the interface (what keepalived uses as an IPv6 source). */
static int link_local(const char *ifname, struct in6_addr *out) {
  struct ifaddrs *ifa, *p;
  int found = -1;
  if (getifaddrs(&ifa) != 0) return -1;
  for (p = ifa; p; p = p->ifa_next) {
    if (!p->ifa_addr || p->ifa_addr->sa_family != AF_INET6 || strcmp(p->ifa_name, ifname) != 0) continue;
    const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)p->ifa_addr;
    if (IN6_IS_ADDR_LINKLOCAL(&sin6->sin6_addr)) {
      *out = sin6->sin6_addr;
      found = 0;
      break;
    }
  }
  freeifaddrs(ifa);
  return found;
}

static napi_value packet_object(kn_sock *s, ssize_t n, const struct sockaddr_storage *from_ss, struct msghdr *msg) {
  napi_env env = s->env;
  const struct sockaddr_in6 *from = (const struct sockaddr_in6 *)from_ss;
  napi_value obj, buf;
  void *data;
  char text[INET6_ADDRSTRLEN];
  int hop = -1, ifindex = 0;
  struct in6_addr dst;
  int have_dst = 0;
  for (struct cmsghdr *c = CMSG_FIRSTHDR(msg); c; c = CMSG_NXTHDR(msg, c)) {
    if (c->cmsg_level != IPPROTO_IPV6) continue;
    if (c->cmsg_type == IPV6_HOPLIMIT && c->cmsg_len >= CMSG_LEN(sizeof(int))) {
      memcpy(&hop, CMSG_DATA(c), sizeof hop);
    } else if (c->cmsg_type == IPV6_PKTINFO && c->cmsg_len >= CMSG_LEN(sizeof(struct in6_pktinfo))) {
      struct in6_pktinfo pi;
      memcpy(&pi, CMSG_DATA(c), sizeof pi);
      dst = pi.ipi6_addr;
      ifindex = (int)pi.ipi6_ifindex;
      have_dst = 1;
    }
  }
  napi_create_object(env, &obj);
  if (napi_create_buffer_copy(env, (size_t)n, s->rxbuf, &data, &buf) == napi_ok) kn_set_val(env, obj, "payload", buf);
  inet_ntop(AF_INET6, &from->sin6_addr, text, sizeof text);
  kn_set_str(env, obj, "src", text);
  if (have_dst) {
    inet_ntop(AF_INET6, &dst, text, sizeof text);
    kn_set_str(env, obj, "dst", text);
  }
  kn_set_int(env, obj, "hopLimit", hop);
  kn_set_int(env, obj, "ifindex", ifindex);
  kn_set_int(env, obj, "truncated", (msg->msg_flags & MSG_TRUNC) ? 1 : 0);
  return obj;
}

static const kn_rx_kind vrrp6_rx = {.bufsize = RXBUF_SIZE, .where = NULL, .describe = packet_object};

static void on_readable(uv_poll_t *h, int status, int events) { kn_rx_batch(h, status, &vrrp6_rx); }

/* Socket options as keepalived sets them on its IPv6 VRRP sockets (vrrp_if.c, vrrp.c). */
static const char *configure(int fd, const char *ifname, int ifindex, int join) {
  if (setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, ifname, (socklen_t)strlen(ifname) + 1) < 0) return "SO_BINDTODEVICE";
  if (setint(fd, IPPROTO_IPV6, IPV6_RECVHOPLIMIT, 1) < 0) return "IPV6_RECVHOPLIMIT";
  if (setint(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, 1) < 0) return "IPV6_RECVPKTINFO";
  if (setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_HOPS, 255) < 0) return "IPV6_MULTICAST_HOPS";
  if (setint(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, 255) < 0) return "IPV6_UNICAST_HOPS";
  if (setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_LOOP, 0) < 0) return "IPV6_MULTICAST_LOOP";
  if (setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_IF, ifindex) < 0) return "IPV6_MULTICAST_IF";
  /* A receive buffer that survives a flood (the default drops the master's adverts with the rest);
   * SO_RCVBUFFORCE passes net.core.rmem_max with CAP_NET_ADMIN, SO_RCVBUF is capped by it.
   * Same size as the IPv4 sockets (VRRP_RCVBUF_BYTES in vrrp-socket.ts). */
  if (setint(fd, SOL_SOCKET, SO_RCVBUFFORCE, 1 << 20) < 0 && setint(fd, SOL_SOCKET, SO_RCVBUF, 1 << 20) < 0) return "SO_RCVBUF";
  /* Network control traffic class, as keepalived. */
  if (setint(fd, IPPROTO_IPV6, IPV6_TCLASS, 0xc0) < 0) return "IPV6_TCLASS";
#ifdef IPV6_MULTICAST_ALL
  /* Only the groups this socket joined, not every group joined on the host. */
  if (setint(fd, IPPROTO_IPV6, IPV6_MULTICAST_ALL, 0) < 0) return "IPV6_MULTICAST_ALL";
#endif
  if (join) {
    struct ipv6_mreq mr;
    memset(&mr, 0, sizeof mr);
    inet_pton(AF_INET6, vrrp_group6, &mr.ipv6mr_multiaddr);
    mr.ipv6mr_interface = (unsigned)ifindex;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_ADD_MEMBERSHIP, &mr, sizeof mr) < 0) return "IPV6_ADD_MEMBERSHIP ff02::12";
    /* Bound to the group, the socket does not see unicast VRRP (keepalived does the same). */
    struct sockaddr_in6 sa = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)ifindex};
    sa.sin6_addr = mr.ipv6mr_multiaddr;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) < 0) return "bind ff02::12";
  }
  return NULL;
}

/* ip6Open(ifname, joinMulticast, callback(err, packet)) -> {ok, handle, ifindex} | {ok:false, error} */
napi_value kn_ip6_open(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], err;
  char ifname[IF_NAMESIZE];
  int ifindex;
  bool join = false;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 3) return kn_err(env, "ip6Open: expects (ifname, joinMulticast, callback)");
  if (kn_check_ifname(env, argv[0], ifname, &ifindex, &err) != 0) return err;
  if (napi_get_value_bool(env, argv[1], &join) != napi_ok) return kn_err(env, "ip6Open: joinMulticast must be a boolean");
  if (napi_typeof(env, argv[2], &t) != napi_ok || t != napi_function) return kn_err(env, "ip6Open: callback must be a function");

  int fd = socket(AF_INET6, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, VRRP_PROTO);
  if (fd < 0) return kn_err_errno(env, errno, "IPv6 VRRP socket on %s", ifname);
  const char *failed = configure(fd, ifname, ifindex, join);
  if (failed) {
    int e = errno;
    close(fd);
    return kn_err_errno(env, e, "IPv6 VRRP socket on %s: %s", ifname, failed);
  }

  char label[IF_NAMESIZE + 32];
  snprintf(label, sizeof label, "IPv6 VRRP socket on %s", ifname);
  napi_value handle;
  kn_sock *s = kn_rx_open(env, fd, KN_IP6, ifname, RXBUF_SIZE, argv[2], "keepalived:vrrp6", on_readable, label, &handle, &err);
  if (!s) return err;
  s->ifindex = ifindex;
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  kn_set_int(env, res, "ifindex", ifindex);
  return res;
}

/* ip6Send(handle, payload, dst, src?) -> {ok:true, src} | {ok:false, error} */
napi_value kn_ip6_send(napi_env env, napi_callback_info info) {
  size_t argc = 4;
  napi_value argv[4];
  char dst_text[INET6_ADDRSTRLEN + 1], src_text[INET6_ADDRSTRLEN + 1];
  void *data;
  size_t len;
  napi_valuetype t = napi_undefined;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  kn_sock *s = argc >= 1 ? kn_unwrap(env, argv[0], KN_IP6) : NULL;
  if (!s) return kn_err(env, "send: not an IPv6 VRRP socket handle");
  if (s->fd < 0) return kn_err(env, "send on %s: socket is closed", s->ifname);
  if (argc < 3 || kn_get_bytes(env, argv[1], &data, &len) != 0) return kn_err(env, "send on %s: payload must be a Uint8Array", s->ifname);
  if (len == 0 || len > 65535) return kn_err(env, "send on %s: payload length %zu is not 1-65535", s->ifname, len);
  struct sockaddr_in6 to = {.sin6_family = AF_INET6, .sin6_scope_id = (uint32_t)s->ifindex};
  if (kn_get_string(env, argv[2], dst_text, sizeof dst_text) != 0 || inet_pton(AF_INET6, dst_text, &to.sin6_addr) != 1)
    return kn_err(env, "send on %s: destination is not an IPv6 address", s->ifname);

  struct in6_pktinfo pi = {.ipi6_ifindex = (unsigned)s->ifindex};
  if (argc >= 4) napi_typeof(env, argv[3], &t);
  if (t == napi_undefined || t == napi_null) {
    if (link_local(s->ifname, &pi.ipi6_addr) != 0) return kn_err(env, "send on %s: no link-local address to send from", s->ifname);
  } else if (kn_get_string(env, argv[3], src_text, sizeof src_text) != 0 || inet_pton(AF_INET6, src_text, &pi.ipi6_addr) != 1) {
    return kn_err(env, "send on %s: source is not an IPv6 address", s->ifname);
  }

  union {
    char buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
    struct cmsghdr align;
  } ctl;
  memset(&ctl, 0, sizeof ctl);
  struct iovec iov = {.iov_base = data, .iov_len = len};
  struct msghdr msg = {.msg_name = &to, .msg_namelen = sizeof to, .msg_iov = &iov, .msg_iovlen = 1,
                       .msg_control = ctl.buf, .msg_controllen = sizeof ctl.buf};
  struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
  c->cmsg_level = IPPROTO_IPV6;
  c->cmsg_type = IPV6_PKTINFO;
  c->cmsg_len = CMSG_LEN(sizeof pi);
  memcpy(CMSG_DATA(c), &pi, sizeof pi);

  char used[INET6_ADDRSTRLEN];
  inet_ntop(AF_INET6, &pi.ipi6_addr, used, sizeof used);
  if (sendmsg(s->fd, &msg, MSG_DONTWAIT) < 0) {
    int e = errno;
    inet_ntop(AF_INET6, &to.sin6_addr, dst_text, sizeof dst_text);
    return kn_err_errno(env, e, "send on %s from %s to %s", s->ifname, used, dst_text);
  }
  napi_value res = kn_ok(env);
  kn_set_str(env, res, "src", used);
  return res;
}

/* ip6LinkLocal(ifname) -> {ok:true, addr} | {ok:false, error} */
napi_value kn_ip6_link_local(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], err;
  char ifname[IF_NAMESIZE], text[INET6_ADDRSTRLEN];
  int ifindex;
  struct in6_addr a;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return kn_err(env, "ip6LinkLocal: expects (ifname)");
  if (kn_check_ifname(env, argv[0], ifname, &ifindex, &err) != 0) return err;
  if (link_local(ifname, &a) != 0) return kn_err(env, "interface %s has no link-local IPv6 address", ifname);
  inet_ntop(AF_INET6, &a, text, sizeof text);
  napi_value res = kn_ok(env);
  kn_set_str(env, res, "addr", text);
  return res;
}
