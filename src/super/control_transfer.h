/*
 * The control socket's transfer replies (control_proto.h has the
 * requests): what `cordon transfer list` and `cordon transfer show` get
 * from the supervisor, encoded by one and decoded by the other here.
 *
 *   transfer-list  {"ok":true,"transfers":[T,...],"more":N}
 *   transfer-show  {"ok":true,"transfer":T+{"manifest":HEX,
 *                   "shown":[{"name","mode","size","sha256","preview":HEX},...],
 *                   "more":N}}
 *   T = {"id","state","source","source_label","target","target_label",
 *        "files","bytes","created","reason"}
 *
 * A list shows at most CONTROL_XFER_LIST_MAX transfers and a show at most
 * CONTROL_XFER_SHOW_FILES files with the first CONTROL_XFER_PREVIEW bytes
 * of each; "more" counts the rest.  The decoder checks every field, and
 * file names again with the stream's rules, so the client never prints a
 * missing field or a name that could rewrite the operator's terminal.
 */
#ifndef CORDON_SUPER_CONTROL_TRANSFER_H
#define CORDON_SUPER_CONTROL_TRANSFER_H

#include <stdbool.h>
#include <stdint.h>

#include <jansson.h>

#include "sec/label.h"
#include "sec/sysdef.h"
#include "xfer/stream.h"

#define CONTROL_XFER_LIST_MAX 100
#define CONTROL_XFER_SHOW_FILES 12
#define CONTROL_XFER_PREVIEW 256
#define CONTROL_XFER_REASON 96

struct control_xfer_file {
	char name[XFER_NAME_MAX + 1];
	unsigned mode;
	uint64_t size;
	char sha256[2 * XFER_DIGEST_LEN + 1];
	uint8_t preview[CONTROL_XFER_PREVIEW];
	size_t preview_len;
};

struct control_xfer {
	uint64_t id;
	char state[16];            /* "held", "pending" */
	char source[SYSDEF_NAME_MAX], target[SYSDEF_NAME_MAX];
	char source_label[LABEL_TEXT_MAX], target_label[LABEL_TEXT_MAX];
	uint32_t nfiles;
	uint64_t bytes;
	int64_t created;           /* seconds since the epoch */
	char reason[CONTROL_XFER_REASON];
	/* show only */
	char manifest[2 * XFER_DIGEST_LEN + 1];
	unsigned nshown, more;
	struct control_xfer_file shown[CONTROL_XFER_SHOW_FILES];
};

struct control_xfer_list {
	unsigned n, more;
	struct control_xfer items[CONTROL_XFER_LIST_MAX];
};

/* Supervisor: the fields of one transfer (with_files: a show's extras). */
json_t *control_xfer_fields(const struct control_xfer *x, bool with_files);
/* Client: decoders of the two replies; 0, or -1 with err (CONTROL_ERRLEN). */
int control_xfer_list_decode(json_t *reply, struct control_xfer_list *l, char *err);
int control_xfer_show_decode(json_t *reply, struct control_xfer *x, char *err);
/* A transfer id from the command line or a request: 1..2^53. */
int control_xfer_parse_id(const char *s, uint64_t *id);

#endif
