/* TCP_CHECK in batches: many non-blocking connect(2)s per call, one epoll fd (watched by one uv_poll
 * on Node's loop) for all of them, SO_ERROR on error wake-ups, reset on success (SO_LINGER 0: no
 * TIME_WAIT per check at 10k checks/s), a connect deadline per target from one min-heap and one
 * uv_timer. A socket whose check succeeded is not closed but disconnected (connect AF_UNSPEC, which
 * resets the connection as SO_LINGER 0 would) and kept for the next check of any plain target of its
 * family: that saves socket(), close() and EPOLL_CTL_ADD, about a quarter of the kernel's cost per
 * check on loopback. Results go to JS in batches, one callback per loop turn, as rows of an Int32Array
 * (id, gen, code, errno) plus a Float64Array of elapsed ms: per check JS reads a few array slots.
 *
 * Targets are registered once (address, port, bind, device, mark, timeout parsed here once) and
 * named by a small integer id; a run is (id, gen): gen is the caller's run number, echoed back so
 * JS can drop the result of a run it has since cancelled. Inside, each run also gets a sequence
 * number, so an epoll event or deadline of an earlier run of the same id is never taken for it. */
#include "addon.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

/* Result codes (src/check/tcp-batch.ts mirrors them). */
enum { TB_UP = 0, TB_CONNECT = 1, TB_TIMEOUT = 2, TB_SOCKET = 3, TB_MARK = 4, TB_BINDTODEVICE = 5, TB_BIND = 6 };

#define TB_ROW 4          /* id, gen, code, errno */
#define TB_RESULTS 4096   /* rows per callback at most */
#define TB_EVENTS 512     /* epoll events per epoll_wait */
#define TB_DRAIN 16       /* epoll_wait calls per wake-up at most: the rest waits a turn */
#define TB_MAX_TARGETS (1u << 24)
#define TB_POOL 4096      /* idle reusable sockets kept per family at most */
#define TB_IDLE_MS 2000   /* with nothing in flight this long, the pooled sockets are closed */
#define ADDR_TEXT 64

typedef struct {
  struct sockaddr_storage dst, src;
  socklen_t dst_len, src_len; /* src_len 0: no bind */
  char bind_if[IF_NAMESIZE];
  uint32_t mark;
  uint32_t timeout_ms;
  int fd;                     /* -1 when no run is in flight */
  uint32_t gen;               /* the caller's run number */
  uint32_t seq;               /* ours: identifies the run in epoll data and the deadline heap */
  uint64_t started_ns;
  bool used;
  bool plain;                 /* no mark, device or bind: may use a pooled socket */
} tb_target;

typedef struct {
  uint64_t deadline_ns;
  uint32_t id, seq;
} tb_deadline;

typedef struct {
  napi_env env;
  int ep;
  uv_poll_t *poll;
  uv_timer_t *timer;
  bool polling, timing, closed;
  bool idle_armed; /* the timer is set to close the pool, not for a deadline */
  uint64_t timer_due_ns;
  tb_target *t;
  uint32_t cap, count; /* slots allocated, slots ever used (ids below count) */
  uint32_t *free_ids;
  uint32_t nfree;
  uint32_t pending;
  tb_deadline *heap;
  uint32_t heap_len, heap_cap;
  int pool[2][TB_POOL]; /* idle sockets (IPv4, IPv6): disconnected, still in the epoll set but disarmed */
  uint32_t npool[2];
  int32_t *rows;       /* TB_RESULTS rows, backing the JS Int32Array */
  double *elapsed;     /* TB_RESULTS values, backing the JS Float64Array */
  uint32_t nres;
  napi_ref cb, rows_ref, elapsed_ref;
  napi_async_context actx;
} tb_batch;

static const napi_type_tag tb_tag = {0x6b65657061746362ULL, 0x7463702d62617463ULL};

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- deadline min-heap (lazy: entries of finished runs are skipped when they surface) ---- */

