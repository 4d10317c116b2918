/* Address arguments shared by markConnect (mark.c) and tcpBatchAdd (tcpcheck-js.c). */
#ifndef KEEPALIVED_NET_SOCKADDR_H
#define KEEPALIVED_NET_SOCKADDR_H

#include <node_api.h>
#include <stddef.h>
#include <sys/socket.h>

/* A numeric address (v4, v6, v6%scope) and port into a sockaddr; 0 on success, -1 otherwise. */
int kn_numeric_addr(const char *text, int port, struct sockaddr_storage *out, socklen_t *len);

/* Optional string argument: undefined/null -> empty. Returns 0, or -1 when not a usable string. */
int kn_opt_string(napi_env env, napi_value v, char *buf, size_t size);

#endif
