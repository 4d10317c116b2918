/* See sockaddr.h. */
#include "sockaddr.h"

#include "addon.h"

#include <netdb.h>
#include <stdio.h>
#include <string.h>

int kn_numeric_addr(const char *text, int port, struct sockaddr_storage *out, socklen_t *len) {
  struct addrinfo hints, *ai = NULL;
  char service[8];
  memset(&hints, 0, sizeof hints);
  /* Numeric only: a host name would block the event loop on DNS. */
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(service, sizeof service, "%d", port);
  if (getaddrinfo(text, service, &hints, &ai) != 0 || !ai) return -1;
  memcpy(out, ai->ai_addr, ai->ai_addrlen);
  *len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return 0;
}

int kn_opt_string(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype t;
  buf[0] = '\0';
  if (napi_typeof(env, v, &t) != napi_ok) return -1;
  if (t == napi_undefined || t == napi_null) return 0;
  return kn_get_string(env, v, buf, size) == 0 ? 0 : -1;
}
