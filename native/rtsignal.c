/* Real-time signal watches for keepalived's JSON (SIGRTMIN+2) and STATS_CLEAR (SIGRTMAX-1) signals.
 * Node's process.on() takes only named signals, and a real-time signal's default action ends the
 * process, so a `kill -s $(keepalived --signum=JSON)` would kill the daemon. libuv can watch any
 * signal number (it relays through its own pipe, so the callback runs on the event loop, never in
 * the signal handler): signalWatch(signum, cb) starts one (unref'd: it keeps no process alive). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include "sys.h"

typedef struct ks_watch {
  uv_signal_t sig;
  napi_env env;
  napi_ref cb;
  int signum;
  struct ks_watch *next;
} ks_watch;

static ks_watch *watches = NULL;

static void on_signal(uv_signal_t *h, int signum) {
  ks_watch *w = (ks_watch *)h->data;
  napi_handle_scope scope;
  if (napi_open_handle_scope(w->env, &scope) != napi_ok) return;
  napi_value cb, global, arg, res;
  if (napi_get_reference_value(w->env, w->cb, &cb) == napi_ok && cb) {
    napi_get_global(w->env, &global);
    napi_create_int32(w->env, signum, &arg);
    napi_call_function(w->env, global, cb, 1, &arg, &res);
    bool pending = false;
    /* An exception in the callback is the callback's problem: do not let it escape into libuv. */
    if (napi_is_exception_pending(w->env, &pending) == napi_ok && pending) {
      napi_value ex;
      napi_get_and_clear_last_exception(w->env, &ex);
    }
  }
  napi_close_handle_scope(w->env, scope);
}

static void on_closed(uv_handle_t *h) { free(h->data); }

/* signalWatch(signum, cb) -> {ok} | {ok:false, error}; one watch per signal number. */
napi_value ks_signal_watch(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  char err[160];
  int32_t signum = 0;
  napi_valuetype t;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 2 || napi_get_value_int32(env, argv[0], &signum) != napi_ok) return ks_result(env, 0, "signalWatch: expects (signum, callback)");
  if (napi_typeof(env, argv[1], &t) != napi_ok || t != napi_function) return ks_result(env, 0, "signalWatch: callback must be a function");
  if (signum < SIGRTMIN || signum > SIGRTMAX) {
    snprintf(err, sizeof err, "signalWatch: %d is not a real-time signal (%d-%d); use process.on for the others", signum, SIGRTMIN, SIGRTMAX);
    return ks_result(env, 0, err);
  }
  for (ks_watch *w = watches; w; w = w->next)
    if (w->signum == signum && w->env == env) return ks_result(env, 0, "signalWatch: already watching this signal");
  uv_loop_t *loop = NULL;
  if (napi_get_uv_event_loop(env, &loop) != napi_ok || !loop) return ks_result(env, 0, "signalWatch: no event loop");
  ks_watch *w = calloc(1, sizeof *w);
  if (!w) return ks_result(env, 0, "signalWatch: out of memory");
  w->env = env;
  w->signum = signum;
  w->sig.data = w;
  int rc = uv_signal_init(loop, &w->sig);
  if (rc == 0) rc = uv_signal_start(&w->sig, on_signal, signum);
  if (rc != 0) {
    snprintf(err, sizeof err, "signalWatch: %s", uv_strerror(rc));
    uv_close((uv_handle_t *)&w->sig, on_closed);
    return ks_result(env, 0, err);
  }
  uv_unref((uv_handle_t *)&w->sig);
  napi_create_reference(env, argv[1], 1, &w->cb);
  w->next = watches;
  watches = w;
  return ks_result(env, 1, NULL);
}

/* signalUnwatch(signum) -> {ok}: stops the watch; the signal's default action applies again. */
napi_value ks_signal_unwatch(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  int32_t signum = 0;
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (argc < 1 || napi_get_value_int32(env, argv[0], &signum) != napi_ok) return ks_result(env, 0, "signalUnwatch: expects (signum)");
  for (ks_watch **pp = &watches; *pp; pp = &(*pp)->next) {
    ks_watch *w = *pp;
    if (w->signum != signum || w->env != env) continue;
    *pp = w->next;
    uv_signal_stop(&w->sig);
    napi_delete_reference(env, w->cb);
    uv_close((uv_handle_t *)&w->sig, on_closed);
    return ks_result(env, 1, NULL);
  }
  return ks_result(env, 0, "signalUnwatch: not watching this signal");
}
