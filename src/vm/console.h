/*
 * The console escape filter for host keyboard input, in the style of
 * QEMU's "-serial mon:stdio": with the terminal in raw mode Ctrl-C belongs
 * to the guest, so cordon's own commands hide behind the prefix Ctrl-A.
 *
 *   Ctrl-A x        quit cordon
 *   Ctrl-A d        detach (`cordon console`; `cordon run` has nothing to
 *                   detach from and drops it)
 *   Ctrl-A h        print the help text below
 *   Ctrl-A a        send a literal Ctrl-A to the guest
 *   Ctrl-A Ctrl-A   the same (as in QEMU and screen)
 *   Ctrl-A other    dropped, as is the Ctrl-A
 *
 * The filter keeps the "Ctrl-A seen" state between calls, so a prefix and
 * its command may arrive in different reads.
 */
#ifndef CORDON_VM_CONSOLE_H
#define CORDON_VM_CONSOLE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define CONSOLE_ESCAPE 0x01 /* Ctrl-A */

struct console {
	bool escape; /* the previous byte was an unconsumed Ctrl-A */
};

enum console_action { CONSOLE_NONE, CONSOLE_QUIT, CONSOLE_HELP, CONSOLE_DETACH };

/*
 * Filters n input bytes into out (capacity >= n); returns the number of
 * bytes for the guest.  *action is set to CONSOLE_NONE, then to
 * CONSOLE_HELP for Ctrl-A h, CONSOLE_DETACH for Ctrl-A d or CONSOLE_QUIT
 * for Ctrl-A x (quit and detach win; bytes after them are discarded).
 */
size_t console_filter(struct console *c, const uint8_t *in, size_t n, uint8_t *out,
		      enum console_action *action);

/* Help text for Ctrl-A h, with "\r\n" line ends so it reads correctly on
 * a terminal in raw mode. */
extern const char console_help_text[];

#endif
