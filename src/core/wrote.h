/* wrote.h: when each user last had a write committed (clock_mono_ms), as far as this
 * process saw it: the dispatcher notes every committed write transaction of a signed-in
 * caller, and the caches of computed texts (model/revcache.h) never answer a caller a
 * text whose computation began before that caller's own last write (their own change
 * shows at once; others may get the text of the revision before for the time of one
 * rebuild). A fixed table indexed by user id: two users sharing a slot only make each
 * other's next read exact (a rebuild) a little more often, never less. */
#ifndef DJ_WROTE_H
#define DJ_WROTE_H
#include <stdint.h>

/* Notes that user_id's write has just committed (0: nobody, ignored). */
void wrote_note(int64_t user_id);
/* When user_id last wrote (clock_mono_ms), 0 if never seen. */
double wrote_last(int64_t user_id);
#endif
