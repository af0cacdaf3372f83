/*
 * The system file's channels between VMs (grammar in docs/sysdef.md):
 *
 *   net NAME {                diode NAME {          vm NAME {
 *       label LABEL               from VM               ...
 *       uplink tap IFNAME         to VM                 net NAME
 *   }                         }                         diode NAME
 *                                                       mac NAME ADDRESS
 *                                                   }
 *
 * A net is a switch that only VMs at its label may join; a diode is a
 * one-way link from one VM to another.  Each "net" or "diode" statement
 * in a vm block is one NIC, eth0, eth1, ... in statement order.  Whether
 * a VM may join a net or send over a diode is the reference monitor's
 * decision when the VM starts, not the parser's; the parser checks that
 * every name resolves and that the ends of each link agree.
 *
 * Nets and diodes share one namespace (a mac statement names either), of
 * their own: a net may have the name of a VM or a disk.
 */
#include "sec/sysdef_internal.h"

#include <stdio.h>
#include <string.h>

#include <openssl/evp.h>

static const char *nic_word(enum sysdef_nic_kind kind)
{
	return kind == SYSDEF_NIC_NET ? "net" : "diode";
}

static struct sysdef_vm *cur_vm(struct parser *p)
{
	return &p->s->vms[p->s->nvms - 1];
}

const char *chan_block_name(const struct parser *p)
{
	if (p->block == BLOCK_NET)
		return p->s->nets[p->s->nnets - 1].name;
	return p->s->diodes[p->s->ndiodes - 1].name;
}

static const struct sysdef_net *net_by_name(const struct sysdef *s, const char *name)
{
	for (unsigned i = 0; i < s->nnets; i++)
		if (!strcmp(s->nets[i].name, name))
			return &s->nets[i];
	return NULL;
}

static const struct sysdef_diode *diode_by_name(const struct sysdef *s, const char *name)
{
	for (unsigned i = 0; i < s->ndiodes; i++)
		if (!strcmp(s->diodes[i].name, name))
			return &s->diodes[i];
	return NULL;
}

/* Blocks ------------------------------------------------------------------ */

static int check_unique(struct parser *p, const struct line *ln, enum block_kind kind)
{
	const char *name = ln->tok[1].text, *word = kind == BLOCK_NET ? "net" : "diode";
	const struct sysdef_net *n = net_by_name(p->s, name);
	const struct sysdef_diode *d = diode_by_name(p->s, name);
	int first = n ? n->line : d ? d->line : 0;

	if (!first)
		return 0;
	if ((n != NULL) == (kind == BLOCK_NET))
		return fail_at(p, ln->lineno, "%s '%s' is declared twice (first at line %d)", word,
			       name, first);
	return fail_at(p, ln->lineno, "%s '%s' is already declared as %s (line %d)", word, name,
		       n ? "net" : "diode", first);
}

int chan_open_block(struct parser *p, const struct line *ln, enum block_kind kind)
{
	struct sysdef *s = p->s;

	if (check_unique(p, ln, kind) < 0)
		return -1;
	if (kind == BLOCK_NET) {
		if (s->nnets == SYSDEF_MAX_NETS)
			return fail_at(p, ln->lineno, "too many nets (at most %d)", SYSDEF_MAX_NETS);
		struct sysdef_net *n = &s->nets[s->nnets++];
		snprintf(n->name, sizeof(n->name), "%s", ln->tok[1].text);
		n->line = ln->lineno;
	} else {
		if (s->ndiodes == SYSDEF_MAX_DIODES)
			return fail_at(p, ln->lineno, "too many diodes (at most %d)", SYSDEF_MAX_DIODES);
		struct sysdef_diode *d = &s->diodes[s->ndiodes++];
		snprintf(d->name, sizeof(d->name), "%s", ln->tok[1].text);
		d->line = ln->lineno;
	}
	p->block = kind;
	p->block_line = ln->lineno;
	memset(&p->seen, 0, sizeof(p->seen));
	return 0;
}

/* A host interface name: what the lexer calls a name, at most 15 bytes. */
static int parse_uplink(struct parser *p, const struct line *ln, struct sysdef_net *n)
{
	if (ln->n != 3 || ln->tok[1].kind != TOK_WORD || strcmp(ln->tok[1].text, "tap"))
		return fail_at(p, ln->lineno, "expected: uplink tap IFNAME");
	if (once(p, ln, &p->seen.uplink) < 0 || check_name(p, ln, 2, "interface") < 0)
		return -1;
	if (strlen(ln->tok[2].text) >= SYSDEF_IFNAME_MAX)
		return fail_at(p, ln->lineno, "interface name '%s' is too long (at most %d characters)",
			       ln->tok[2].text, SYSDEF_IFNAME_MAX - 1);
	snprintf(n->uplink, sizeof(n->uplink), "%s", ln->tok[2].text);
	return 0;
}