static bool heap_push(tb_batch *b, uint64_t deadline, uint32_t id, uint32_t seq) {
  if (b->heap_len == b->heap_cap) {
    uint32_t cap = b->heap_cap ? b->heap_cap * 2 : 1024;
    tb_deadline *h = realloc(b->heap, cap * sizeof *h);
    if (!h) return false;
    b->heap = h, b->heap_cap = cap;
  }
  uint32_t i = b->heap_len++;
  while (i > 0) {
    uint32_t p = (i - 1) / 2;
    if (b->heap[p].deadline_ns <= deadline) break;
    b->heap[i] = b->heap[p];
    i = p;
  }
  b->heap[i] = (tb_deadline){deadline, id, seq};
  return true;
}

static void heap_pop(tb_batch *b) {
  tb_deadline last = b->heap[--b->heap_len];
  uint32_t i = 0, n = b->heap_len;
  for (;;) {
    uint32_t c = 2 * i + 1;
    if (c >= n) break;
    if (c + 1 < n && b->heap[c + 1].deadline_ns < b->heap[c].deadline_ns) c++;
    if (b->heap[c].deadline_ns >= last.deadline_ns) break;
    b->heap[i] = b->heap[c];
    i = c;
  }
  if (n) b->heap[i] = last;
}

/* ---- results ---- */

/* Hands the rows gathered so far to JS. `from_js`: we are inside a call from JS (submit), so a
 * plain call; otherwise a loop callback, so make_callback (async context, microtasks after). The
 * row count is reset first: JS reads every row before returning, and whatever its microtasks
 * submit lands in a fresh buffer. */
static void deliver(tb_batch *b, bool from_js) {
  if (b->nres == 0 || !b->cb || b->closed) return;
  napi_env env = b->env;
  uint32_t n = b->nres;
  b->nres = 0;
  napi_handle_scope scope;
  if (napi_open_handle_scope(env, &scope) != napi_ok) return;
  napi_value cb, recv, arg, ret;
  if (napi_get_reference_value(env, b->cb, &cb) == napi_ok && cb) {
    napi_get_global(env, &recv);
    napi_create_uint32(env, n, &arg);
    if (from_js) {
      napi_call_function(env, recv, cb, 1, &arg, &ret); /* an exception goes back to the JS caller */
    } else if (napi_make_callback(env, b->actx, recv, cb, 1, &arg, &ret) == napi_pending_exception) {
      napi_value ex;
      if (napi_get_and_clear_last_exception(env, &ex) == napi_ok) napi_fatal_exception(env, ex);
    }
  }
  napi_close_handle_scope(env, scope);
}

static void emit(tb_batch *b, uint32_t id, int code, int err, bool from_js) {
  tb_target *t = &b->t[id];
  int32_t *row = b->rows + (size_t)b->nres * TB_ROW;
  row[0] = (int32_t)id;
  row[1] = (int32_t)t->gen;
  row[2] = code;
  row[3] = err;
  b->elapsed[b->nres] = (double)(now_ns() - t->started_ns) / 1e6;
  if (++b->nres == TB_RESULTS) deliver(b, from_js);
}

/* Ends the run in flight on `id` (if any). reset: SO_LINGER 0 first, so a connected socket is
 * torn down with RST and leaves no TIME_WAIT. Closing the fd also takes it out of the epoll set. */
