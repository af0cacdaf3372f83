/*
 * Removable media (the paper's §4.4.1, the floppy that walks from a SECRET
 * machine to an UNCLASSIFIED one): the label record that travels with a
 * media image, and sanitizing.  The decision itself is the reference
 * monitor's (refmon_decide_media in sec/refmon.h).
 *
 * The label record is a file next to the image, IMAGE.label, holding one
 * line: the canonical label text.  Like the sticker on a floppy it goes
 * wherever the image goes.  It can only raise the label the system file
 * declares: the current label is the lub of the declared and the recorded
 * one, and a record that cannot be read or parsed is an error (fail
 * closed), never "no record".
 *
 * Like the rest of src/sec this is supervisor code and calls the OS
 * itself (pwrite, fsync, rename, flock); files are opened through
 * sec/safe_open.h.
 */
#ifndef CORDON_SEC_MEDIA_H
#define CORDON_SEC_MEDIA_H

#include <stdbool.h>

#include "sec/label.h"

#define MEDIA_ERRLEN 512

/* The current label of the image at image_path: declared when there is no
 * record (*had_record false), else lub(declared, recorded).  0, or -1 with
 * err (MEDIA_ERRLEN) naming the record file. */
int media_label_load(const struct lattice *lat, const char *image_path,
		     const struct label *declared, struct label *current, bool *had_record,
		     char *err);

/* Writes l as the image's record, atomically (a temporary file, fsync,
 * rename, fsync of the directory).  0, or -1 with err. */
int media_label_store(const struct lattice *lat, const char *image_path, const struct label *l,
		      char *err);

/*
 * Sanitizing in two steps, so the caller can write its audit record
 * between them (nothing is written before it): opens the image through
 * safe_open (no symlink, FIFO, hard link, another user's file or a
 * readable one) and takes an exclusive non-blocking lock -- an image some
 * VM has attached is "in use" and left alone; the descriptor, or -1 with
 * err.  Then media_zero_fill overwrites every byte with zeros in place
 * (size kept) and fdatasyncs: 0, or -1 with err.
 */
int media_open_for_sanitize(const char *image_path, char *err);
int media_zero_fill(int fd, const char *image_path, char *err);
/* Both steps at once (no record between them). */
int media_sanitize(const char *image_path, char *err);

#endif
