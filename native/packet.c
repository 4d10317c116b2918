/* AF_PACKET socket that sends whole Ethernet frames (gratuitous ARP, unsolicited NA) on one
 * interface. Bound with protocol 0 so it never queues received frames. */
#include "addon.h"

#include <errno.h>
#include <linux/if_packet.h>
#include <net/ethernet.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* packetOpen(ifname) -> {ok:true, handle, ifindex} | {ok:false, error} */
napi_value kn_packet_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1], err;
  char ifname[IF_NAMESIZE];
  int ifindex;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1) return kn_err(env, "packetOpen: expects (ifname)");
  if (kn_check_ifname(env, argv[0], ifname, &ifindex, &err) != 0) return err;
  int fd = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) return kn_err_errno(env, errno, "packet socket on %s", ifname);
  struct sockaddr_ll sll = {.sll_family = AF_PACKET, .sll_protocol = 0, .sll_ifindex = ifindex};
  if (bind(fd, (struct sockaddr *)&sll, sizeof sll) < 0) {
    int e = errno;
    close(fd);
    return kn_err_errno(env, e, "packet socket on %s: bind", ifname);
  }
  kn_sock *s = calloc(1, sizeof *s);
  if (!s) {
    close(fd);
    return kn_err(env, "packet socket on %s: out of memory", ifname);
  }
  s->kind = KN_PACKET;
  s->fd = fd;
  s->ifindex = ifindex;
  s->env = env;
  memcpy(s->ifname, ifname, sizeof s->ifname);
  napi_value handle = kn_wrap(env, s);
  if (!handle) {
    kn_close_sock(s);
    free(s);
    return kn_err(env, "packet socket on %s: could not set up the handle", ifname);
  }
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  kn_set_int(env, res, "ifindex", ifindex);
  return res;
}

/* packetSend(handle, frame) -> {ok:true} | {ok:false, error}. `frame` starts with the Ethernet header. */
napi_value kn_packet_send(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  void *data;
  size_t len;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  kn_sock *s = argc >= 1 ? kn_unwrap(env, argv[0], KN_PACKET) : NULL;
  if (!s) return kn_err(env, "send: not a packet socket handle");
  if (s->fd < 0) return kn_err(env, "send on %s: socket is closed", s->ifname);
  if (argc < 2 || kn_get_bytes(env, argv[1], &data, &len) != 0) return kn_err(env, "send on %s: frame must be a Uint8Array", s->ifname);
  if (len < ETH_HLEN || len > 65535) return kn_err(env, "send on %s: frame length %zu is not %d-65535", s->ifname, len, ETH_HLEN);
  const unsigned char *f = data;
  /* The kernel takes the frame's protocol from the address, not from the frame: copy it across. */
  struct sockaddr_ll to = {.sll_family = AF_PACKET, .sll_ifindex = s->ifindex, .sll_halen = ETH_ALEN};
  memcpy(&to.sll_protocol, f + 12, 2);
  memcpy(to.sll_addr, f, ETH_ALEN);
  if (sendto(s->fd, data, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof to) < 0)
    return kn_err_errno(env, errno, "send frame on %s", s->ifname);
  return kn_ok(env);
}