static void end_run(tb_batch *b, uint32_t id, bool reset) {
  tb_target *t = &b->t[id];
  if (t->fd < 0) return;
  if (reset) {
    struct linger lg = {1, 0};
    setsockopt(t->fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  }
  close(t->fd);
  t->fd = -1;
  t->seq++;
  b->pending--;
}

/* Ends a successful run: the socket is disconnected (RST to the server) and pooled for reuse when
 * the target is plain and the pool has room; otherwise reset and closed. */
static void recycle_run(tb_batch *b, uint32_t id) {
  tb_target *t = &b->t[id];
  int fam = t->dst.ss_family == AF_INET6;
  struct sockaddr unspec = {.sa_family = AF_UNSPEC};
  if (!t->plain || t->fd < 0 || b->npool[fam] == TB_POOL || connect(t->fd, &unspec, sizeof unspec) < 0) return end_run(b, id, true);
  b->pool[fam][b->npool[fam]++] = t->fd;
  t->fd = -1;
  t->seq++;
  b->pending--;
}

/* ---- the loop side ---- */

static void on_ready(uv_poll_t *h, int status, int events);
static void on_deadline(uv_timer_t *h);

static void close_pool(tb_batch *b) {
  for (int f = 0; f < 2; f++)
    while (b->npool[f]) close(b->pool[f][--b->npool[f]]);
}

/* Watches while runs are in flight and idles otherwise (an idle batch keeps no loop alive: the
 * timer is unref'd, the poll handle stopped). Idle, the pool is closed after TB_IDLE_MS. */
static void rearm(tb_batch *b) {
  if (b->closed) return;
  if (b->pending == 0) {
    b->heap_len = 0; /* every entry left is of a finished run */
    if (b->polling) uv_poll_stop(b->poll), b->polling = false;
    if (b->idle_armed) return;
    if (b->timing) uv_timer_stop(b->timer), b->timing = false;
    if (b->npool[0] + b->npool[1] && uv_timer_start(b->timer, on_deadline, TB_IDLE_MS, 0) == 0) b->idle_armed = true;
    return;
  }
  if (b->idle_armed) uv_timer_stop(b->timer), b->idle_armed = false, b->timing = false;
  if (!b->polling && uv_poll_start(b->poll, UV_READABLE, on_ready) == 0) b->polling = true;
  /* Drop finished runs from the top so the timer aims at a live deadline. */
  while (b->heap_len) {
    tb_deadline *d = &b->heap[0];
    tb_target *t = &b->t[d->id];
    if (t->used && t->fd >= 0 && t->seq == d->seq) break;
    heap_pop(b);
  }
  if (!b->heap_len) return;
  uint64_t due = b->heap[0].deadline_ns;
  if (b->timing && b->timer_due_ns <= due) return;
  uint64_t now = now_ns();
  uint64_t ms = due > now ? (due - now + 999999) / 1000000 : 0;
  if (uv_timer_start(b->timer, on_deadline, ms, 0) == 0) b->timing = true, b->timer_due_ns = due;
}

static void on_ready(uv_poll_t *h, int status, int events) {
  tb_batch *b = h->data;
  if (!b || b->closed) return;
  struct epoll_event ev[TB_EVENTS];
  for (int round = 0; round < TB_DRAIN && !b->closed; round++) {
    int n = epoll_wait(b->ep, ev, TB_EVENTS, 0);
    for (int i = 0; i < n && !b->closed; i++) {
      uint32_t id = (uint32_t)ev[i].data.u64, seq = (uint32_t)(ev[i].data.u64 >> 32);
      if (id >= b->count) continue;
      tb_target *t = &b->t[id];
      if (!t->used || t->fd < 0 || t->seq != seq) continue; /* a run ended earlier in this batch */
      int err = 0;
      if (ev[i].events & (EPOLLERR | EPOLLHUP)) {
        socklen_t len = sizeof err;
        if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0) err = errno;
        if (err == 0 && !(ev[i].events & EPOLLOUT)) err = ECONNABORTED;
      }
      if (err == EINPROGRESS) continue; /* not settled yet */
      /* keepalived's connect_success is "writable and SO_ERROR 0": the connection is made. */
      if (err == 0) recycle_run(b, id);
      else end_run(b, id, false);
      emit(b, id, err == 0 ? TB_UP : TB_CONNECT, err, false);
    }
    if (n < TB_EVENTS) break;
  }
  deliver(b, false);
  rearm(b);
}

static void on_deadline(uv_timer_t *h) {
  tb_batch *b = h->data;
  if (!b || b->closed) return;
  b->timing = false;
  if (b->idle_armed) {
    b->idle_armed = false;
    if (b->pending == 0) close_pool(b);
    return;
  }
  uint64_t now = now_ns();
  while (b->heap_len && !b->closed) {
    tb_deadline d = b->heap[0];
    if (d.deadline_ns > now) break;
    heap_pop(b);
    tb_target *t = &b->t[d.id];
    if (!t->used || t->fd < 0 || t->seq != d.seq) continue;
    end_run(b, d.id, false);
    emit(b, d.id, TB_TIMEOUT, ETIMEDOUT, false);
  }
  deliver(b, false);
  rearm(b);
}

