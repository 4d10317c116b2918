/* keepalived_sys: scheduling and memory calls for the children's process priorities (keepalived's
 * lib/process.c applies the same ones). Node has os.setPriority for nice but nothing for SCHED_RR,
 * RLIMIT_RTTIME, memory locking or CPU affinity. Every call acts on the calling thread (pid 0), which is
 * the JS main thread, and returns {ok} | {ok:false, error, code}: failures are values, never throws. */
#include <errno.h>
#include <node_api.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "sys.h"

#ifndef SCHED_RESET_ON_FORK
#define SCHED_RESET_ON_FORK 0x40000000
#endif
#ifndef RLIMIT_RTTIME
#define RLIMIT_RTTIME 15
#endif

static const char *errno_name(int e) {
  switch (e) {
    case EPERM: return "EPERM";
    case EINVAL: return "EINVAL";
    case ESRCH: return "ESRCH";
    case ENOMEM: return "ENOMEM";
    case EAGAIN: return "EAGAIN";
    case EFAULT: return "EFAULT";
    default: return "EOTHER";
  }
}

static napi_value fail(napi_env env, const char *what, int e) {
  char msg[200];
  snprintf(msg, sizeof msg, "%s: %s", what, strerror(e));
  napi_value r = ks_result(env, 0, msg), c;
  napi_create_string_utf8(env, errno_name(e), NAPI_AUTO_LENGTH, &c);
  napi_set_named_property(env, r, "code", c);
  return r;
}

/* Reads argv[i] as an int32 into *out; false when absent or not a number. */
static int arg_int(napi_env env, size_t argc, napi_value *argv, size_t i, int32_t *out) {
  napi_valuetype t;
  if (i >= argc || napi_typeof(env, argv[i], &t) != napi_ok || t != napi_number) return 0;
  return napi_get_value_int32(env, argv[i], out) == napi_ok;
}

static int arg_bool(napi_env env, size_t argc, napi_value *argv, size_t i) {
  bool b = false;
  napi_valuetype t;
  if (i >= argc || napi_typeof(env, argv[i], &t) != napi_ok || t != napi_boolean) return 0;
  napi_get_value_bool(env, argv[i], &b);
  return b;
}

/* schedSet(realtime: boolean, priority: number, resetOnFork: boolean): SCHED_RR at priority, or
 * SCHED_OTHER (priority 0). keepalived sets SCHED_RESET_ON_FORK so scripts it forks run normally. */
static napi_value ks_sched_set(napi_env env, napi_callback_info info) {
  size_t argc = 3;
  napi_value argv[3];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  int32_t prio = 0;
  if (argc < 3 || !arg_int(env, argc, argv, 1, &prio)) return ks_result(env, 0, "schedSet: expects (realtime, priority, resetOnFork)");
  int rt = arg_bool(env, argc, argv, 0);
  int policy = rt ? SCHED_RR : SCHED_OTHER;
  if (arg_bool(env, argc, argv, 2)) policy |= SCHED_RESET_ON_FORK;
  struct sched_param sp = {.sched_priority = rt ? prio : 0};
  if (sched_setscheduler(0, policy, &sp) != 0) return fail(env, "sched_setscheduler", errno);
  return ks_result(env, 1, NULL);
}

/* schedPriorityRange(): {min, max} of SCHED_RR (keepalived clamps configured values to it). */
static napi_value ks_sched_range(napi_env env, napi_callback_info info) {
  napi_value obj, v;
  napi_create_object(env, &obj);
  napi_create_int32(env, sched_get_priority_min(SCHED_RR), &v);
  napi_set_named_property(env, obj, "min", v);
  napi_create_int32(env, sched_get_priority_max(SCHED_RR), &v);
  napi_set_named_property(env, obj, "max", v);
  return obj;
}

/* setRtTime(soft, hard): RLIMIT_RTTIME in microseconds (numbers up to 2^32-1). */
static napi_value ks_set_rttime(napi_env env, napi_callback_info info) {
  size_t argc = 2;
  napi_value argv[2];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  double soft, hard;
  if (argc < 2 || napi_get_value_double(env, argv[0], &soft) != napi_ok || napi_get_value_double(env, argv[1], &hard) != napi_ok ||
      soft < 0 || hard < 0 || soft > 4294967295.0 || hard > 4294967295.0)
    return ks_result(env, 0, "setRtTime: expects (soft, hard) microseconds in [0, 4294967295]");
  struct rlimit rl = {.rlim_cur = (rlim_t)soft, .rlim_max = (rlim_t)hard};
  if (setrlimit(RLIMIT_RTTIME, &rl) != 0) return fail(env, "setrlimit(RLIMIT_RTTIME)", errno);
  return ks_result(env, 1, NULL);
}

