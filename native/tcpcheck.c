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
#include "tcpcheck.h"

#include <errno.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <time.h>
#include <unistd.h>

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
void tb_deliver(tb_batch *b, bool from_js) {
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
  if (++b->nres == TB_RESULTS) tb_deliver(b, from_js);
}

/* Ends the run in flight on `id` (if any). reset: SO_LINGER 0 first, so a connected socket is
 * torn down with RST and leaves no TIME_WAIT. Closing the fd also takes it out of the epoll set. */
void tb_end_run(tb_batch *b, uint32_t id, bool reset) {
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
  if (!t->plain || t->fd < 0 || b->npool[fam] == TB_POOL || connect(t->fd, &unspec, sizeof unspec) < 0) return tb_end_run(b, id, true);
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
void tb_rearm(tb_batch *b) {
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
      else tb_end_run(b, id, false);
      emit(b, id, err == 0 ? TB_UP : TB_CONNECT, err, false);
    }
    if (n < TB_EVENTS) break;
  }
  tb_deliver(b, false);
  tb_rearm(b);
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
    tb_end_run(b, d.id, false);
    emit(b, d.id, TB_TIMEOUT, ETIMEDOUT, false);
  }
  tb_deliver(b, false);
  tb_rearm(b);
}

/* One run: socket, mark, device, bind, connect; watched unless it ended at once. */
void tb_start_run(tb_batch *b, uint32_t id, uint32_t gen) {
  tb_target *t = &b->t[id];
  tb_end_run(b, id, true); /* restarted while in flight: the old run is dropped */
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
    tb_end_run(b, id, false);
    return emit(b, id, TB_SOCKET, e, true);
  }
}

static void handle_closed(uv_handle_t *h) { free(h); }

void tb_shutdown(tb_batch *b) {
  if (b->closed) return;
  for (uint32_t id = 0; id < b->count; id++) tb_end_run(b, id, true);
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

