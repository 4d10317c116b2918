/* keepalived_sys addon: shared declarations of sdnotify.c, rtsignal.c and sched.c. */
#ifndef KEEPALIVED_SYS_H
#define KEEPALIVED_SYS_H
#include <node_api.h>

napi_value ks_result(napi_env env, int ok, const char *error);
napi_value ks_signal_watch(napi_env env, napi_callback_info info);
napi_value ks_signal_unwatch(napi_env env, napi_callback_info info);
void ks_sched_register(napi_env env, napi_value exports); /* sched.c */

#endif
