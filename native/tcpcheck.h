/* The TCP_CHECK batch prober (tcpcheck.c: runs, epoll, deadlines, results; tcpcheck-js.c: the
 * tcpBatch* functions JS calls). Shared between the two files only. */
#ifndef KEEPALIVED_TCPCHECK_H
#define KEEPALIVED_TCPCHECK_H

#include "addon.h"

#include <stdbool.h>
#include <sys/socket.h>

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

/* tcpcheck.c */
void tb_start_run(tb_batch *b, uint32_t id, uint32_t gen);
void tb_end_run(tb_batch *b, uint32_t id, bool reset);
void tb_rearm(tb_batch *b);
void tb_deliver(tb_batch *b, bool from_js);
/* Ends every run, closes the pool, the epoll fd and the loop handles; the memory stays until the
 * handle's finalizer (a JS callback may still be running over it). */
void tb_shutdown(tb_batch *b);

#endif