/* One run: socket, mark, device, bind, connect; watched unless it ended at once. */
static void start_run(tb_batch *b, uint32_t id, uint32_t gen) {
  tb_target *t = &b->t[id];
  end_run(b, id, true); /* restarted while in flight: the old run is dropped */
  t->gen = gen;
  t->started_ns = now_ns();
  int fam = t->dst.ss_family == AF_INET6;
  bool pooled = t->plain && b->npool[fam] > 0;
  int fd = pooled ? b->pool[fam][--b->npool[fam]] : socket(t->dst.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_TCP);
  if (fd < 0) return emit(b, id, TB_SOCKET, errno, true);
  int code = -1;
  if (t->mark && setsockopt(fd, SOL_SOCKET, SO_MARK, &t->mark, sizeof t->mark) < 0) code = TB_MARK;
  else if (t->bind_if[0] && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, t->bind_if, (socklen_t)strlen(t->bind_if) + 1) < 0) code = TB_BINDTODEVICE;
  else if (t->src_len && bind(fd, (struct sockaddr *)&t->src, t->src_len) < 0) code = TB_BIND;
  if (code >= 0) {
    int e = errno;
    close(fd);
    return emit(b, id, code, e, true);
  }
  int r = connect(fd, (struct sockaddr *)&t->dst, t->dst_len);
  if (r < 0 && errno != EINPROGRESS) {
    int e = errno;
    close(fd);
    return emit(b, id, TB_CONNECT, e, true);
  }
  t->fd = fd;
  t->seq++;
  b->pending++;
  if (r == 0) { /* connected at once (keepalived counts that as success too) */
    recycle_run(b, id);
    return emit(b, id, TB_UP, 0, true);
  }
  /* One-shot: a pooled socket stays in the set disarmed, and is re-armed (MOD) with its next run. */
  struct epoll_event ev = {.events = EPOLLOUT | EPOLLONESHOT, .data.u64 = (uint64_t)t->seq << 32 | id};
  int e = 0;
  if (epoll_ctl(b->ep, pooled ? EPOLL_CTL_MOD : EPOLL_CTL_ADD, fd, &ev) < 0) e = errno;
  else if (!heap_push(b, t->started_ns + (uint64_t)t->timeout_ms * 1000000u, id, t->seq)) e = ENOMEM;
  if (e) {
    end_run(b, id, false);
    return emit(b, id, TB_SOCKET, e, true);
  }
}

/* ---- JS entry points ---- */

static tb_batch *unwrap(napi_env env, napi_value v) {
  napi_valuetype ty;
  bool tagged = false;
  void *data = NULL;
  if (napi_typeof(env, v, &ty) != napi_ok || ty != napi_external) return NULL;
  if (napi_check_object_type_tag(env, v, &tb_tag, &tagged) != napi_ok || !tagged) return NULL;
  if (napi_get_value_external(env, v, &data) != napi_ok) return NULL;
  return data;
}

static void handle_closed(uv_handle_t *h) { free(h); }

static void shutdown_batch(tb_batch *b) {
  if (b->closed) return;
  for (uint32_t id = 0; id < b->count; id++) end_run(b, id, true);
  close_pool(b);
  b->closed = true;
  if (b->poll) b->poll->data = NULL, uv_close((uv_handle_t *)b->poll, handle_closed), b->poll = NULL;
  if (b->timer) b->timer->data = NULL, uv_close((uv_handle_t *)b->timer, handle_closed), b->timer = NULL;
  if (b->ep >= 0) close(b->ep), b->ep = -1;
  if (b->cb) napi_delete_reference(b->env, b->cb), b->cb = NULL;
  if (b->rows_ref) napi_delete_reference(b->env, b->rows_ref), b->rows_ref = NULL;
  if (b->elapsed_ref) napi_delete_reference(b->env, b->elapsed_ref), b->elapsed_ref = NULL;
  if (b->actx) napi_async_destroy(b->env, b->actx), b->actx = NULL;
}

