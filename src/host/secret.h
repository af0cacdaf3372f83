/*
 * Passphrases for LUKS images: the only code that reads key material from
 * the operating system.  A passphrase comes from a key file, an inherited
 * file descriptor or a prompt on the terminal -- never from the command
 * line or the environment, where other users (ps, /proc/PID/environ) and
 * shell history would see it.
 *
 * The bytes live in their own anonymous mapping, locked into RAM where the
 * kernel allows it (so they are never written to swap) and excluded from
 * core dumps; secret_wipe() zeroes them before giving the memory back.
 */
#ifndef CORDON_HOST_SECRET_H
#define CORDON_HOST_SECRET_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SECRET_MAX 8192 /* bytes of passphrase accepted */

struct secret {
	uint8_t *buf; /* len bytes of passphrase, then zeroes; NULL when empty */
	size_t len;
	size_t cap;   /* size of the mapping */
	bool locked;  /* mlock succeeded */
};

/*
 * Each returns 0, or -1 with err (HOST_ERRLEN bytes) naming the source:
 * "key file k.txt: No such file", "key file k.txt: empty",
 * "--key-fd 7: Bad file descriptor", "key file k.txt: passphrase too long
 * (max 8192 bytes)".  On error *s is left zeroed (nothing to wipe).
 *
 * A key file's or descriptor's whole content is the passphrase, byte for
 * byte -- a trailing newline included -- as with cryptsetup's --key-file.
 */
int secret_from_file(struct secret *s, const char *path, char *err);
/* Reads fd to end of file; the descriptor is left open (it is the caller's). */
int secret_from_fd(struct secret *s, int fd, char *err);
/* The same for a key file someone else opened (the supervisor, through
 * its checks); messages name it "key file PATH". */
int secret_from_open_file(struct secret *s, int fd, const char *path, char *err);
/*
 * Writes prompt on /dev/tty and reads one line with echo off (restored on
 * every path, and on SIGINT/SIGTERM/SIGHUP/SIGQUIT while prompting); the
 * newline that ends the line is not part of the passphrase.  An empty line
 * is refused.  Without a terminal: "no terminal to ask for a passphrase
 * (use key-file= or key-fd=)".
 */
int secret_prompt(struct secret *s, const char *prompt, char *err);
/* How that no-terminal message starts, for callers that word the hint their way. */
#define SECRET_NO_TERMINAL "no terminal to ask for a passphrase"
/* An empty buffer of s->cap bytes (at least SECRET_MAX + 1) with the same
 * protection, for other key material such as a LUKS volume key; the
 * caller fills s->buf and sets s->len.  secret_wipe frees it.  0, or -1. */
int secret_reserve(struct secret *s, char *err);
/* Zeroes, unlocks and frees; safe on a zeroed struct and when called twice. */
void secret_wipe(struct secret *s);
/* True when a and b hold the same bytes (constant time for equal lengths). */
bool secret_equal(const struct secret *a, const struct secret *b);

#endif