/* from VM / to VM: the VM is looked up once the whole file is read. */
static int parse_end(struct parser *p, const struct line *ln, int which)
{
	unsigned di = p->s->ndiodes - 1;
	const char *kw = which ? "to" : "from";

	if (ln->n != 2)
		return fail_at(p, ln->lineno, "expected: %s VM", kw);
	if (once(p, ln, which ? &p->seen.to : &p->seen.from) < 0 || check_name(p, ln, 1, "vm") < 0)
		return -1;
	snprintf(p->s->diode_end_ref[di][which], SYSDEF_NAME_MAX, "%s", ln->tok[1].text);
	p->s->diode_end_line[di][which] = ln->lineno;
	return 0;
}

int chan_block_stmt(struct parser *p, const struct line *ln)
{
	const char *kw = ln->tok[0].text;

	if (p->block == BLOCK_NET) {
		struct sysdef_net *n = &p->s->nets[p->s->nnets - 1];
		if (!strcmp(kw, "label")) {
			if (once(p, ln, &p->seen.label) < 0)
				return -1;
			return parse_label(p, ln, &n->label, &n->label_text);
		}
		if (!strcmp(kw, "uplink"))
			return parse_uplink(p, ln, n);
		return fail_at(p, ln->lineno, "unknown keyword '%s' in net '%s' (expected label or uplink)",
			       kw, n->name);
	}
	if (!strcmp(kw, "from"))
		return parse_end(p, ln, 0);
	if (!strcmp(kw, "to"))
		return parse_end(p, ln, 1);
	return fail_at(p, ln->lineno, "unknown keyword '%s' in diode '%s' (expected from or to)", kw,
		       chan_block_name(p));
}

int chan_close_block(struct parser *p)
{
	const char *name = chan_block_name(p);
	unsigned di = p->s->ndiodes - 1;

	if (p->block == BLOCK_NET) {
		if (!p->seen.label)
			return fail_at(p, p->block_line, "missing 'label' in net '%s'", name);
		return 0;
	}
	if (!p->seen.from || !p->seen.to)
		return fail_at(p, p->block_line, "missing '%s' in diode '%s'",
			       p->seen.from ? "to" : "from", name);
	if (!strcmp(p->s->diode_end_ref[di][0], p->s->diode_end_ref[di][1]))
		return fail_at(p, p->seen.to, "diode '%s' has vm '%s' at both ends (a diode links two vms)",
			       name, p->s->diode_end_ref[di][0]);
	return 0;
}

/* Statements in a vm block -------------------------------------------------- */