static void finalize(napi_env env, void *data, void *hint) {
  tb_batch *b = data;
  shutdown_batch(b);
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
    shutdown_batch(b);
    return kn_err_errno(env, ENOMEM, "tcpBatchOpen");
  }
  if (uv_poll_init(loop, b->poll, b->ep) != 0) {
    free(b->poll), b->poll = NULL;
    free(b->timer), b->timer = NULL;
    shutdown_batch(b);
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
    shutdown_batch(b);
    return kn_err(env, "tcpBatchOpen: could not make the result arrays");
  }
  b->rows = rows_data;
  b->elapsed = el_data;
  napi_create_string_utf8(env, "keepalived:tcpBatch", NAPI_AUTO_LENGTH, &name);
  if (napi_async_init(env, NULL, name, &b->actx) != napi_ok) {
    shutdown_batch(b);
    return kn_err(env, "tcpBatchOpen: could not set up the callback");
  }
  napi_value res = kn_ok(env);
  kn_set_val(env, res, "handle", handle);
  kn_set_val(env, res, "rows", rows);
  kn_set_val(env, res, "elapsed", el);
  kn_set_int(env, res, "capacity", TB_RESULTS);
  return res;
}

static int numeric_addr(const char *text, int port, struct sockaddr_storage *out, socklen_t *len) {
  struct addrinfo hints, *ai = NULL;
  char service[8];
  memset(&hints, 0, sizeof hints);
  hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
  hints.ai_socktype = SOCK_STREAM;
  snprintf(service, sizeof service, "%d", port);
  if (getaddrinfo(text, service, &hints, &ai) != 0 || !ai) return -1;
  memcpy(out, ai->ai_addr, ai->ai_addrlen);
  *len = ai->ai_addrlen;
  freeaddrinfo(ai);
  return 0;
}

static int opt_string(napi_env env, napi_value v, char *buf, size_t size) {
  napi_valuetype ty;
  buf[0] = '\0';
  if (napi_typeof(env, v, &ty) != napi_ok) return -1;
  if (ty == napi_undefined || ty == napi_null) return 0;
  return kn_get_string(env, v, buf, size) == 0 ? 0 : -1;
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
  if (opt_string(env, argv[3], bind_addr, sizeof bind_addr) != 0) return kn_err(env, "tcpBatchAdd: bindAddress must be an IP address string");
  if (kn_get_int(env, argv[4], &bind_port) != 0 || bind_port < 0 || bind_port > 65535) return kn_err(env, "tcpBatchAdd: bindPort must be an integer 0-65535");
  if (opt_string(env, argv[5], bind_if, sizeof bind_if) != 0) return kn_err(env, "tcpBatchAdd: bindIf must be an interface name of at most %d bytes", IF_NAMESIZE - 1);
  if (napi_typeof(env, argv[6], &ty) != napi_ok || ty != napi_number || napi_get_value_double(env, argv[6], &mark_d) != napi_ok ||
      !(mark_d >= 0 && mark_d <= 4294967295.0) || mark_d != (double)(uint32_t)mark_d)
    return kn_err(env, "tcpBatchAdd: mark must be an integer 0-4294967295");
  if (kn_get_int(env, argv[7], &timeout_ms) != 0 || timeout_ms < 1) return kn_err(env, "tcpBatchAdd: timeoutMs must be a positive integer");

  tb_target t;
  memset(&t, 0, sizeof t);
  if (numeric_addr(addr, port, &t.dst, &t.dst_len) != 0) return kn_err(env, "tcpBatchAdd: '%s' is not an IP address", addr);
  if (bind_addr[0] || bind_port) {
    const char *any = t.dst.ss_family == AF_INET6 ? "::" : "0.0.0.0";
    if (numeric_addr(bind_addr[0] ? bind_addr : any, bind_port, &t.src, &t.src_len) != 0 || t.src.ss_family != t.dst.ss_family)
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
    end_run(b, id, true);
    b->t[id].used = false;
    b->free_ids[b->nfree++] = id;
    rearm(b);
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
    end_run(b, id, true);
    rearm(b);
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
    start_run(b, id, gen);
    started++;
  }
  deliver(b, true);
  rearm(b);
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
  shutdown_batch(b);
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
