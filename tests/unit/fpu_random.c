#include "fpu_random.h"

#include <string.h>

#include "engine/soft/fpu.h"

void fpu_random_ext(uint8_t ext[10], uint32_t (*rnd)(void))
{
	uint64_t mant = (uint64_t)rnd() << 32 | rnd();
	uint16_t se = (uint16_t)(rnd() & 0x8000);
	switch (rnd() % 10) {
	case 0: mant = 0; break;                                                      /* zero */
	case 1: mant &= ~(1ull << 63); break;                                         /* denormal */
	case 2: mant = 1ull << 63, se |= 0x7fff; break;                                /* infinity */
	case 3: mant |= 3ull << 62, se |= 0x7fff; break;                               /* QNaN */
	case 4: mant = (mant | 1ull << 63 | 1) & ~(1ull << 62), se |= 0x7fff; break;    /* SNaN */
	case 5: mant &= ~(1ull << 63), se |= (uint16_t)(1 + rnd() % 0x7ffe); break;    /* unnormal */
	case 6: mant = (uint64_t)((rnd() % 1000) | 1u << 9) << 54, se |= 0x3fff + 9; break; /* integer */
	default: mant |= 1ull << 63, se |= (uint16_t)(0x3fff - 1100 + rnd() % 2200); break;
	}
	memcpy(ext, &mant, 8);
	memcpy(ext + 8, &se, 2);
}

void fpu_random_state(struct fpu *f, uint32_t (*rnd)(void))
{
	memset(f, 0, sizeof(*f));
	for (int p = 0; p < 8; p++)
		fpu_random_ext((uint8_t *)&f->st[p], rnd);
	f->sw = (uint16_t)(rnd() & (FSW_C0 | FSW_C1 | FSW_C2 | FSW_C3 | FSW_TOP));
	int depth = (int)(rnd() % 9), hole = rnd() % 8 == 0 ? (int)(rnd() % 8) : -1;
	f->tw = 0xffff;
	for (int k = 0; k < 8; k++) {
		int p = fpu_phys(f, k);
		if ((k < depth) != (k == hole))
			f->tw = (uint16_t)((f->tw & ~(3u << (2 * p))) |
					   (unsigned)fpu_tag_of((uint8_t *)&f->st[p]) << (2 * p));
	}
	uint16_t cw = (uint16_t)((rnd() & 0x0f00) | FCW_MASKS);
	if (rnd() % 6 == 0)
		cw &= (uint16_t)~(1u << (rnd() % 6));
	if (rnd() % 8 == 0)
		f->sw |= (uint16_t)(rnd() & FSW_EXC);
	fpu_load_cw(f, cw);
	f->fip = rnd(), f->fdp = rnd(), f->fop = (uint16_t)(rnd() & 0x7ff);
}
