/*
 * store.c: state files written off the loop.  Each write goes to a
 * temporary file that is synced and renamed (util_write_atomic) on a
 * libuv worker thread; writes run one at a time in the order asked, and
 * the owner hears when its data is on disk.
 */

#include <stdlib.h>
#include <string.h>

#include <uv.h>

#include "pilot.h"
#include "store.h"

/* One write, queued or running. */
struct store_req {
	uv_work_t		 work;
	char			*path;
	char			*data;
	size_t			 len;
	mode_t			 mode;
	int			 rv;
	char			*cause;
	store_cb		 cb;
	void			*arg;
	struct store_req	*next;
};

static uv_loop_t	*store_loop;
static struct store_req	*store_head, *store_tail;
static int		 store_busy;
static unsigned long	 store_writes, store_failures;

static void	 store_kick(void);

/* Set up the store on LOOP. */
void
store_init(uv_loop_t *loop)
{
	store_loop = loop;
}

/* Write the file, on a worker thread. */
static void
store_work(uv_work_t *w)
{
	struct store_req	*r = w->data;

	r->rv = util_write_atomic(r->path, r->data, r->len, r->mode,
	    &r->cause);
}

/* Back on the loop: tell the owner and start the next write. */
static void
store_after(uv_work_t *w, int status)
{
	struct store_req	*r = w->data;

	if (status != 0 && r->rv == 0) {
		r->rv = -1;
		r->cause = util_printf("cannot write %s: %s", r->path,
		    uv_strerror(status));
	}
	store_writes++;
	if (r->rv != 0) {
		store_failures++;
		log_warnx("%s", r->cause);
	}
	if (r->cb != NULL)
		r->cb(r->rv, r->cause, r->arg);
	free(r->cause);
	free(r->path);
	free(r->data);
	free(r);
	store_busy = 0;
	store_kick();
}

/* Start the first queued write unless one runs. */
static void
store_kick(void)
{
	struct store_req	*r;

	if (store_busy || (r = store_head) == NULL)
		return;
	store_head = r->next;
	if (store_head == NULL)
		store_tail = NULL;
	store_busy = 1;
	r->work.data = r;
	if (uv_queue_work(store_loop, &r->work, store_work, store_after) != 0)
		fatalx("store: cannot queue work");
}

/*
 * Write DATA (LEN bytes, taken over) to PATH with MODE; CB runs on the
 * loop once it is on disk or has failed.
 */
void
store_write(const char *path, char *data, size_t len, mode_t mode,
    store_cb cb, void *arg)
{
	struct store_req	*r;

	r = xcalloc(1, sizeof(*r));
	r->path = xstrdup(path);
	r->data = data;
	r->len = len;
	r->mode = mode;
	r->cb = cb;
	r->arg = arg;
	if (store_tail != NULL)
		store_tail->next = r;
	else
		store_head = r;
	store_tail = r;
	store_kick();
}

/* Tell whether writes are queued or running. */
int
store_pending(void)
{
	return (store_busy || store_head != NULL);
}

/* Counters: writes done and writes failed. */
unsigned long
store_stat(int failures)
{
	return (failures ? store_failures : store_writes);
}
