/*
 * Console escape filter; see console.h for the key bindings.
 */
#include "vm/console.h"

const char console_help_text[] =
	"\r\n"
	"cordon console keys:\r\n"
	"  Ctrl-A x   quit cordon (the guest is stopped, not shut down)\r\n"
	"  Ctrl-A h   show this help\r\n"
	"  Ctrl-A a   send Ctrl-A to the guest\r\n";

/* Handles the byte that follows Ctrl-A.  Returns true if it goes to the guest. */
static bool escape_command(uint8_t ch, enum console_action *action)
{
	switch (ch) {
	case 'a':
	case CONSOLE_ESCAPE:
		return true;
	case 'x':
		*action = CONSOLE_QUIT;
		return false;
	case 'd':
		*action = CONSOLE_DETACH;
		return false;
	case 'h':
		if (*action == CONSOLE_NONE)
			*action = CONSOLE_HELP;
		return false;
	default:
		return false;
	}
}

size_t console_filter(struct console *c, const uint8_t *in, size_t n, uint8_t *out,
		      enum console_action *action)
{
	size_t len = 0;

	*action = CONSOLE_NONE;
	for (size_t i = 0; i < n && *action != CONSOLE_QUIT && *action != CONSOLE_DETACH; i++) {
		uint8_t ch = in[i];
		if (c->escape) {
			c->escape = false;
			if (escape_command(ch, action))
				out[len++] = ch == 'a' ? CONSOLE_ESCAPE : ch;
		} else if (ch == CONSOLE_ESCAPE) {
			c->escape = true;
		} else {
			out[len++] = ch;
		}
	}
	return len;
}