static int hex_digit(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* XX:XX:XX:XX:XX:XX, exactly. */
static int parse_mac_text(const char *w, uint8_t mac[SYSDEF_MAC_LEN])
{
	for (unsigned i = 0; i < SYSDEF_MAC_LEN; i++, w += 3) {
		int hi = hex_digit(w[0]), lo = hi < 0 ? -1 : hex_digit(w[1]);
		if (lo < 0 || w[2] != (i + 1 < SYSDEF_MAC_LEN ? ':' : '\0'))
			return -1;
		mac[i] = (uint8_t)(hi << 4 | lo);
	}
	return 0;
}

static int parse_mac(struct parser *p, const struct line *ln, unsigned vi)
{
	struct sysdef *s = p->s;
	uint8_t mac[SYSDEF_MAC_LEN];
	const char *w;

	if (ln->n != 3 || ln->tok[2].kind != TOK_WORD)
		return fail_at(p, ln->lineno, "expected: mac NET-OR-DIODE XX:XX:XX:XX:XX:XX");
	if (check_name(p, ln, 1, "net or diode") < 0)
		return -1;
	w = ln->tok[2].text;
	if (parse_mac_text(w, mac) < 0)
		return fail_at(p, ln->lineno, "bad MAC address '%s' (six hex bytes, e.g. 02:00:00:00:00:01)", w);
	if (mac[0] & 1)
		return fail_at(p, ln->lineno, "MAC address %s is multicast (a NIC needs a unicast address: the first byte even)", w);
	if (!(mac[0] | mac[1] | mac[2] | mac[3] | mac[4] | mac[5]))
		return fail_at(p, ln->lineno, "MAC address %s is all zeros", w);
	for (unsigned i = 0; i < s->nmacs[vi]; i++)
		if (!strcmp(s->mac_ref[vi][i].name, ln->tok[1].text))
			return fail_at(p, ln->lineno, "duplicate 'mac' for '%s' in vm '%s' (first at line %d)",
				       ln->tok[1].text, cur_vm(p)->name, s->mac_ref[vi][i].line);
	if (s->nmacs[vi] == SYSDEF_MAX_NICS)
		return fail_at(p, ln->lineno, "vm '%s' has more mac statements than a vm has NICs (%d)",
			       cur_vm(p)->name, SYSDEF_MAX_NICS);
	snprintf(s->mac_ref[vi][s->nmacs[vi]].name, SYSDEF_NAME_MAX, "%s", ln->tok[1].text);
	memcpy(s->mac_ref[vi][s->nmacs[vi]].mac, mac, SYSDEF_MAC_LEN);
	s->mac_ref[vi][s->nmacs[vi]++].line = ln->lineno;
	return 0;
}

/* net NAME / diode NAME: the next NIC. */
static int parse_nic(struct parser *p, const struct line *ln, unsigned vi)
{
	struct sysdef_vm *vm = cur_vm(p);
	const char *kw = ln->tok[0].text;
	struct sysdef_nic *nic;

	if (ln->n != 2)
		return fail_at(p, ln->lineno, "expected: %s NAME", kw);
	if (check_name(p, ln, 1, kw) < 0)
		return -1;
	for (unsigned i = 0; i < vm->nnics; i++)
		if (!strcmp(p->s->nic_ref[vi][i], ln->tok[1].text))
			return fail_at(p, ln->lineno, "vm '%s' names '%s' twice (first at line %d)",
				       vm->name, ln->tok[1].text, vm->nic[i].line);
	if (vm->nnics == SYSDEF_MAX_NICS)
		return fail_at(p, ln->lineno, "vm '%s' has too many NICs (at most %d net and diode statements)",
			       vm->name, SYSDEF_MAX_NICS);
	nic = &vm->nic[vm->nnics];
	nic->kind = strcmp(kw, "net") == 0 ? SYSDEF_NIC_NET : SYSDEF_NIC_DIODE;
	nic->line = ln->lineno;
	snprintf(p->s->nic_ref[vi][vm->nnics], SYSDEF_NAME_MAX, "%s", ln->tok[1].text);
	vm->nnics++;
	return 0;
}

int chan_vm_stmt(struct parser *p, const struct line *ln)
{
	unsigned vi = p->s->nvms - 1;

	if (!strcmp(ln->tok[0].text, "mac"))
		return parse_mac(p, ln, vi);
	return parse_nic(p, ln, vi);
}

/* After the last line ---------------------------------------------------------- */

void sysdef_derive_mac(const char *vm, const char *channel, uint8_t mac[SYSDEF_MAC_LEN])
{
	static const char tag[] = "cordon nic";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	size_t lv = strlen(vm) + 1, lc = strlen(channel) + 1; /* NULs keep "ab"+"c" from "a"+"bc" */

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, tag, sizeof(tag)) || !EVP_DigestUpdate(ctx, vm, lv) ||
	    !EVP_DigestUpdate(ctx, channel, lc) || !EVP_DigestFinal_ex(ctx, md, &mdlen) || mdlen < 6)
		memset(md, 0x5a, 6); /* no digest: still a fixed, valid address */
	EVP_MD_CTX_free(ctx);
	memcpy(mac, md, SYSDEF_MAC_LEN);
	mac[0] = (uint8_t)((mac[0] & 0xfc) | 0x02); /* locally administered, unicast */
}

static int resolve_diode_ends(struct parser *p)
{
	struct sysdef *s = p->s;

	for (unsigned d = 0; d < s->ndiodes; d++) {
		for (int which = 0; which < 2; which++) {
			const char *name = s->diode_end_ref[d][which];
			const struct sysdef_vm *vm = sysdef_vm_by_name(s, name);
			if (!vm)
				return fail_at(p, s->diode_end_line[d][which],
					       "diode '%s' names undeclared vm '%s'", s->diodes[d].name, name);
			if (which)
				s->diodes[d].to = vm;
			else
				s->diodes[d].from = vm;
		}
	}
	return 0;
}

