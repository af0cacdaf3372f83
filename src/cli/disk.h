/*
 * `cordon disk`: make and look after disk images (raw or LUKS-encrypted).
 *
 *   cordon disk create FILE SIZE [--luks] ...   a new sparse raw, LUKS2 or LUKS1 image
 *   cordon disk info FILE                       format, sizes, LUKS parameters
 *   cordon disk passwd FILE [--add] ...         change or add a passphrase
 */
#ifndef CORDON_CLI_DISK_H
#define CORDON_CLI_DISK_H

/* argv[0] is "disk".  Returns the exit status: 0 done, 1 failed, 2 usage. */
int cli_disk(int argc, char **argv);

#endif
