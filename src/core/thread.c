/* thread.c: starting and joining named threads; see thread.h. */
#include "core/thread.h"
#include "core/log.h"
#include <signal.h>
#include <string.h>

int thread_start(const char *name, void *(*fn)(void *), void *arg, pthread_t *handle)
{
	/* the signals the server's main thread takes (SIGTERM, SIGINT, SIGHUP) stay blocked
	 * in every thread started here, whenever it starts: one started before the main
	 * thread blocks them would otherwise take a SIGTERM with its default action */
	sigset_t block, old;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &block, &old);
	pthread_t th;
	int rc = pthread_create(&th, NULL, fn, arg);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (rc != 0) {
		log_msg(LOG_ERROR, NULL, "cannot start the %s thread: %s", name, strerror(rc));
		return -1;
	}
	char short_name[16];
	size_t n = strlen(name);
	if (n >= sizeof short_name)
		n = sizeof short_name - 1;
	memcpy(short_name, name, n);
	short_name[n] = 0;
	(void)pthread_setname_np(th, short_name); /* a name is for people: no failure path */
	*handle = th;
	return 0;
}

int thread_join(const char *name, pthread_t handle)
{
	int rc = pthread_join(handle, NULL);
	if (rc != 0) {
		log_msg(LOG_ERROR, NULL, "cannot join the %s thread: %s", name, strerror(rc));
		return -1;
	}
	return 0;
}
