/* offload.c: one thread runs offloaded work (Argon2id) in arrival order: a worker that
 * hashed would stall every other connection it serves (bench/results.md, item 6), and
 * one hash at a time keeps a login storm to one core and one 19 MiB block. What belongs
 * here: the queue and the thread. What does not: the transactions around the work
 * (dispatch.c, dispatch_offload_then). */
#include "core/log.h"
#include "core/thread.h"
#include "http/internal.h"
#include "http/request.h"
#include <microhttpd.h>
#include <pthread.h>
#include <sys/resource.h>
#include <unistd.h>

static pthread_mutex_t off_mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t off_cv = PTHREAD_COND_INITIALIZER;
static struct request *off_head, *off_tail;
static bool off_started, off_stop;
static pthread_t off_thread;

static void *offload_main(void *unused)
{
	(void)unused;
	/* below the HTTP workers: on a busy box reads get the cores first, logins wait */
	if (setpriority(PRIO_PROCESS, (id_t)gettid(), 10) != 0)
		log_msg(LOG_DEBUG, NULL, "offload thread keeps normal priority");
	for (;;) {
		pthread_mutex_lock(&off_mu);
		while (!off_head && !off_stop)
			pthread_cond_wait(&off_cv, &off_mu);
		if (!off_head) { /* stopping, and nothing left to do */
			pthread_mutex_unlock(&off_mu);
			return NULL;
		}
		struct request *req = off_head;
		off_head = req->offload.next;
		if (!off_head)
			off_tail = NULL;
		pthread_mutex_unlock(&off_mu);
		req->offload.work(req->offload.ctx);
		req->offload.state = 2;
		MHD_resume_connection(req->conn);
	}
	return NULL;
}

/* Suspends the request's connection and queues its work. False when the thread cannot
 * start (the work then runs here, as before). */
static bool offload_submit(struct request *req)
{
	pthread_mutex_lock(&off_mu);
	if (!off_started) {
		off_started = thread_start("dj-offload", offload_main, NULL, &off_thread) == 0;
		if (!off_started) {
			pthread_mutex_unlock(&off_mu);
			return false;
		}
	}
	MHD_suspend_connection(req->conn);
	req->offload.next = NULL;
	if (off_tail)
		off_tail->offload.next = req;
	else
		off_head = req;
	off_tail = req;
	pthread_cond_signal(&off_cv);
	pthread_mutex_unlock(&off_mu);
	return true;
}

void offload_stop(void)
{
	pthread_mutex_lock(&off_mu);
	bool started = off_started;
	off_stop = true;
	pthread_cond_broadcast(&off_cv);
	pthread_mutex_unlock(&off_mu);
	if (started)
		(void)thread_join("dj-offload", off_thread); /* a failure is logged there */
}

bool offload_pending(struct request *req)
{
	if (req->offload.state != 1 || req_failed(req))
		return false;
	if (offload_submit(req))
		return true;
	req->offload.work(req->offload.ctx);
	dispatch_offload_then(req);
	return false;
}
