/* One receive socket under uv_poll for the datagram kinds (IPv6 VRRP, BFD, rtnetlink): the handle
 * set-up, the callback into JS, and a bounded recvmsg loop that asks the kind to describe each
 * datagram (what ancillary data it reports differs; the loop does not). */
#ifndef KEEPALIVED_NET_RXSOCK_H
#define KEEPALIVED_NET_RXSOCK_H

#include "addon.h"

#include <sys/socket.h>
#include <sys/types.h>

/* Datagrams read per readiness event, so a flood cannot starve the event loop. */
#define KN_RX_BATCH 64

typedef struct kn_rx_kind {
  size_t bufsize;    /* receive buffer, as given to kn_rx_open */
  const char *where; /* "recvmsg on <where>" in errors; NULL: the socket's ifname */
  /* The JS object for one datagram of n bytes in s->rxbuf. */
  napi_value (*describe)(kn_sock *s, ssize_t n, const struct sockaddr_storage *from, struct msghdr *msg);
} kn_rx_kind;

/* callback(...argv) on the socket's async context; a throwing listener is an uncaught exception. */
void kn_rx_deliver(kn_sock *s, size_t argc, napi_value *argv);

/* The uv_poll callback's body for a kind: callback(error|null, packet|null) per datagram. */
void kn_rx_batch(uv_poll_t *h, int status, const kn_rx_kind *k);

/* Wraps fd (owned from here on, closed on failure) in a handle of `kind` with a `bufsize` receive
 * buffer and `callback`, and starts polling with on_readable. `label` starts every error text and
 * `resource` names the async resource. Returns the socket with *handle set, or NULL with *error set. */
kn_sock *kn_rx_open(napi_env env, int fd, enum kn_kind kind, const char *ifname, size_t bufsize, napi_value callback,
                    const char *resource, uv_poll_cb on_readable, const char *label, napi_value *handle, napi_value *error);

#endif
