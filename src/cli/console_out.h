/*
 * What `cordon console` shows of a guest's output: everything but the
 * escape sequences that set a terminal's window title (OSC: ESC ] ...
 * ending in BEL or ESC \).  cordon sets the title to "VM (LABEL)" itself
 * (the trusted path); a guest must not be able to rename its window to
 * another VM's.  An OSC that never ends is cut after CONSOLE_OSC_MAX bytes
 * and output resumes.  The filter keeps its state between calls, so a
 * sequence may arrive split across reads.
 */
#ifndef CORDON_CLI_CONSOLE_OUT_H
#define CORDON_CLI_CONSOLE_OUT_H

#include <stddef.h>
#include <stdint.h>

#define CONSOLE_OSC_MAX 512

struct console_out {
	int state;          /* 0 text, 1 after ESC, 2 in an OSC, 3 ESC in an OSC */
	unsigned osc_len;
};

/* Filters n bytes of guest output into out (capacity >= n + 1: an ESC
 * held back from the previous call may come out now); returns how many. */
size_t console_out_filter(struct console_out *c, const uint8_t *in, size_t n, uint8_t *out);

#endif