/* lockMemory(lock): keepalived's mlockall(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) cannot be used
 * under V8: V8 gives heap pages back with madvise(MADV_DONTNEED/FREE), which fails with EINVAL on
 * locked memory, and V8 aborts the process on that failure (seen at the first GC that shrinks).
 * So this locks (on fault, like MCL_ONFAULT) what V8 never discards: every file-backed mapping (the
 * node binary, libraries, the addons), the brk heap (malloc) and the stack. lock=false: munlockall.
 * Returns {ok, lockedBytes} or an error. */
static napi_value ks_lock_memory(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  if (!arg_bool(env, argc, argv, 0)) {
    if (munlockall() != 0) return fail(env, "munlockall", errno);
    return ks_result(env, 1, NULL);
  }
  FILE *f = fopen("/proc/self/maps", "re");
  if (!f) return fail(env, "/proc/self/maps", errno);
  char line[4096];
  double locked = 0;
  int err = 0;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    int name_at = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &name_at) < 3 || name_at == 0) continue;
    const char *name = line + name_at;
    int wanted = name[0] == '/' || strncmp(name, "[heap]", 6) == 0 || strncmp(name, "[stack]", 7) == 0;
    if (!wanted || perms[0] != 'r') continue; /* PROT_NONE guard areas stay out */
#ifdef SYS_mlock2
    long r = syscall(SYS_mlock2, lo, hi - lo, 1 /* MLOCK_ONFAULT */);
#else
    long r = mlock((void *)lo, hi - lo);
#endif
    if (r != 0) {
      err = errno;
      break;
    }
    locked += (double)(hi - lo);
  }
  fclose(f);
  if (err) {
    munlockall();
    return fail(env, "mlock", err);
  }
  napi_value r = ks_result(env, 1, NULL), b;
  napi_create_double(env, locked, &b);
  napi_set_named_property(env, r, "lockedBytes", b);
  return r;
}

/* setAffinity(cpus: number[]): sched_setaffinity of the calling thread to those CPUs. */
static napi_value ks_set_affinity(napi_env env, napi_callback_info info) {
  size_t argc = 1;
  napi_value argv[1];
  napi_get_cb_info(env, info, &argc, argv, NULL, NULL);
  bool is_array = false;
  if (argc < 1 || napi_is_array(env, argv[0], &is_array) != napi_ok || !is_array) return ks_result(env, 0, "setAffinity: expects an array of CPU numbers");
  uint32_t n = 0;
  napi_get_array_length(env, argv[0], &n);
  cpu_set_t set;
  CPU_ZERO(&set);
  for (uint32_t i = 0; i < n; i++) {
    napi_value el;
    int32_t cpu = -1;
    napi_get_element(env, argv[0], i, &el);
    if (napi_get_value_int32(env, el, &cpu) != napi_ok || cpu < 0 || cpu >= CPU_SETSIZE) return ks_result(env, 0, "setAffinity: CPU numbers must be integers in [0, 1023]");
    CPU_SET(cpu, &set);
  }
  if (CPU_COUNT(&set) == 0) return ks_result(env, 0, "setAffinity: no CPU given");
  if (sched_setaffinity(0, sizeof set, &set) != 0) return fail(env, "sched_setaffinity", errno);
  return ks_result(env, 1, NULL);
}

void ks_sched_register(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"schedSet", NULL, ks_sched_set, NULL, NULL, NULL, napi_enumerable, NULL},
      {"schedPriorityRange", NULL, ks_sched_range, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setRtTime", NULL, ks_set_rttime, NULL, NULL, NULL, napi_enumerable, NULL},
      {"lockMemory", NULL, ks_lock_memory, NULL, NULL, NULL, napi_enumerable, NULL},
      {"setAffinity", NULL, ks_set_affinity, NULL, NULL, NULL, napi_enumerable, NULL},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}
