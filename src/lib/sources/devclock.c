/* devclock.c: see devclock.h. */
#include "devclock.h"

double aipm_devclock_age(struct aipm_devclock *c, double dev_s, double local_s)
{
	double d = local_s - dev_s;
	if (c->have && local_s > c->local_s)
		c->offset_s += (local_s - c->local_s) * DEVCLOCK_DRIFT;
	if (!c->have || d < c->offset_s)
		c->offset_s = d;
	c->have = true;
	c->local_s = local_s;
	double age = d - c->offset_s;
	return age > 0 ? age : 0;
}
