/*
 * `cordon audit`: tools for the security kernel's audit log.
 *
 *   cordon audit verify LOG    check every record and the hash chain
 */
#ifndef CORDON_CLI_AUDIT_H
#define CORDON_CLI_AUDIT_H

/* argv[0] is "audit".  Returns the exit status: 0 intact, 1 a problem, 2 usage. */
int cli_audit(int argc, char **argv);

#endif
