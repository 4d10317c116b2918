/* The tcpBatch* functions JS calls (src/check/tcp-batch.ts): open a batch, register targets (parsed
 * here once), submit runs, cancel, remove, close. Bad arguments give {ok:false, error} or -1/false,
 * never an exception. */
#include "sockaddr.h"
#include "tcpcheck.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <unistd.h>

static const napi_type_tag tb_tag = {0x6b65657061746362ULL, 0x7463702d62617463ULL};

static tb_batch *unwrap(napi_env env, napi_value v) {
  napi_valuetype ty;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, v, &ty) != napi_ok || ty != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, &tb_tag, &tagged) != napi_ok || !tagged) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return data;
}

static void finalize(napi_env env, void *data, void *hint) {
  tb_batch *b = data;
  tb_shutdown(b);
  free(b->t), free(b->free_ids), free(b->heap);
  free(b);
}

/* tcpBatchOpen(cb(count)) -> {ok:true, handle, rows: Int32Array, elapsed: Float64Array} | {ok:false, error} */
static napi_value tb_open(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_valuetype ty;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_typeof(env, argv[0], &ty) != napi_ok || ty != napi_function) return kn_err(env, "tcpBatchOpen: expects (callback)");
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok) return kn_err(env, "tcpBatchOpen: no event loop");
  tb_batch *b = calloc(1, sizeof *b);
  if (!b) return kn_err_errno(env, ENOMEM, "tcpBatchOpen");
  b->env = env;
  b->ep = epoll_create1(EPOLL_CLOEXEC);
  if (b->ep < 0) {
    int e = errno;
    free(b);
    return kn_err_errno(env, e, "tcpBatchOpen: epoll_create1");
  }
  napi_value handle, rows_ab, rows, el_ab, el, name;
  void *rows_data, *el_data;
  if (napi_create_external(env, b, finalize, NULL, &handle) != napi_ok) {
    close(b->ep);
    free(b);
    return kn_err(env, "tcpBatchOpen: could not make the handle");
  }
  napi_type_tag_object(env, handle, &tb_tag);
  /* From here the finalizer owns b. */
  b->poll = malloc(sizeof *b->poll);
  b->timer = malloc(sizeof *b->timer);
  if (!b->poll || !b->timer) {
    free(b->poll), free(b->timer), b->poll = NULL, b->timer = NULL;
    tb_shutdown(b);
    return kn_err_errno(env, ENOMEM, "tcpBatchOpen");
  }
  if (uv_poll_init(loop, b->poll, b->ep) != 0) {
    free(b->poll), b->poll = NULL;
    free(b->timer), b->timer = NULL;
    tb_shutdown(b);
    return kn_err(env, "tcpBatchOpen: uv_poll_init failed");
  }
  b->poll->data = b;
  uv_timer_init(loop, b->timer);
  uv_unref((uv_handle_t *)b->timer); /* a run in flight keeps the loop alive through the poll handle */
  b->timer->data = b;
  if (napi_create_arraybuffer(env, (size_t)TB_RESULTS * TB_ROW * sizeof(int32_t), &rows_data, &rows_ab) != napi_ok ||
      napi_create_typedarray(env, napi_int32_array, (size_t)TB_RESULTS * TB_ROW, rows_ab, 0, &rows) != napi_ok ||
      napi_create_arraybuffer(env, (size_t)TB_RESULTS * sizeof(double), &el_data, &el_ab) != napi_ok ||
      napi_create_typedarray(env, napi_float64_array, TB_RESULTS, el_ab, 0, &el) != napi_ok ||
      napi_create_reference(env, rows, 1, &b->rows_ref) != napi_ok || napi_create_reference(env, el, 1, &b->elapsed_ref) != napi_ok ||
      napi_create_reference(env, argv[0], 1, &b->cb) != napi_ok) {
    tb_shutdown(b);
    return kn_err(env, "tcpBatchOpen: could not make the result arrays");
  }
  b->rows = rows_data;
  b->elapsed = el_data;
  napi_create_string_utf8(env, "keepalived:tcpBatch", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &b->actx) != napi_ok) {
    tb_shutdown(b);
    return kn_err(env, "tcpBatchOpen: could not set up the callback");
  }
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  kn_set_val(env, res, "rows", rows);
  kn_set_val(env, res, "elapsed", el);
  kn_set_int(env, res, "capacity", TB_RESULTS);
  return res;
}

