/* thread.h: the one place the server starts and joins its long-lived threads (the
 * offload thread, the jobs worker). A started thread carries a name (visible in
 * /proc/PID/task/TID/comm, gdb and top -H); a failure to start is logged here, so
 * callers only decide what to do without the thread. */
#ifndef DJ_THREAD_H
#define DJ_THREAD_H
#include <pthread.h>

/* Starts fn(arg) on a new joinable thread named name (at most 15 bytes are kept) and
 * stores its handle; SIGTERM, SIGINT and SIGHUP are blocked in it (the main thread
 * takes them). Returns 0, or -1 after logging why (handle untouched). */
int thread_start(const char *name, void *(*fn)(void *), void *arg, pthread_t *handle);
/* Waits for the thread to end. Returns 0, or -1 after logging why. */
int thread_join(const char *name, pthread_t handle);
#endif