static int resolve_nic(struct parser *p, struct sysdef_vm *vm, unsigned vi, unsigned i)
{
	struct sysdef_nic *nic = &vm->nic[i];
	const char *name = p->s->nic_ref[vi][i];
	const struct sysdef_net *n = net_by_name(p->s, name);
	const struct sysdef_diode *d = diode_by_name(p->s, name);

	if (!n && !d)
		return fail_at(p, nic->line, "vm '%s' names undeclared %s '%s'", vm->name,
			       nic_word(nic->kind), name);
	if ((n != NULL) != (nic->kind == SYSDEF_NIC_NET))
		return fail_at(p, nic->line, "vm '%s' names '%s' as a %s, but it is declared as a %s (line %d)",
			       vm->name, name, nic_word(nic->kind), n ? "net" : "diode",
			       n ? n->line : d->line);
	if (d && d->from != vm && d->to != vm)
		return fail_at(p, nic->line,
			       "vm '%s' names diode '%s', which runs from '%s' to '%s' (only its ends may)",
			       vm->name, name, d->from->name, d->to->name);
	nic->net = n;
	nic->diode = d;
	sysdef_derive_mac(vm->name, name, nic->mac);
	return 0;
}

/* The NIC of vm on the net or diode called name, or NULL. */
static struct sysdef_nic *nic_on(struct parser *p, const struct sysdef_vm *vm, const char *name)
{
	unsigned vi = (unsigned)(vm - p->s->vms);

	for (unsigned i = 0; i < vm->nnics; i++)
		if (!strcmp(p->s->nic_ref[vi][i], name))
			return (struct sysdef_nic *)&vm->nic[i];
	return NULL;
}

static int apply_macs(struct parser *p, struct sysdef_vm *vm, unsigned vi)
{
	for (unsigned m = 0; m < p->s->nmacs[vi]; m++) {
		const char *name = p->s->mac_ref[vi][m].name;
		struct sysdef_nic *nic = nic_on(p, vm, name);
		if (!nic)
			return fail_at(p, p->s->mac_ref[vi][m].line,
				       "vm '%s' sets a mac for '%s', but has no 'net %s' or 'diode %s'",
				       vm->name, name, name, name);
		memcpy(nic->mac, p->s->mac_ref[vi][m].mac, SYSDEF_MAC_LEN);
		nic->mac_set = true;
	}
	return 0;
}

/* Both ends of every diode have a NIC on it. */
static int check_diode_ends_attached(struct parser *p)
{
	for (unsigned d = 0; d < p->s->ndiodes; d++) {
		const struct sysdef_diode *dd = &p->s->diodes[d];
		const struct sysdef_vm *end[2] = { dd->from, dd->to };
		for (int which = 0; which < 2; which++)
			if (!nic_on(p, end[which], dd->name))
				return fail_at(p, dd->line, "diode '%s': vm '%s', its %s end, has no 'diode %s' statement",
					       dd->name, end[which]->name, which ? "to" : "from", dd->name);
	}
	return 0;
}

static void mac_text(const uint8_t *m, char out[18])
{
	snprintf(out, 18, "%02x:%02x:%02x:%02x:%02x:%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static const char *channel_name(const struct sysdef_nic *nic)
{
	return nic->kind == SYSDEF_NIC_NET ? nic->net->name : nic->diode->name;
}

/* No two NICs on one net or diode share a MAC: the switch tells its ports
 * apart by their addresses. */
static int check_macs_distinct(struct parser *p)
{
	const struct sysdef *s = p->s;

	for (unsigned a = 0; a < s->nvms; a++)
		for (unsigned i = 0; i < s->vms[a].nnics; i++)
			for (unsigned b = 0; b <= a; b++)
				for (unsigned j = 0; j < (b == a ? i : s->vms[b].nnics); j++) {
					const struct sysdef_nic *x = &s->vms[a].nic[i], *y = &s->vms[b].nic[j];
					char text[18];
					if (strcmp(channel_name(x), channel_name(y)) ||
					    memcmp(x->mac, y->mac, SYSDEF_MAC_LEN))
						continue;
					mac_text(x->mac, text);
					return fail_at(p, x->line, "vm '%s' and vm '%s' have the same MAC %s on %s '%s' (set another with a mac statement)",
						       s->vms[b].name, s->vms[a].name, text,
						       nic_word(x->kind), channel_name(x));
				}
	return 0;
}

int chan_resolve(struct parser *p)
{
	struct sysdef *s = p->s;

	if (resolve_diode_ends(p) < 0)
		return -1;
	for (unsigned v = 0; v < s->nvms; v++) {
		for (unsigned i = 0; i < s->vms[v].nnics; i++)
			if (resolve_nic(p, &s->vms[v], v, i) < 0)
				return -1;
		if (apply_macs(p, &s->vms[v], v) < 0)
			return -1;
	}
	if (check_diode_ends_attached(p) < 0)
		return -1;
	return check_macs_distinct(p);
}