/* tcpBatchAdd(handle, address, port, bindAddress|null, bindPort, bindIf|null, mark, timeoutMs)
 *   -> {ok:true, id} | {ok:false, error} (the error names the argument and the value). */
static napi_value tb_add(napi_env env, napi_callback_info info) {
  size_t argc = 8;
  napi_value argv[8];
  char addr[ADDR_TEXT], bind_addr[ADDR_TEXT], bind_if[IF_NAMESIZE];
  int32_t port, bind_port, timeout_ms;
  double mark_d;
  napi_valuetype ty;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 8) return kn_err(env, "tcpBatchAdd: expects (handle, address, port, bindAddress, bindPort, bindIf, mark, timeoutMs)");
  tb_batch *b = unwrap(env, argv[0]);
  if (!b || b->closed) return kn_err(env, "tcpBatchAdd: not an open batch handle");
  if (kn_get_string(env, argv[1], addr, sizeof addr) != 0) return kn_err(env, "tcpBatchAdd: address must be an IP address string");
  if (kn_get_int(env, argv[2], &port) != 0 || port < 1 || port > 65535) return kn_err(env, "tcpBatchAdd: port must be an integer 1-65535");
  if (kn_opt_string(env, argv[3], bind_addr, sizeof bind_addr) != 0) return kn_err(env, "tcpBatchAdd: bindAddress must be an IP address string");
  if (kn_get_int(env, argv[4], &bind_port) != 0 || bind_port < 0 || bind_port > 65535) return kn_err(env, "tcpBatchAdd: bindPort must be an integer 0-65535");
  if (kn_opt_string(env, argv[5], bind_if, sizeof bind_if) != 0) return kn_err(env, "tcpBatchAdd: bindIf must be an interface name of at most %d bytes", IF_NAMESIZE - 1);
  if (napi_typeof(env, argv[6], &ty) != napi_ok || ty != napi_number || napi_get_value_double(env, argv[6], &mark_d) != napi_ok ||
      !(mark_d >= 0 && mark_d <= 4294967295.0) || mark_d != (double)(uint32_t)mark_d)
    return kn_err(env, "tcpBatchAdd: mark must be an integer 0-4294967295");
  if (kn_get_int(env, argv[7], &timeout_ms) != 0 || timeout_ms < 1) return kn_err(env, "tcpBatchAdd: timeoutMs must be a positive integer");

  tb_target t;
  memset(&t, 0, sizeof t);
  if (kn_numeric_addr(addr, port, &t.dst, &t.dst_len) != 0) return kn_err(env, "tcpBatchAdd: '%s' is not an IP address", addr);
  if (bind_addr[0] || bind_port) {
    const char *any = t.dst.ss_family == AF_INET6 ? "::" : "0.0.0.0";
    if (kn_numeric_addr(bind_addr[0] ? bind_addr : any, bind_port, &t.src, &t.src_len) != 0 || t.src.ss_family != t.dst.ss_family)
      return kn_err(env, "tcpBatchAdd: bind address '%s' is not an IP address of %s's family", bind_addr, addr);
  }
  memcpy(t.bind_if, bind_if, sizeof t.bind_if);
  t.mark = (uint32_t)mark_d;
  t.timeout_ms = (uint32_t)timeout_ms;
  t.fd = -1;
  t.used = true;
  t.plain = !t.mark && !t.bind_if[0] && !t.src_len;

  uint32_t id;
  if (b->nfree) {
    id = b->free_ids[--b->nfree];
    t.seq = b->t[id].seq + 1; /* stale events of the slot's former owner stay stale */
  } else {
    if (b->count == TB_MAX_TARGETS) return kn_err(env, "tcpBatchAdd: more than %u targets", TB_MAX_TARGETS);
    if (b->count == b->cap) {
      uint32_t cap = b->cap ? b->cap * 2 : 256;
      tb_target *nt = realloc(b->t, cap * sizeof *nt);
      if (!nt) return kn_err_errno(env, ENOMEM, "tcpBatchAdd");
      b->t = nt;
      uint32_t *nf = realloc(b->free_ids, cap * sizeof *nf);
      if (!nf) return kn_err_errno(env, ENOMEM, "tcpBatchAdd");
      b->free_ids = nf;
      b->cap = cap;
    }
    id = b->count++;
  }
  b->t[id] = t;
  napi_value res = kn_ok(env);
  kn_set_int(env, res, "id", id);
  return res;
}

