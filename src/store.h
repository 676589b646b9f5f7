/*
 * store.h: state files written atomically off the loop (store.c).
 */

#ifndef STORE_H
#define STORE_H

typedef void	 (*store_cb)(int, const char *, void *);

void		 store_init(struct uv_loop_s *);
void		 store_write(const char *, char *, size_t, mode_t, store_cb,
		    void *);
int		 store_pending(void);
unsigned long	 store_stat(int);

#endif /* STORE_H */