static bool get_id(napi_env env, tb_batch *b, napi_value v, uint32_t *id) {
  int32_t i;
  if (kn_get_int(env, v, &i) != 0 || i < 0 || (uint32_t)i >= b->count || !b->t[i].used) return false;
  *id = (uint32_t)i;
  return true;
}

/* tcpBatchRemove(handle, id) -> true | false (unknown id): ends its run (no result) and frees the id. */
static napi_value tb_remove(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], r;
  uint32_t id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tb_batch *b = argc >= 2 ? unwrap(env, argv[0]) : NULL;
  bool ok = b && !b->closed && get_id(env, b, argv[1], &id);
  if (ok) {
    tb_end_run(b, id, true);
    b->t[id].used = false;
    b->free_ids[b->nfree++] = id;
    tb_rearm(b);
  }
  napi_get_boolean(env, ok, &r);
  return r;
}

/* tcpBatchCancel(handle, id) -> true when a run was in flight: it ends with no result. */
static napi_value tb_cancel(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2], r;
  uint32_t id;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tb_batch *b = argc >= 2 ? unwrap(env, argv[0]) : NULL;
  bool was = false;
  if (b && !b->closed && get_id(env, b, argv[1], &id) && b->t[id].fd >= 0) {
    tb_end_run(b, id, true);
    tb_rearm(b);
    was = true;
  }
  napi_get_boolean(env, was, &r);
  return r;
}

/* tcpBatchSubmit(handle, runs: Uint32Array of (id, gen) pairs, count) -> runs started, or -1 for a
 * bad handle/array. Results of runs that end at once (refused by the local stack, bind failed, ...)
 * come through the callback before this returns; the others on later loop turns. Unknown ids are
 * skipped (not counted). */
static napi_value tb_submit(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3], r;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tb_batch *b = argc >= 3 ? unwrap(env, argv[0]) : NULL;
  napi_typedarray_type ty;
  size_t len = 0;
  void *data = NULL;
  bool is = false;
  int32_t n;
  if (!b || b->closed || napi_is_typedarray(env, argv[1], &is) != napi_ok || !is ||
      napi_get_typedarray_info(env, argv[1], &ty, &len, &data, NULL, NULL) != napi_ok || ty != napi_uint32_array ||
      kn_get_int(env, argv[2], &n) != 0 || n < 0 || (size_t)n * 2 > len) {
    napi_create_int32(env, -1, &r);
    return r;
  }
  /* JS fills the array only in its flush, never from a result callback, so it is stable here. */
  const uint32_t *runs = data;
  int32_t started = 0;
  for (int32_t i = 0; i < n && !b->closed; i++) {
    uint32_t id = runs[2 * i], gen = runs[2 * i + 1];
    if (id >= b->count || !b->t[id].used) continue;
    tb_start_run(b, id, gen);
    started++;
  }
  tb_deliver(b, true);
  tb_rearm(b);
  napi_create_int32(env, started, &r);
  return r;
}

/* tcpBatchClose(handle): every run in flight ends with no result; the handle is then unusable. */
static napi_value tb_close(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tb_batch *b = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (!b) return kn_err(env, "tcpBatchClose: not a batch handle");
  tb_shutdown(b);
  return kn_ok(env);
}

/* tcpBatchStats(handle) -> {ok, targets, pending, deadlines} (tests, status). */
static napi_value tb_stats(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  tb_batch *b = argc >= 1 ? unwrap(env, argv[0]) : NULL;
  if (!b) return kn_err(env, "tcpBatchStats: not a batch handle");
  napi_value res = kn_ok(env);
  kn_set_int(env, res, "targets", b->count - b->nfree);
  kn_set_int(env, res, "pending", b->pending);
  kn_set_int(env, res, "deadlines", b->heap_len);
  kn_set_int(env, res, "pooled", b->npool[0] + b->npool[1]);
  kn_set_int(env, res, "closed", b->closed);
  return res;
}

void kn_tcpcheck_init(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"tcpBatchOpen", NULL, tb_open, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpBatchAdd", NULL, tb_add, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpBatchRemove", NULL, tb_remove, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpBatchCancel", NULL, tb_cancel, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpBatchSubmit", NULL, tb_submit, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpBatchClose", NULL, tb_close, NULL, NULL, NULL, napi_enumerable, NULL},
      {"tcpBatchStats", NULL, tb_stats, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
